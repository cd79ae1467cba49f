import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultUiRoot, packageRoot, registerUi } from '../../src/server/ui.js';
import { startStack } from '../support/stack.js';

const INDEX = '<!doctype html><html><body><div id="root">switchboard test ui</div></body></html>';
const ASSET = 'console.log("asset");';
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

let dir: string;

/** An app shaped like the gateway's where it matters here: a hook on every request and the API's own 404. */
async function appServing(root: string): Promise<FastifyInstance> {
  const app = Fastify();
  app.addHook('onRequest', async (_req, reply) => {
    void reply.header('x-api-hook', 'ran');
  });
  app.setNotFoundHandler((_req, reply) => void reply.code(404).send({ error: { code: 'not_found' } }));
  app.get('/v1/models', async () => ({ data: [] }));
  registerUi(app, { root });
  await app.ready();
  return app;
}

function expectSecurityHeaders(headers: Record<string, unknown>): void {
  expect(headers['content-security-policy']).toBe(CSP);
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['x-frame-options']).toBe('DENY');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-ui-'));
  mkdirSync(join(dir, 'built', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'built', 'index.html'), INDEX);
  writeFileSync(join(dir, 'built', 'assets', 'app-3f9a2c.js'), ASSET);
  writeFileSync(join(dir, 'built', '.env'), 'SECRET=dotfile');
  writeFileSync(join(dir, 'outside.txt'), 'outside the root');
  mkdirSync(join(dir, 'empty'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the built dashboard', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await appServing(join(dir, 'built'));
  });
  afterAll(async () => {
    await app.close();
  });

  it('serves index.html at /ui and /ui/, revalidated every time', async () => {
    const bare = await app.inject({ method: 'GET', url: '/ui' });
    expect(bare.statusCode).toBe(200);
    expect(bare.body).toBe(INDEX);
    expect(bare.headers['cache-control']).toBe('no-cache');
    expectSecurityHeaders(bare.headers);

    const index = await app.inject({ method: 'GET', url: '/ui/' });
    expect(index.statusCode).toBe(200);
    expect(index.body).toBe(INDEX);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['x-api-hook']).toBe('ran');
    expectSecurityHeaders(index.headers);

    const direct = await app.inject({ method: 'GET', url: '/ui/index.html' });
    expect(direct.statusCode).toBe(200);
    expect(direct.headers['cache-control']).toBe('no-cache');
  });

  it('serves hashed assets as immutable', async () => {
    const res = await app.inject({ method: 'GET', url: '/ui/assets/app-3f9a2c.js' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(ASSET);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expectSecurityHeaders(res.headers);
    const head = await app.inject({ method: 'HEAD', url: '/ui/assets/app-3f9a2c.js' });
    expect(head.statusCode).toBe(200);
  });

  it('answers the app\'s own routes with index.html (SPA fallback)', async () => {
    for (const url of ['/ui/keys', '/ui/keys/key_123', '/ui/providers?since=7d']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(INDEX);
      expect(res.headers['cache-control']).toBe('no-cache');
      expectSecurityHeaders(res.headers);
    }
  });

  it('keeps missing files 404, under assets/ with or without an extension', async () => {
    for (const url of ['/ui/assets/gone-000000.js', '/ui/assets/gone', '/ui/assets', '/ui/favicon.ico', '/ui/.env']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('switchboard test ui');
      expect(res.body).not.toContain('SECRET');
      expectSecurityHeaders(res.headers);
    }
    const post = await app.inject({ method: 'POST', url: '/ui/keys', payload: {} });
    expect(post.statusCode).toBe(404);
  });

  it('serves nothing outside its directory', async () => {
    for (const url of ['/ui/../outside.txt', '/ui/%2e%2e/outside.txt', '/ui/assets/..%2f..%2foutside.txt']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain('outside the root');
    }
  });

  it('leaves the API\'s routes and 404s alone', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/models' })).json()).toEqual({ data: [] });
    const missing = await app.inject({ method: 'GET', url: '/v1/nothing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'not_found' } });
    expect(missing.headers['content-security-policy']).toBeUndefined();
  });
});

describe('a dashboard that is not built', () => {
  it('answers 503 with a page that says to run npm run build', async () => {
    const app = await appServing(join(dir, 'empty'));
    try {
      for (const url of ['/ui', '/ui/', '/ui/keys', '/ui/assets/app.js']) {
        const res = await app.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(503);
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(res.body).toContain('npm run build');
        expectSecurityHeaders(res.headers);
      }
      expect((await app.inject({ method: 'GET', url: '/v1/models' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('a gateway without an admin key', () => {
  it('answers 403 on every dashboard page with the hint to set one, like the admin API', async () => {
    const stack = await startStack();
    try {
      for (const url of ['/ui', '/ui/', '/ui/keys']) {
        const res = await fetch(`${stack.url}${url}`);
        expect(res.status, url).toBe(403);
        expect(await res.text()).toContain('SWITCHBOARD_ADMIN_KEY');
        expect(res.headers.get('content-security-policy')).toBe(CSP);
      }
      expect((await fetch(`${stack.url}/admin/keys`)).status).toBe(403);
    } finally {
      await stack.close();
    }
  });
});

describe('the gateway', () => {
  it('finds the package root from the module and serves /ui without a credential', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
    expect(packageRoot()).toBe(root);
    expect(defaultUiRoot()).toBe(join(root, 'dist', 'ui'));

    const stack = await startStack({ env: { SWITCHBOARD_ADMIN_KEY: 'sk-admin-dashboard-ui-test-0001' } });
    try {
      const built = existsSync(join(defaultUiRoot(), 'index.html'));
      const res = await fetch(`${stack.url}/ui/`);
      expect(res.status).toBe(built ? 200 : 503);
      expect(res.headers.get('content-security-policy')).toBe(CSP);
      expect(res.headers.get('x-request-id')).toBeTruthy();
      const api = await fetch(`${stack.url}/v1/nothing`);
      expect(api.status).toBe(404);
      expect(((await api.json()) as { error: { code: string } }).error.code).toBe('not_found');
      expect((await fetch(`${stack.url}/admin/keys`)).status).toBe(401);
    } finally {
      await stack.close();
    }
  });
});
