/**
 * The simulator's HTTP server: plain node:http (it is the upstream in throughput benchmarks, so no
 * framework), routing by path to a dialect (OpenAI, Anthropic, Gemini), `/p/<profile>/…` prefixes that let
 * one port play many providers, the `/_sim/…` control API, scenario layering and the request log.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AnswerError } from './answer.js';
import type { Dialect, RouteHandler, SimContext } from './context.js';
import { anthropicDialect } from './dialects/anthropic.js';
import { geminiDialect } from './dialects/gemini.js';
import { openaiDialect } from './dialects/openai.js';
import { defaultFixturesDir, FixtureStore } from './replay.js';
import { maskHeaders, RequestLog, type RecordedRequest } from './request-log.js';
import { applyFaultRate, extractDirective, FaultDice, mergeScenarios, parseScenario, ScenarioError, type Scenario } from './scenario.js';

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Named host profiles, selected by the path prefix `/p/<name>/v1/…`. */
  profiles?: Record<string, Partial<Scenario>>;
  /** Applies to every request, under the profile, directive and header layers. */
  defaults?: Partial<Scenario>;
  /**
   * Refuse requests without credentials, each dialect its provider's way: OpenAI 401 without
   * `Authorization: Bearer …`, Anthropic 401 without `x-api-key` (or a bearer token), Gemini 403 without
   * `x-goog-api-key`, a `key` query parameter or a bearer token.
   */
  requireAuth?: boolean;
  /** Recorded fixtures for `replay`; default <repo>/test/fixtures/conformance. */
  fixturesDir?: string;
  /** Requests kept for `requests()` (default 200; 0 keeps none). */
  logRequests?: number;
}

export interface Simulator {
  /** `http://host:port`, no trailing slash. */
  url: string;
  port: number;
  close(): Promise<void>;
  requests(): RecordedRequest[];
  clearRequests(): void;
  /** Replaces a profile (validated) and restarts its faultRate sequence. */
  setProfile(name: string, s: Partial<Scenario>): void;
}

/** Dialects in routing order. */
const DIALECTS: Dialect[] = [openaiDialect, anthropicDialect, geminiDialect];
/** Paths no dialect claims, and control-API errors, are reported in OpenAI's format. */
const DEFAULT_DIALECT = openaiDialect;
const MAX_BODY_BYTES = 32 * 1024 * 1024;

interface Route {
  handler: RouteHandler;
  dialect: Dialect;
}

const EXACT_ROUTES = new Map<string, Route>();
for (const dialect of DIALECTS) {
  for (const [key, handler] of Object.entries(dialect.routes)) EXACT_ROUTES.set(key, { handler, dialect });
}

function findRoute(method: string, path: string): Route | undefined {
  const exact = EXACT_ROUTES.get(`${method} ${path}`);
  if (exact) return exact;
  for (const dialect of DIALECTS) {
    const handler = dialect.match?.(method, path);
    if (handler) return { handler, dialect };
  }
  return undefined;
}

/** The dialect whose error format suits a path, routed or not. */
function dialectFor(path: string): Dialect {
  return DIALECTS.find((d) => d.owns?.(path)) ?? DEFAULT_DIALECT;
}

const NO_QUERY = new URLSearchParams();

/** Mutable simulator state shared by the request handler, the control API and the Simulator object. */
class SimState {
  readonly profiles = new Map<string, Scenario>();
  readonly dice = new FaultDice();
  readonly log: RequestLog;
  readonly fixtures: FixtureStore;
  readonly defaults: Scenario;
  seq = 0;

  constructor(readonly opts: SimulatorOptions) {
    this.defaults = parseScenario(opts.defaults ?? {}, 'options.defaults');
    for (const [name, s] of Object.entries(opts.profiles ?? {})) this.profiles.set(name, parseScenario(s, `profile '${name}'`));
    this.log = new RequestLog(opts.logRequests ?? 200);
    this.fixtures = new FixtureStore(opts.fixturesDir ?? defaultFixturesDir());
  }

  setProfile(name: string, s: unknown): Scenario {
    const parsed = parseScenario(s, `profile '${name}'`);
    this.profiles.set(name, parsed);
    this.dice.reset(name);
    return parsed;
  }
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const state = new SimState(opts);
  const server = createServer((req, res) => {
    handle(state, req, res).catch((err: unknown) => fail(state, req, res, err));
  });
  // Benchmark clients keep connections open; do not let Node's 5 s default drop them between bursts.
  server.keepAliveTimeout = 60_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hung and stalled responses would otherwise keep close() waiting forever.
        server.closeAllConnections();
      }),
    requests: () => state.log.list(),
    clearRequests: () => state.log.clear(),
    setProfile: (name, s) => void state.setProfile(name, s),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

class BodyTooLarge extends Error {}

