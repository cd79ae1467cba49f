import type { ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse, StreamEvent } from '../canonical/index.js';
import type { HostRoute } from '../catalog/types.js';

/**
 * What the gateway needs of a cancellation signal. An AbortSignal is one; the gateway passes a lighter one per request
 * (src/server/client-signal.ts), because an AbortController and its EventTarget cost a visible share of a request.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface AdapterCall {
  route: HostRoute;
  /** Aborted when the client goes away or the gateway gives up on this attempt. */
  signal: CancelSignal;
  requestId: string;
  /**
   * Reports a request parameter this host does not support and that was dropped or changed; the client sees it
   * in `x-switchboard-warnings`. Never silently drop a parameter, never fail for one.
   */
  warn(message: string): void;
}

/**
 * The specification every provider adapter implements. Adapters turn canonical requests into one upstream's
 * wire format and its replies into canonical responses and stream events; every quirk of a host lives here.
 * Failures are thrown (or, once a stream has started, yielded as an `error` event) as GatewayError.
 */
export interface ProviderAdapter {
  chat(request: ChatRequest, call: AdapterCall): Promise<ChatResponse>;
  /**
   * Resolves once the upstream accepted the request (2xx headers); the iterable then yields events until the
   * stream completes, or yields a final `error` event. It never throws after resolving.
   */
  chatStream(request: ChatRequest, call: AdapterCall): Promise<AsyncIterable<StreamEvent>>;
  embeddings?(request: EmbeddingsRequest, call: AdapterCall): Promise<EmbeddingsResponse>;
}
