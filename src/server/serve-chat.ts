import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, mergeUsage, type ChatRequest, type StreamEvent, type Usage } from '../canonical/index.js';
import { computeCost, nanoToUsd } from '../catalog/cost.js';
import type { HostRoute } from '../catalog/types.js';
import { AttemptsExhausted, asGatewayError, type AttemptRecord, type ChatOutcome, type StreamOutcome } from '../routing/execute.js';
import type { PlannedAttempt, RoutePlan } from '../routing/planner.js';
import type { CostReport, ServedBy } from '../surfaces/served.js';
import type { ChatSurface } from '../surfaces/surface.js';
import type { GatewayContext } from './context.js';
import type { Admission } from '../tenancy/service.js';
import { errorHeaders } from './errors.js';
import { ClientSignal } from './client-signal.js';
import { SseWriter } from './sse.js';

export function costReport(usage: Usage, host: HostRoute): CostReport {
  const cost = computeCost(usage, host.pricing);
  return cost.status === 'priced' ? { usd: nanoToUsd(cost.nanoUsd), nano: cost.nanoUsd, status: 'priced' } : { usd: null, status: 'unpriced' };
}

export const WARNINGS_HEADER = 'x-switchboard-warnings';

/** Warnings as a JSON array of strings: unambiguous whatever punctuation a message holds, and ASCII-safe. */
export function warningsHeader(warnings: string[]): string {
  return JSON.stringify(warnings).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function routeHeader(attempt: PlannedAttempt, attempts: AttemptRecord[]): string {
  return `provider=${attempt.host.provider.id}; model=${attempt.model.id}; attempts=${attempts.length}`;
}

/** A signal that fires when the client goes away before the response is complete. */
export function clientGone(reply: FastifyReply): ClientSignal {
  return new ClientSignal(reply.raw);
}

/** Accounts for a request no host answered, and returns the error to send. */
export function recordFailure(
  ctx: GatewayContext,
  req: FastifyRequest,
  route: 'chat' | 'embeddings' | 'messages',
  stream: boolean,
  plan: RoutePlan,
  err: unknown,
  startedAt: number,
  warnings?: string[],
  admission?: Admission,
  clientGone = false,
): GatewayError {
  const error = asGatewayError(err);
  if (error.code === 'internal_error') req.log.error({ err: (err as Error).cause ?? err }, 'request failed');
  const attempts = err instanceof AttemptsExhausted ? err.attempts : [];
  const last = attempts.at(-1);
  ctx.accounting.record(req, {
    route,
    stream,
    plan,
    model: plan.attempts[0]!.model.id,
    provider: last?.provider ?? error.provider ?? '',
    // The client went away before any host answered: an abort (499), not an upstream failure.
    status: clientGone ? 499 : error.status,
    attempts,
    error,
    warnings,
    admission,
    startedAt,
  });
  return error;
}

export interface ChatCall {
  request: ChatRequest;
  plan: RoutePlan;
  surface: ChatSurface;
  startedAt: number;
  /** Warnings raised while decoding the request, before any host was chosen. */
  warnings: string[];
  /** The request's hold on its budgets and limits, settled or released when it ends. */
  admission?: Admission;
}

/** Runs a decoded chat request through the executor and answers in the surface's dialect, streaming or not. */
export async function serveChat(ctx: GatewayContext, req: FastifyRequest, reply: FastifyReply, call: ChatCall): Promise<unknown> {
  const signal = clientGone(reply);
  if (call.request.stream) {
    await streamChat(ctx, req, reply, call, signal);
    return reply;
  }
  const { request, plan, surface, startedAt, warnings } = call;
  let outcome: ChatOutcome;
  try {
    outcome = await ctx.executor.chat(request, plan.attempts, { requestId: req.id, signal, warnings });
  } catch (err) {
    throw recordFailure(ctx, req, surface.name, false, plan, err, startedAt, warnings, call.admission, signal.aborted);
  }
  const { attempt, attempts, response } = outcome;
  const served: ServedBy = { requestId: req.id, model: attempt.model.id, provider: attempt.host.provider.id, attempts: attempts.length };
  const cost = costReport(response.usage, attempt.host);
  reply.header('x-switchboard-route', routeHeader(attempt, attempts));
  if (warnings.length > 0) reply.header(WARNINGS_HEADER, warningsHeader(warnings));
  const body = surface.encodeResponse(response, served, cost, request);
  ctx.accounting.tapFor(req)?.json(body);
  ctx.accounting.record(req, { route: surface.name, stream: false, plan, warnings, admission: call.admission, model: served.model, provider: served.provider, status: 200, attempts, usage: response.usage, cost, startedAt });
  return body;
}

async function streamChat(ctx: GatewayContext, req: FastifyRequest, reply: FastifyReply, call: ChatCall, signal: ClientSignal): Promise<void> {
  const { request, plan, surface, startedAt, warnings } = call;
  reply.hijack();
  const tap = ctx.accounting.tapFor(req);
  const writer = new SseWriter(reply.raw, { 'x-request-id': req.id }, tap);
  // A reasoning model may think for minutes before its first token: keep-alive frames keep proxies from timing out.
  const keepAlive = setInterval(() => void writer.write(surface.keepAliveFrame()), ctx.config.server.streamKeepAliveMs);
  let outcome: StreamOutcome;
  try {
    outcome = await ctx.executor.chatStream(request, plan.attempts, { requestId: req.id, signal, warnings });
  } catch (err) {
    clearInterval(keepAlive);
    const error = recordFailure(ctx, req, surface.name, true, plan, err, startedAt, warnings, call.admission, signal.aborted);
    if (writer.committed) {
      await writer.write(`${surface.streamEncoder({ requestId: req.id, served: { requestId: req.id, model: plan.attempts[0]!.model.id, provider: '', attempts: 0 }, request }).error(error)}`);
      writer.end();
    } else if (!writer.closed) {
      reply.raw.writeHead(error.status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': req.id, ...errorHeaders(error) });
      reply.raw.end(JSON.stringify(surface.errorBody(error)));
    }
    return;
  }
  clearInterval(keepAlive);

  const { attempt, attempts } = outcome;
  const start = outcome.head.find((e): e is Extract<StreamEvent, { type: 'start' }> => e.type === 'start');
  const served: ServedBy = { requestId: req.id, model: attempt.model.id, provider: attempt.host.provider.id, attempts: attempts.length };
  const early = outcome.head.find((e): e is Extract<StreamEvent, { type: 'usage' }> => e.type === 'usage');
  const encoder = surface.streamEncoder({ requestId: req.id, served, upstreamId: start?.id, created: start?.created, request, usage: early?.usage });
  writer.setHeader('x-switchboard-route', routeHeader(attempt, attempts));
  if (warnings.length > 0) writer.setHeader(WARNINGS_HEADER, warningsHeader(warnings));
  await writer.write(encoder.start());

  let usage: Usage | undefined;
  let failure: GatewayError | undefined;
  /**
   * Encodes a batch of events into one write. Synchronous unless the socket pushes back: an await per event (or per
   * batch) would cost a promise each. False once the stream failed.
   */
  const handle = (events: StreamEvent[]): boolean | Promise<boolean> => {
    let frames = '';
    let ok = true;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      if (event.type === 'usage') {
        usage = mergeUsage(usage, event.usage);
        continue;
      }
      if (event.type === 'error') {
        failure = event.error;
        ok = false;
        break;
      }
      try {
        const frame = encoder.encode(event);
        if (frame.length > 0) {
          frames += frame;
          tap?.event(event);
        }
      } catch (err) {
        // An event the client's dialect cannot express: end the stream with an error rather than lose it.
        failure = asGatewayError(err);
        ok = false;
        break;
      }
    }
    const pending = writer.write(frames);
    if (!ok) return false;
    return pending ? pending.then(() => true) : true;
  };

  const first = handle(outcome.head);
  let ok = typeof first === 'boolean' ? first : await first;
  try {
    while (ok && !writer.closed) {
      const next = await outcome.rest.next();
      if (next.done) break;
      const handled = handle(next.value);
      ok = typeof handled === 'boolean' ? handled : await handled;
    }
  } finally {
    if (writer.closed) await outcome.rest.return?.();
  }

  const base = { route: surface.name, stream: true, plan, warnings, admission: call.admission, model: served.model, provider: served.provider, attempts, usage, startedAt };
  if (signal.aborted || writer.closed) {
    ctx.accounting.record(req, { ...base, status: 499, error: new GatewayError('stream_interrupted', 'client closed the connection') });
    return;
  }
  if (failure) {
    await writer.write(encoder.error(failure));
    writer.end();
    ctx.accounting.record(req, { ...base, status: failure.status, error: failure });
    return;
  }
  const finalUsage = usage ?? {};
  const cost = costReport(finalUsage, attempt.host);
  await writer.write(encoder.end({ usage: finalUsage, cost }));
  writer.end();
  ctx.accounting.record(req, { ...base, usage: finalUsage, status: 200, cost });
}
