/**
 * The contract between the HTTP server and the dialects (OpenAI, Anthropic, Gemini).
 * The server owns the socket, routing, the request log and scenario layering; a dialect owns its paths'
 * wire format, including how it reports errors and which credentials and headers it insists on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FixtureStore } from './replay.js';
import type { RecordedPrefill } from './request-log.js';
import type { Scenario } from './scenario.js';

export interface SimContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The API path with any `/p/<profile>` prefix and query string removed. */
  path: string;
  /** The query string's parameters (Gemini's `alt=sse` and `key=`). */
  query: URLSearchParams;
  /** The profile selected by the path prefix; '' for none. */
  profile: string;
  /** The parsed JSON body (undefined when the request had none). */
  body: unknown;
  /** Unique per server, e.g. for `x-request-id` and response ids. */
  seq: number;
  /**
   * The scenario of this request: defaults < profile < `#sim{…}` found in `directiveText` < the
   * `x-sim-scenario` header, with `faultRate` already rolled. Throws ScenarioError on a bad directive.
   */
  scenario(directiveText: string | undefined): Scenario;
  /** Adds what only the dialect knows (the prefill) to this request's entry in the request log. */
  annotate(fields: { prefill: RecordedPrefill }): void;
  fixtures: FixtureStore;
}

/** An error to report in the dialect's own body format. */
export interface SimError {
  status: number;
  message: string;
  /** The dialect's error type (OpenAI/Anthropic `type`, Google `status`); derived from the status when absent. */
  type?: string;
  param?: string | null;
  code?: string | null;
  /** The wait a 429 asks for: `retry-after` (OpenAI, Anthropic) or `RetryInfo` (Gemini). */
  retryAfterSeconds?: number;
  /** Google's `error.details` list. */
  details?: unknown[];
}

export type RouteHandler = (ctx: SimContext) => void | Promise<void>;

export interface Dialect {
  /** Exact routes, keyed `METHOD /path` (e.g. `POST /v1/chat/completions`). */
  routes: Record<string, RouteHandler>;
  /** Routes with parameters in the path (Gemini's `/v1beta/models/<m>:generateContent`). */
  match?(method: string, path: string): RouteHandler | undefined;
  /** True for paths in this dialect's namespace, so an unknown one is refused in its error format. */
  owns?(path: string): boolean;
  /** With `requireAuth`: the error for a request without credentials this provider accepts. */
  authError(ctx: SimContext): SimError | undefined;
  /** Checked before the body is looked at, e.g. Anthropic's mandatory `anthropic-version` header. */
  headerError?(ctx: SimContext): SimError | undefined;
  /** The provider's wording for a body that is not JSON. */
  invalidJsonMessage: string;
  sendError(ctx: SimContext, error: SimError): void;
}

/**
 * How a dialect words the faults that strike before any content (see `requestFault` in sse.ts): the shared
 * code decides which fault applies, the face renders it.
 */
export interface FaultFace {
  sendError(ctx: SimContext, error: SimError): void;
  /** The error a `status` fault produces, in the provider's words. */
  statusError(status: number, model: string, retryAfterSeconds: number | undefined): SimError;
  contextLengthError(promptTokens: number): SimError;
  /** The status a non-stream request gets for `error_event` (there is no stream to carry the event). */
  errorEventStatus: number;
  /** Answers 200 with a JSON body that breaks off (non-stream `malformed`). */
  sendMalformed(ctx: SimContext): void;
}
