import type { ChatRequest, ChatResponse, GatewayError, StreamEvent, Usage } from '../canonical/index.js';
import type { CostReport, FinalUsage, ServedBy } from './served.js';

/** Encodes one streamed response in a client dialect. One instance per response. */
export interface StreamEncoder {
  /** Frames that open the stream (OpenAI's role chunk, Anthropic's message_start). */
  start(): string;
  encode(event: StreamEvent): string;
  /** Frames that close a complete stream, with the final usage and cost. */
  end(final: FinalUsage): string;
  /** The in-stream error form of the dialect; the stream closes after it. */
  error(error: GatewayError): string;
  /** What keeps an idle stream open while the first token is awaited. */
  keepAlive(): string;
}

export interface StreamStart {
  requestId: string;
  served: ServedBy;
  /** The host's response id and creation time, when it sent them. */
  upstreamId?: string;
  created?: number;
  request: ChatRequest;
  /** Usage the host reported before its first content (input counts), if any. */
  usage?: Usage;
}

/** A client dialect for chat: how its responses, streams and errors look. */
export interface ChatSurface {
  name: 'chat' | 'messages';
  encodeResponse(response: ChatResponse, served: ServedBy, cost: CostReport, request: ChatRequest): unknown;
  streamEncoder(start: StreamStart): StreamEncoder;
  errorBody(error: GatewayError): unknown;
  /** The keep-alive frame to send before the response is committed (SSE comment, Anthropic ping). */
  keepAliveFrame(): string;
}
