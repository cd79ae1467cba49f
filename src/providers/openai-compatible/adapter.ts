import type { Dispatcher } from 'undici';
import {
  GatewayError,
  isContentEvent,
  type ChatRequest,
  type ChatResponse,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
  batchedEventStream,
  type StreamEvent,
} from '../../canonical/index.js';
import type { ResolvedProvider } from '../../catalog/types.js';
import type { Redactor } from '../../util/redact.js';
import type { AdapterCall, ProviderAdapter } from '../types.js';
import { AttemptControl } from '../shared/attempt.js';
import { readJson, sendJson } from '../shared/exchange.js';
import { transportError, upstreamHttpError } from '../shared/errors.js';
import type { UpstreamHttp } from '../shared/http.js';
import { readSseBatches } from '../shared/sse.js';
import { ChunkDecoder, decodeChatResponse, decodeEmbeddingsResponse } from './decode.js';
import { encodeChatRequest, encodeEmbeddingsRequest } from './encode.js';
import { quirksFor, type OpenAICompatibleQuirks } from './quirks.js';

/** The shared adapter for every host that speaks OpenAI's Chat Completions dialect. */
export class OpenAICompatibleAdapter implements ProviderAdapter {
  private readonly quirksCache = new WeakMap<ResolvedProvider, OpenAICompatibleQuirks>();
  private keyCursor = 0;

  constructor(
    private readonly http: UpstreamHttp,
    private readonly redactor: Redactor,
  ) {}

  private quirks(provider: ResolvedProvider): OpenAICompatibleQuirks {
    let quirks = this.quirksCache.get(provider);
    if (!quirks) {
      quirks = quirksFor(provider);
      this.quirksCache.set(provider, quirks);
    }
    return quirks;
  }

  private headers(provider: ResolvedProvider, requestId: string, stream: boolean): Record<string, string> {
    const headers: Record<string, string> = {
      ...provider.headers,
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      'x-request-id': requestId,
    };
    if (provider.apiKeys.length > 0) {
      const key = provider.apiKeys[this.keyCursor++ % provider.apiKeys.length]!;
      headers.authorization = `Bearer ${key}`;
    }
    return headers;
  }

  private send(provider: ResolvedProvider, path: string, body: Record<string, unknown>, call: AdapterCall, control: AttemptControl, stream: boolean) {
    const messages = body.messages as { prefix?: boolean }[] | undefined;
    const basePath = messages?.at(-1)?.prefix ? this.quirks(provider).prefixBasePath : undefined;
    return sendJson(this.http, provider, { path, basePath, headers: this.headers(provider, call.requestId, stream), body, stream }, control, (status, headers, text) =>
      upstreamHttpError(provider.id, status, headers, text, this.redactor),
    );
  }

  async chat(request: ChatRequest, call: AdapterCall): Promise<ChatResponse> {
    const { provider, upstreamModel } = call.route;
    const body = encodeChatRequest({ ...request, stream: false }, upstreamModel, this.quirks(provider), call.warn, call.route.prefill);
    const control = new AttemptControl(call.signal, provider.timeouts.totalMs, undefined);
    const response = await this.send(provider, '/chat/completions', body, call, control, false);
    return decodeChatResponse(await readJson(provider, response, control), provider.id, this.quirks(provider));
  }

  async chatStream(request: ChatRequest, call: AdapterCall): Promise<AsyncIterable<StreamEvent>> {
    const { provider, upstreamModel } = call.route;
    const body = encodeChatRequest({ ...request, stream: true }, upstreamModel, this.quirks(provider), call.warn, call.route.prefill);
    const control = new AttemptControl(call.signal, provider.timeouts.totalMs, provider.timeouts.firstTokenMs);
    const response = await this.send(provider, '/chat/completions', body, call, control, true);
    return batchedEventStream(this.batches(provider, response, control));
  }

  /**
   * The host's events, one batch per network read. The body is read to its end even after [DONE] or a complete
   * usage chunk: leaving a response unread would cost the pooled keep-alive connection. A host that then dawdles is
   * cut off by the tail timer.
   */
  private async *batches(provider: ResolvedProvider, response: Dispatcher.ResponseData, control: AttemptControl): AsyncGenerator<StreamEvent[]> {
    const decoder = new ChunkDecoder(provider.id, this.quirks(provider));
    let sawDone = false;
    let out: StreamEvent[] = [];
    try {
      for await (const batch of readSseBatches(response.body)) {
        for (const message of batch) {
          if (sawDone) break;
          const data = message.data;
          if (data === '[DONE]') {
            sawDone = true;
            control.streamComplete();
            break;
          }
          if (data.length === 0) continue;
          const before = out.length;
          if (!decoder.decodeData(data, out)) {
            out.push({ type: 'error', error: new GatewayError('upstream_malformed', `provider ${provider.id} sent a malformed stream chunk`, { provider: provider.id }) });
            yield out;
            return;
          }
          for (let i = before; i < out.length; i++) {
            const event = out[i]!;
            if (event.type === 'error') {
              out.length = i + 1;
              yield out;
              return;
            }
            if (isContentEvent(event)) control.firstTokenArrived();
          }
          control.trackStreamEnd(decoder);
        }
        if (out.length > 0) {
          yield out;
          out = [];
        }
      }
    } catch (err) {
      if (control.reason !== 'tail') {
        out.push({ type: 'error', error: transportError(provider.id, err, control.transportReason, provider.timeouts) });
        yield out;
        return;
      }
    } finally {
      // Leaving early (error, or the consumer stopped because the client went away): release the upstream.
      if (!response.body.readableEnded) control.abort('done');
      control.dispose();
    }
    if (!decoder.sawFinish) {
      out.push({
        type: 'error',
        error: new GatewayError('stream_interrupted', `provider ${provider.id} ended the stream before it finished`, { provider: provider.id }),
      });
    }
    if (out.length > 0) yield out;
  }

  async embeddings(request: EmbeddingsRequest, call: AdapterCall): Promise<EmbeddingsResponse> {
    const { provider, upstreamModel } = call.route;
    const control = new AttemptControl(call.signal, provider.timeouts.totalMs, undefined);
    const response = await this.send(provider, '/embeddings', encodeEmbeddingsRequest(request, upstreamModel), call, control, false);
    return decodeEmbeddingsResponse(await readJson(provider, response, control), provider.id);
  }
}
