import { existsSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../canonical/errors.js';

/**
 * The dashboard at `/ui`: the files Vite builds into `dist/ui/`, served as they are. It needs no credential (it
 * holds the sign-in page); the data it shows comes from the admin API, which does. See docs/dashboard.md.
 */

export interface UiOptions {
  /** The directory holding the built dashboard (`index.html`, `assets/`); default `dist/ui` of the package. */
  root?: string;
  /** No admin key is configured: the admin API is off, so the dashboard answers 403 with the hint. */
  adminDisabled?: boolean;
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Vite names every file under assets/ after its content: a changed file is a new URL, so it may be cached forever. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Everything else (index.html first) must be revalidated, or a browser keeps asking for assets that are gone. */
const REVALIDATE = 'no-cache';
const ASSETS_PREFIX = '/ui/assets/';

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard dashboard not built</title></head>
<body><h1>The dashboard is not built</h1>
<p>Run <code>npm run build</code> in the Switchboard checkout, then restart the gateway.</p></body></html>
`;

const ADMIN_OFF_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard dashboard is off</title></head>
<body><h1>The dashboard is off</h1>
<p>No admin key is configured, so the admin API and this dashboard are off. Set <code>SWITCHBOARD_ADMIN_KEY</code>
(or the variable <code>admin.apiKeyEnv</code> names) and restart the gateway; then sign in here with that key.</p></body></html>
`;

/** The directory holding package.json, found from this file (src/server under tests, dist/server when built). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export function defaultUiRoot(): string {
  return join(packageRoot(), 'dist', 'ui');
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** A client-side route of the single-page app (`/ui/keys/key_1`), as opposed to a file that is missing. */
function isAppRoute(req: FastifyRequest): boolean {
  const path = pathOf(req.url);
  if ((req.method !== 'GET' && req.method !== 'HEAD') || `${path}/`.startsWith(ASSETS_PREFIX)) return false;
  const last = path.slice(path.lastIndexOf('/') + 1);
  return !last.includes('.');
}

function sendIndex(reply: FastifyReply, root: string): FastifyReply {
  void reply.header('cache-control', REVALIDATE);
  return reply.sendFile('index.html', root, { cacheControl: false });
}

function sendNotFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
}

/** Errors under /ui are pages, not API errors: a status and a line of text (the log has the details). */
function sendError(err: FastifyError | GatewayError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = err instanceof GatewayError ? err.status : err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  if (status >= 500 && !(err instanceof GatewayError)) req.log.error({ err }, 'dashboard file could not be served');
  return reply.code(status).type('text/plain; charset=utf-8').send(err instanceof GatewayError ? `${err.message}\n` : `${status === 500 ? 'Internal error' : 'Request refused'}\n`);
}

async function uiRoutes(scope: FastifyInstance, root: string, adminDisabled: boolean): Promise<void> {
  // The request id as well: the scope's own 404 and error answers come from no route handler (see app.ts).
  scope.addHook('onRequest', async (req, reply) => {
    void reply.headers(SECURITY_HEADERS).header('x-request-id', req.id);
  });
  scope.setErrorHandler(sendError);

  if (adminDisabled) {
    const off = async (_req: FastifyRequest, reply: FastifyReply) => reply.code(403).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(ADMIN_OFF_PAGE);
    scope.get('/', off);
    scope.get('/*', off);
    scope.setNotFoundHandler(off);
    return;
  }

  if (!existsSync(join(root, 'index.html'))) {
    const notBuilt = async (_req: FastifyRequest, reply: FastifyReply) => reply.code(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    scope.get('/', notBuilt);
    scope.get('/*', notBuilt);
    scope.setNotFoundHandler(notBuilt);
    return;
  }

  await scope.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: true,
    index: false,
    cacheControl: false,
    // Only what the build put there: no dotfiles, no directory listings.
    dotfiles: 'ignore',
    list: false,
    setHeaders: (reply, path) => {
      void reply.header('cache-control', path.startsWith(join(root, 'assets') + sep) ? IMMUTABLE : REVALIDATE);
    },
  });
  // `/ui` itself is the page (the contract's address), as is `/ui/`: the build's URLs are absolute (`/ui/assets/…`)
  // and the app routes by the hash, so no redirect is needed.
  scope.route({ method: 'GET', url: '/', handler: async (_req, reply) => sendIndex(reply, root) });
  // A missing file with no extension is one of the app's own routes: the app itself decides what to show.
  scope.setNotFoundHandler(async (req, reply) => (isAppRoute(req) ? sendIndex(reply, root) : sendNotFound(reply)));
}

/**
 * Serves the dashboard under `/ui` in its own scope, so the API's hooks, errors and 404s stay as they are. Whether
 * the build exists is decided at start: build, then (re)start the gateway.
 */
export function registerUi(app: FastifyInstance, options: UiOptions = {}): void {
  const root = resolve(options.root ?? defaultUiRoot());
  void app.register(async (scope) => uiRoutes(scope, root, options.adminDisabled ?? false), { prefix: '/ui' });
}
