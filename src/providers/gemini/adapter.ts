import type { Dispatcher } from 'undici';
import {
  GatewayError,
  isContentEvent,
  type ChatRequest,
  type ChatResponse,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
  type StreamEvent,
} from '../../canonical/index.js';
import type { ResolvedProvider } from '../../catalog/types.js';
import type { Redactor } from '../../util/redact.js';
import type { AdapterCall, ProviderAdapter } from '../types.js';
import { ImageFetchError, type ImageFetcher } from '../shared/image-fetch.js';
import { AttemptControl, FINISH_TAIL_MS } from '../shared/attempt.js';
import { readJson, sendJson } from '../shared/exchange.js';
import { transportError } from '../shared/errors.js';
import type { UpstreamHttp } from '../shared/http.js';
import { readSseBatches } from '../shared/sse.js';
import { decodeChatResponse, GeminiChunkDecoder, type ErrorMapper } from './decode.js';
import { decodeEmbeddingsResponse, encodeEmbeddingsRequest } from './embeddings.js';
import { encodeChatRequest } from './encode.js';
import { geminiHttpError } from './errors.js';

type Method = 'generateContent' | 'streamGenerateContent?alt=sse' | 'embedContent' | 'batchEmbedContents';

/**
 * The Gemini API (generativelanguage.googleapis.com) adapter: `models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse`, `:embedContent` and `:batchEmbedContents`. The key travels in the
 * `x-goog-api-key` header, never in the URL (URLs end up in logs). Timeouts and aborts work as in the
 * OpenAI-compatible adapter; see README.md in this folder for the mapping decisions.
 */
export class GeminiAdapter implements ProviderAdapter {
  private keyCursor = 0;

  constructor(
    private readonly http: UpstreamHttp,
    private readonly redactor: Redactor,
    private readonly images?: ImageFetcher,
  ) {}

  /** Gemini takes image bytes, not arbitrary URLs: allowed URLs are fetched (src/providers/shared/image-fetch.ts). */
  private async withImages(request: ChatRequest, call: AdapterCall): Promise<ChatRequest> {
    if (!this.images) return request;
    try {
      return await this.images.inlineImages(request, (message) => call.warn(message), call.signal);
    } catch (err) {
      if (err instanceof ImageFetchError) throw new GatewayError('invalid_request', `image: ${err.message}`, { param: 'messages', retryableUpstream: false });
      throw err;
    }
  }

  /** A base URL that already names an API version (`…/v1beta`) is used as is; otherwise `/v1beta` is added. */
  private path(provider: ResolvedProvider, model: string, method: Method): string {
    const base = new URL(provider.baseURL).pathname.replace(/\/+$/, '');
    const version = /\/v\d+(?:(?:alpha|beta)\d*)?$/.test(base) ? '' : '/v1beta';
    return `${version}/models/${encodeURIComponent(model.replace(/^models\//, ''))}:${method}`;
  }

  private headers(provider: ResolvedProvider, requestId: string, stream: boolean): Record<string, string> {
    const headers: Record<string, string> = {
      ...provider.headers,
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      'x-request-id': requestId,
    };
    if (provider.apiKeys.length > 0) headers['x-goog-api-key'] = provider.apiKeys[this.keyCursor++ % provider.apiKeys.length]!;
    return headers;
  }

  private errorMapper(provider: ResolvedProvider): ErrorMapper {
    return (status, body) => geminiHttpError(provider.id, status, {}, body, this.redactor);
  }

  private send(provider: ResolvedProvider, path: string, body: unknown, call: AdapterCall, control: AttemptControl, stream: boolean) {
    return sendJson(this.http, provider, { path, headers: this.headers(provider, call.requestId, stream), body, stream }, control, (status, headers, text) =>
      geminiHttpError(provider.id, status, headers, text, this.redactor),
    );
  }

  async chat(original: ChatRequest, call: AdapterCall): Promise<ChatResponse> {
    const { provider, upstreamModel } = call.route;
    const request = await this.withImages(original, call);
    const body = encodeChatRequest(request, upstreamModel, (message) => call.warn(message));
    const control = new AttemptControl(call.signal, provider.timeouts.totalMs, undefined);
    const response = await this.send(provider, this.path(provider, upstreamModel, 'generateContent'), body, call, control, false);
    return decodeChatResponse(await readJson(provider, response, control), provider.id, call.requestId, this.errorMapper(provider));
  }

  async chatStream(original: ChatRequest, call: AdapterCall): Promise<AsyncIterable<StreamEvent>> {
    const { provider, upstreamModel } = call.route;
    const request = await this.withImages(original, call);
    const body = encodeChatRequest(request, upstreamModel, (message) => call.warn(message));
    const control = new AttemptControl(call.signal, provider.timeouts.totalMs, provider.timeouts.firstTokenMs);
    const response = await this.send(provider, this.path(provider, upstreamModel, 'streamGenerateContent?alt=sse'), body, call, control, true);
    return this.events(provider, response, control, new GeminiChunkDecoder(provider.id, call.requestId, this.errorMapper(provider)));
  }

  /**
   * Gemini sends no `[DONE]`: a stream is complete when a chunk has carried a finish reason and the body ends.
   * After the finish reason the body gets FINISH_TAIL_MS to end (a late usage chunk is still read); a body that
   * ends with no finish reason at all is an interrupted stream.
   */
  private async *events(provider: ResolvedProvider, response: Dispatcher.ResponseData, control: AttemptControl, decoder: GeminiChunkDecoder): AsyncGenerator<StreamEvent> {
    const out: StreamEvent[] = [];
    let tail = false;
    try {
      for await (const batch of readSseBatches(response.body)) for (const message of batch) {
        const data = message.data;
        if (data.length === 0) continue;
        let chunk: unknown;
        try {
          chunk = JSON.parse(data);
        } catch {
          yield { type: 'error', error: new GatewayError('upstream_malformed', `provider ${provider.id} sent a malformed stream chunk`, { provider: provider.id }) };
          return;
        }
        decoder.decode(chunk, out);
        for (let i = 0; i < out.length; i++) {
          const event = out[i]!;
          if (isContentEvent(event)) control.firstTokenArrived();
          yield event;
          if (event.type === 'error') return;
        }
        out.length = 0;
        if (decoder.sawFinish && !tail) {
          tail = true;
          control.after(FINISH_TAIL_MS, 'tail');
        }
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
    if (!decoder.sawFinish) {
      yield {
        type: 'error',
        error: new GatewayError('stream_interrupted', `provider ${provider.id} ended the stream before it finished`, { provider: provider.id }),
      };
    }
  }

  async embeddings(request: EmbeddingsRequest, call: AdapterCall): Promise<EmbeddingsResponse> {
    const { provider, upstreamModel } = call.route;
    const model = upstreamModel.replace(/^models\//, '');
    const wire = encodeEmbeddingsRequest(request, model, (message) => call.warn(message));
    const control = new AttemptControl(call.signal, provider.timeouts.totalMs, undefined);
    const response = await this.send(provider, this.path(provider, model, wire.method), wire.body, call, control, false);
    return decodeEmbeddingsResponse(await readJson(provider, response, control), wire, request.encodingFormat, provider.id);
  }
}
