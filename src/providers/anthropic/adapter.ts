import type { Dispatcher } from 'undici';
import { GatewayError, isContentEvent, type ChatRequest, type ChatResponse, type StreamEvent } from '../../canonical/index.js';
import type { ResolvedProvider } from '../../catalog/types.js';
import type { Redactor } from '../../util/redact.js';
import type { AdapterCall, ProviderAdapter } from '../types.js';
import { AttemptControl } from '../shared/attempt.js';
import { readJson, sendJson } from '../shared/exchange.js';
import { extractUpstreamMessage, transportError, upstreamHttpError } from '../shared/errors.js';
import type { UpstreamHttp } from '../shared/http.js';
import { readSseBatches } from '../shared/sse.js';
import { decodeChatResponse } from './decode.js';
import { encodeChatRequest } from './encode.js';
import { AnthropicStreamDecoder } from './stream.js';

export const ANTHROPIC_VERSION = '2023-06-01';

/** Anthropic's request id (`request-id` header), when it looks like one: worth quoting in error messages. */
function requestIdOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const raw = headers['request-id'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value && /^[\w-]{1,128}$/.test(value) ? value : undefined;
}

function withRequestId(err: GatewayError, requestId: string | undefined): GatewayError {
  if (!requestId) return err;
  return new GatewayError(err.code, `${err.message} (request-id ${requestId})`, {
    param: err.param,
    provider: err.provider,
    status: err.status,
    retryAfterSeconds: err.retryAfterSeconds,
    retryableUpstream: err.retryableUpstream,
    upstreamStatus: err.upstreamStatus,
  });
}

/**
 * Anthropic's HTTP errors in catalogue terms. 413 (`request_too_large`) is decided here: Anthropic's message,
 * "Request exceeds the maximum allowed number of bytes", would otherwise pass for a context-length error.
 */
function anthropicHttpError(providerId: string, status: number, headers: Record<string, string | string[] | undefined>, text: string, redactor: Redactor): GatewayError {
  const { message, type } = extractUpstreamMessage(text);
  if (status === 413 || type === 'request_too_large') {
    const detail = message ? `: ${redactor.redact(message).slice(0, 400)}` : '';
    return new GatewayError('body_too_large', `provider ${providerId} rejected the request as too large (HTTP ${status})${detail}`, {
      provider: providerId,
      upstreamStatus: status,
      status: 413,
    });
  }
  return upstreamHttpError(providerId, status, headers, text, redactor);
}

/** The Messages path under the base URL, which is the bare origin; a base URL that already ends in /v1 is tolerated. */
function messagesPath(provider: ResolvedProvider): string {
  try {
    if (new URL(provider.baseURL).pathname.replace(/\/+$/, '').endsWith('/v1')) return '/messages';
  } catch {
    // validated at start
  }
  return '/v1/messages';
}

/** Each warning once per request, however many messages or parts raised it. */
function onceWarn(call: AdapterCall): (message: string) => void {
  const seen = new Set<string>();
  return (message) => {
    if (seen.has(message)) return;
    seen.add(message);
    call.warn(message);
  };
}

/** The adapter for Anthropic's Messages API (`POST /v1/messages`). No embeddings: Anthropic offers none. */
export class AnthropicAdapter implements ProviderAdapter {
  private keyCursor = 0;

  constructor(
    private readonly http: UpstreamHttp,
    private readonly redactor: Redactor,
  ) {}

  private headers(provider: ResolvedProvider, requestId: string, stream: boolean): Record<string, string> {
    // The operator's headers may pin another anthropic-version or add anthropic-beta; the rest is ours.
    const headers: Record<string, string> = {
      'anthropic-version': ANTHROPIC_VERSION,
      ...provider.headers,
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      'x-request-id': requestId,
    };
    if (provider.apiKeys.length > 0) headers['x-api-key'] = provider.apiKeys[this.keyCursor++ % provider.apiKeys.length]!;
    return headers;
  }

  private send(provider: ResolvedProvider, body: unknown, call: AdapterCall, control: AttemptControl, stream: boolean): Promise<Dispatcher.ResponseData> {
    const headers = this.headers(provider, call.requestId, stream);
    return sendJson(this.http, provider, { path: messagesPath(provider), headers, body, stream }, control, (status, responseHeaders, text) =>
      withRequestId(anthropicHttpError(provider.id, status, responseHeaders, text, this.redactor), requestIdOf(responseHeaders)),
    );
  }

  async chat(request: ChatRequest, call: AdapterCall): Promise<ChatResponse> {
    const { provider } = call.route;
    const body = encodeChatRequest({ ...request, stream: false }, call.route, onceWarn(call));
    const control = new AttemptControl(call.signal, provider.timeouts.totalMs, undefined);
    const response = await this.send(provider, body, call, control, false);
    return decodeChatResponse(await readJson(provider, response, control), provider.id);
  }

  async chatStream(request: ChatRequest, call: AdapterCall): Promise<AsyncIterable<StreamEvent>> {
    const { provider } = call.route;
    const body = encodeChatRequest({ ...request, stream: true }, call.route, onceWarn(call));
    const control = new AttemptControl(call.signal, provider.timeouts.totalMs, provider.timeouts.firstTokenMs);
    const response = await this.send(provider, body, call, control, true);
    return this.events(provider, response, control);
  }

  private async *events(provider: ResolvedProvider, response: Dispatcher.ResponseData, control: AttemptControl): AsyncGenerator<StreamEvent> {
    const decoder = new AnthropicStreamDecoder(provider.id, (text) => this.redactor.redact(text), requestIdOf(response.headers));
    const out: StreamEvent[] = [];
    try {
      // The body is read to its end even after message_stop: leaving a response unread would cost the pooled
      // keep-alive connection. A host that then dawdles is cut off by the tail timer.
      for await (const batch of readSseBatches(response.body)) for (const message of batch) {
        if (decoder.complete || message.data.length === 0) continue;
        let chunk: unknown;
        try {
          chunk = JSON.parse(message.data);
        } catch {
          yield { type: 'error', error: new GatewayError('upstream_malformed', `provider ${provider.id} sent a malformed stream event`, { provider: provider.id }) };
          return;
        }
        decoder.decode(chunk, message.event, out);
        for (let i = 0; i < out.length; i++) {
          const event = out[i]!;
          if (isContentEvent(event)) control.firstTokenArrived();
          yield event;
          if (event.type === 'error') return;
        }
        out.length = 0;
        control.trackStreamEnd(decoder);
      }
    } catch (err) {
      if (control.reason !== 'tail') {
        yield { type: 'error', error: transportError(provider.id, err, control.transportReason, provider.timeouts) };
        return;
      }
    } finally {
      // Leaving early (error, or the consumer stopped because the client went away): release the upstream.
      if (!response.body.readableEnded) control.abort('done');
      control.dispose();
    }
    // A stop_reason makes the answer whole even without message_stop; without one it was cut short.
    if (!decoder.sawFinish) {
      yield {
        type: 'error',
        error: new GatewayError('stream_interrupted', `provider ${provider.id} ended the stream before it finished`, { provider: provider.id }),
      };
    }
  }
}
