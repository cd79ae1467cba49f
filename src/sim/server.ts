/**
 * The simulator's HTTP server: plain node:http (it is the upstream in throughput benchmarks, so no
 * framework), routing by path to a dialect, `/p/<profile>/…` prefixes that let one port play many
 * providers, the `/_sim/…` control API, scenario layering and the request log.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AnswerError } from './answer.js';
import type { Dialect, RouteHandler, SimContext } from './context.js';
import { openaiDialect } from './dialects/openai.js';
import { defaultFixturesDir, FixtureStore } from './replay.js';
import { hasBearer, maskHeaders, RequestLog, type RecordedRequest } from './request-log.js';
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
  /** Answer 401 when no `Authorization: Bearer …` is sent. */
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

/** Dialects in routing order; Anthropic and Gemini join here. */
const DIALECTS: Dialect[] = [openaiDialect];
/** Unknown paths and control-API errors are reported in OpenAI's format. */
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

async function handle(state: SimState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const fullPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  if (fullPath.startsWith('/_sim/')) return control(state, req, res, method, fullPath);

  let profile = '';
  let path = fullPath;
  if (fullPath.startsWith('/p/')) {
    const slash = fullPath.indexOf('/', 3);
    profile = decodeURIComponent(slash < 0 ? fullPath.slice(3) : fullPath.slice(3, slash));
    path = slash < 0 ? '/' : fullPath.slice(slash);
  }

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
  if (state.log.enabled) {
    const masked = maskHeaders(req.headers);
    state.log.push({ method, path: fullPath, profile, headers: masked.headers, hasAuth: masked.hasAuth, body, receivedAt: Date.now() });
  }

  const route = findRoute(method, path);
  const ctx = makeContext(state, req, res, path, profile, body);
  const dialect = route?.dialect ?? DEFAULT_DIALECT;
  if (!route) {
    dialect.sendError(ctx, { status: 404, message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error' });
    return;
  }
  if (state.opts.requireAuth && !hasBearer(req.headers)) {
    dialect.sendError(ctx, {
      status: 401,
      message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      type: 'invalid_request_error',
    });
    return;
  }
  if (invalidJson) {
    dialect.sendError(ctx, { status: 400, message: 'We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly.)', type: 'invalid_request_error' });
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

function makeContext(state: SimState, req: IncomingMessage, res: ServerResponse, path: string, profile: string, body: unknown): SimContext {
  const seq = ++state.seq;
  return {
    req,
    res,
    path,
    profile,
    body,
    seq,
    fixtures: state.fixtures,
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
  const ctx = makeContext(state, req, res, req.url ?? '/', '', undefined);
  if (err instanceof BodyTooLarge) {
    DEFAULT_DIALECT.sendError(ctx, { status: 413, message: 'Request body too large.' });
    return;
  }
  console.error('switchboard sim: request failed:', err);
  DEFAULT_DIALECT.sendError(ctx, { status: 500, message: 'Simulator internal error.' });
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
