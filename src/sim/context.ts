/**
 * The contract between the HTTP server and the dialects (OpenAI today; Anthropic and Gemini later).
 * The server owns the socket, routing, the request log and scenario layering; a dialect owns its paths'
 * wire format, including how it reports errors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FixtureStore } from './replay.js';
import type { Scenario } from './scenario.js';

export interface SimContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The API path with any `/p/<profile>` prefix and query string removed. */
  path: string;
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
  fixtures: FixtureStore;
}

/** An error to report in the dialect's own body format. */
export interface SimError {
  status: number;
  message: string;
  /** The dialect's error type; derived from the status when absent. */
  type?: string;
  param?: string | null;
  code?: string | null;
  /** Sent as `retry-after`. */
  retryAfterSeconds?: number;
}

export type RouteHandler = (ctx: SimContext) => void | Promise<void>;

export interface Dialect {
  /** Exact routes, keyed `METHOD /path` (e.g. `POST /v1/chat/completions`). */
  routes: Record<string, RouteHandler>;
  /** Routes with parameters in the path (Gemini's `/v1beta/models/<m>:generateContent`). */
  match?(method: string, path: string): RouteHandler | undefined;
  sendError(ctx: SimContext, error: SimError): void;
}
