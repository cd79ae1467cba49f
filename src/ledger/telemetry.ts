import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { LedgerRecord } from './types.js';

/**
 * OpenTelemetry traces of model requests, following the GenAI semantic conventions, exported as OTLP/HTTP JSON to
 * `telemetry.otlpEndpoint` (off when unset). One span per request, made from its ledger record:
 *
 *   name `{gen_ai.operation.name} {gen_ai.request.model}`, kind CLIENT, status ERROR with `error.type` on failure;
 *   gen_ai.operation.name, gen_ai.system (and gen_ai.provider.name), gen_ai.request.model, gen_ai.response.model,
 *   gen_ai.response.id, gen_ai.usage.input_tokens, gen_ai.usage.output_tokens, http.response.status_code.
 *
 * A W3C `traceparent` header on the request makes the span a child of the caller's. No prompt, completion, key or
 * tag goes into a span. Spans are batched (every 2 s or 256 spans) and POSTed with a 5 s timeout; a failed export
 * is dropped with a warning (traces are diagnostics, the ledger is the record), and at most 4,096 spans wait.
 *
 * Written against the OTLP/JSON wire format directly rather than the OpenTelemetry SDK: the SDK's current majors
 * are several packages for one exporter, and this is the only signal the gateway exports.
 */
export interface TelemetryOptions {
  otlpEndpoint: string;
  serviceName?: string;
  logger?: Pick<Logger, 'warn'>;
  flushMs?: number;
  batchSize?: number;
  /** Replaces fetch (tests). */
  post?: (url: string, body: string) => Promise<void>;
}

type AnyValue = { stringValue: string } | { intValue: string } | { boolValue: boolean } | { doubleValue: number };
interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  status: { code: number; message?: string };
}

const SPAN_KIND_CLIENT = 3;
const STATUS_OK = 1;
const STATUS_ERROR = 2;
const MAX_PENDING = 4096;

function attr(key: string, value: string | number | boolean | undefined): KeyValue | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return { key, value: { stringValue: value } };
  if (typeof value === 'boolean') return { key, value: { boolValue: value } };
  return Number.isInteger(value) ? { key, value: { intValue: String(value) } } : { key, value: { doubleValue: value } };
}

/** `traceparent: 00-<trace id>-<parent span id>-<flags>` → ids, when well-formed and not all zeros. */
export function parseTraceparent(header: string | string[] | undefined): { traceId: string; parentSpanId: string } | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value ? /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value.trim()) : null;
  if (!m || m[1] === 'ff' || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return undefined;
  return { traceId: m[2]!, parentSpanId: m[3]! };
}

function nanos(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}

export function genAiSpan(record: LedgerRecord, traceparent?: string | string[]): OtlpSpan {
  const parent = parseTraceparent(traceparent);
  const operation = record.route === 'embeddings' ? 'embeddings' : 'chat';
  const start = Date.parse(record.at);
  const failed = record.status >= 400;
  const attributes = [
    attr('gen_ai.operation.name', operation),
    attr('gen_ai.system', record.provider),
    attr('gen_ai.provider.name', record.provider),
    attr('gen_ai.request.model', record.requestedModel),
    attr('gen_ai.response.model', record.model),
    attr('gen_ai.response.id', record.id),
    attr('gen_ai.usage.input_tokens', record.inputTokens),
    attr('gen_ai.usage.output_tokens', record.outputTokens),
    attr('http.response.status_code', record.status),
    attr('error.type', failed ? (record.errorCode ?? String(record.status)) : undefined),
    attr('switchboard.request.stream', record.stream),
    attr('switchboard.attempts', record.attempts.length),
    attr('switchboard.cost_usd', record.costNano === undefined ? undefined : record.costNano / 1e9),
    attr('switchboard.tokens_estimated', record.tokensEstimated),
  ].filter((a): a is KeyValue => a !== undefined);
  return {
    traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    ...(parent ? { parentSpanId: parent.parentSpanId } : {}),
    name: `${operation} ${record.requestedModel}`,
    kind: SPAN_KIND_CLIENT,
    startTimeUnixNano: nanos(start),
    endTimeUnixNano: nanos(start + record.latencyMs),
    attributes,
    status: failed ? { code: STATUS_ERROR, message: record.errorCode ?? `status ${record.status}` } : { code: STATUS_OK },
  };
}

export class GenAiTracer {
  private pending: OtlpSpan[] = [];
  private readonly url: string;
  private readonly timer: NodeJS.Timeout;
  private sending: Promise<void> | undefined;
  dropped = 0;

  constructor(private readonly options: TelemetryOptions) {
    const base = options.otlpEndpoint.replace(/\/+$/, '');
    this.url = base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? 2000);
    this.timer.unref();
  }

  record(record: LedgerRecord, traceparent?: string | string[]): void {
    if (this.pending.length >= MAX_PENDING) {
      this.pending.shift();
      this.dropped++;
    }
    this.pending.push(genAiSpan(record, traceparent));
    if (this.pending.length >= (this.options.batchSize ?? 256)) void this.flush();
  }

  body(spans: OtlpSpan[]): string {
    return JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [attr('service.name', this.options.serviceName ?? 'switchboard')] },
          scopeSpans: [{ scope: { name: 'switchboard.ledger', version: '1' }, spans }],
        },
      ],
    });
  }

  flush(): Promise<void> {
    if (this.sending) return this.sending.then(() => this.flush());
    if (this.pending.length === 0) return Promise.resolve();
    const spans = this.pending;
    this.pending = [];
    const post = this.options.post ?? defaultPost;
    this.sending = post(this.url, this.body(spans))
      .catch((err: unknown) => {
        this.dropped += spans.length;
        this.options.logger?.warn({ err: (err as Error).message, spans: spans.length }, 'telemetry: OTLP export failed; spans dropped');
      })
      .finally(() => {
        this.sending = undefined;
      });
    return this.sending;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

async function defaultPost(url: string, body: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000), redirect: 'error' });
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`collector answered ${res.status}`);
}