/** `/p/<profile>/rest` → the profile and the API path; other paths have profile ''. */
function splitProfile(fullPath: string): { profile: string; path: string } {
  if (!fullPath.startsWith('/p/')) return { profile: '', path: fullPath };
  const slash = fullPath.indexOf('/', 3);
  let profile = slash < 0 ? fullPath.slice(3) : fullPath.slice(3, slash);
  try {
    profile = decodeURIComponent(profile);
  } catch {
    // A malformed escape is kept as written: it only names a profile.
  }
  return { profile, path: slash < 0 ? '/' : fullPath.slice(slash) };
}

async function handle(state: SimState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const fullPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  if (fullPath.startsWith('/_sim/')) return control(state, req, res, method, fullPath);
  const query = q < 0 ? NO_QUERY : new URLSearchParams(rawUrl.slice(q + 1));

  const { profile, path } = splitProfile(fullPath);

  const text = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);
  let body: unknown;
  let invalidJson = false;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
      invalidJson = true;
    }
  }
  let entry: RecordedRequest | undefined;
  if (state.log.enabled) {
    const masked = maskHeaders(req.headers);
    // The path is logged without its query string, so a Gemini `key=` never reaches the log.
    const hasAuth = masked.hasAuth || query.has('key');
    entry = { method, path: fullPath, profile, headers: masked.headers, hasAuth, body, receivedAt: Date.now() };
    state.log.push(entry);
  }

  const route = findRoute(method, path);
  const ctx = makeContext(state, req, res, path, query, profile, body, entry);
  if (!route) {
    dialectFor(path).sendError(ctx, { status: 404, message: `Invalid URL (${method} ${path})` });
    return;
  }
  const dialect = route.dialect;
  const refused = (state.opts.requireAuth ? dialect.authError(ctx) : undefined) ?? dialect.headerError?.(ctx);
  if (refused) {
    dialect.sendError(ctx, refused);
    return;
  }
  if (invalidJson) {
    dialect.sendError(ctx, { status: 400, message: dialect.invalidJsonMessage });
    return;
  }
  try {
    await route.handler(ctx);
  } catch (err) {
    if (err instanceof ScenarioError) dialect.sendError(ctx, { status: 400, message: err.message, code: 'invalid_sim_scenario' });
    else if (err instanceof AnswerError) dialect.sendError(ctx, { status: 400, message: err.message, param: err.param });
    else throw err;
  }
}

function makeContext(
  state: SimState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  profile: string,
  body: unknown,
  entry?: RecordedRequest,
): SimContext {
  const seq = ++state.seq;
  return {
    req,
    res,
    path,
    query,
    profile,
    body,
    seq,
    fixtures: state.fixtures,
    annotate(fields) {
      if (entry) Object.assign(entry, fields);
    },
    scenario(directiveText) {
      const header = req.headers['x-sim-scenario'];
      let fromHeader: Scenario | undefined;
      if (typeof header === 'string' && header.length > 0) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(header);
        } catch {
          throw new ScenarioError('x-sim-scenario header: invalid JSON');
        }
        fromHeader = parseScenario(parsed, 'x-sim-scenario header');
      }
      const directive = directiveText ? extractDirective(directiveText) : undefined;
      const merged = mergeScenarios(state.defaults, state.profiles.get(profile), directive, fromHeader);
      return applyFaultRate(merged, state.dice, profile);
    },
  };
}

/** The last resort: a handler threw something unexpected; answer 500 (or 413) if nothing was sent yet. */
function fail(state: SimState, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const { path } = splitProfile(q < 0 ? rawUrl : rawUrl.slice(0, q));
  const ctx = makeContext(state, req, res, path, NO_QUERY, '', undefined);
  const dialect = dialectFor(path);
  if (err instanceof BodyTooLarge) {
    dialect.sendError(ctx, { status: 413, message: 'Request body too large.' });
    return;
  }
  console.error('switchboard sim: request failed:', err);
  dialect.sendError(ctx, { status: 500, message: 'Simulator internal error.' });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = value === undefined ? '' : JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json' }).end(body);
}

/** `/_sim/…`: health, the request log and profile updates, for tests and the bench harness. */
async function control(state: SimState, req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
  if (path === '/_sim/health' && method === 'GET') return sendJson(res, 200, { status: 'ok' });
  if (path === '/_sim/requests') {
    if (method === 'GET') return sendJson(res, 200, state.log.list());
    if (method === 'DELETE') {
      state.log.clear();
      return sendJson(res, 204, undefined);
    }
  }
  if (path === '/_sim/profiles' && method === 'GET') return sendJson(res, 200, Object.fromEntries(state.profiles));
  if (path.startsWith('/_sim/profiles/') && method === 'PUT') {
    const name = decodeURIComponent(path.slice('/_sim/profiles/'.length));
    let parsed: unknown;
    try {
      parsed = JSON.parse((await readBody(req)) || '{}');
    } catch {
      return sendJson(res, 400, { error: { message: 'invalid JSON', type: 'invalid_request_error', param: null, code: null } });
    }
    try {
      return sendJson(res, 200, { name, scenario: state.setProfile(name, parsed) });
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      return sendJson(res, 400, { error: { message: err.message, type: 'invalid_request_error', param: null, code: 'invalid_sim_scenario' } });
    }
  }
  sendJson(res, 404, { error: { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null } });
}
