import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type ApiModule = typeof import('./api');

interface Call {
  url: string;
  init: RequestInit;
}

let calls: Call[];
let answers: Response[];
let mod: ApiModule;

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const headersOf = (call: Call | undefined): Record<string, string> => (call?.init.headers ?? {}) as Record<string, string>;

beforeEach(async () => {
  calls = [];
  answers = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const next = answers.shift();
    if (!next) throw new Error(`unexpected request ${init.method} ${url}`);
    return next;
  });
  // Fresh module state (the CSRF token lives in the module) for every test.
  vi.resetModules();
  mod = await import('./api');
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const SESSION = { role: 'admin', csrfToken: 'csrf-123', expiresAt: '2030-01-01T00:00:00.000Z' };

describe('the API client', () => {
  it('sends the credential only in the body of POST /admin/session, then the CSRF token on every change', async () => {
    answers.push(json(200, SESSION), json(200, { data: [] }), json(201, { id: 'blk_1' }), json(200, { id: 'key_1', revoked: true }));
    const session = await mod.signIn('sk-admin-secret');
    expect(session.role).toBe('admin');

    const [signInCall] = calls;
    expect(signInCall!.url).toBe('/admin/session');
    expect(signInCall!.url).not.toContain('sk-admin-secret');
    expect(signInCall!.init.method).toBe('POST');
    expect(JSON.parse(String(signInCall!.init.body))).toEqual({ credential: 'sk-admin-secret' });
    expect(signInCall!.init.credentials).toBe('same-origin');

    await mod.api.keys();
    await mod.api.createBlock({ provider: 'deepseek' });
    await mod.api.revokeKey('key_1');
    expect(headersOf(calls[1])['x-csrf-token']).toBeUndefined();
    expect(headersOf(calls[2])['x-csrf-token']).toBe('csrf-123');
    expect(headersOf(calls[3])['x-csrf-token']).toBe('csrf-123');
    expect(calls[3]!.init.method).toBe('DELETE');
    // A DELETE without a body sends no content-type (Fastify refuses an empty JSON body).
    expect(headersOf(calls[3])['content-type']).toBeUndefined();
    for (const c of calls) {
      expect(c.init.credentials).toBe('same-origin');
      expect(c.url).not.toContain('sk-admin-secret');
    }
  });

  it('reports a refused sign-in as an error without ending any session', async () => {
    const ended = vi.fn();
    mod.onUnauthorized(ended);
    answers.push(json(401, { error: { message: 'invalid admin credential', type: 'authentication_error', code: 'unauthorized' } }));
    const refusal = await mod.signIn('wrong').catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(mod.ApiError);
    expect((refusal as InstanceType<ApiModule['ApiError']>).code).toBe('unauthorized');
    expect(ended).not.toHaveBeenCalled();
    expect(mod.hasCsrfToken()).toBe(false);
  });

  it('ends the session on a 401 from any other call and forgets the CSRF token', async () => {
    const ended = vi.fn();
    mod.onUnauthorized(ended);
    answers.push(json(200, SESSION), json(401, { error: { message: 'session expired', code: 'unauthorized' } }));
    await mod.signIn('sk-admin-secret');
    expect(mod.hasCsrfToken()).toBe(true);
    await expect(mod.api.keys()).rejects.toMatchObject({ status: 401 });
    expect(ended).toHaveBeenCalledTimes(1);
    expect(mod.hasCsrfToken()).toBe(false);
  });

  it('restores a session after a reload from GET /admin/session, and answers null without one', async () => {
    answers.push(json(200, { ...SESSION, role: 'viewer', csrfToken: 'csrf-restored' }), json(204, undefined));
    const restored = await mod.currentSession();
    expect(restored?.role).toBe('viewer');
    expect(calls[0]!.init.method).toBe('GET');
    await mod.signOut();
    expect(headersOf(calls[1])['x-csrf-token']).toBe('csrf-restored');

    answers.push(json(401, { error: { message: 'no session', code: 'unauthorized' } }));
    expect(await mod.currentSession()).toBeNull();
  });

  it('passes the admin_disabled refusal on with its hint', async () => {
    answers.push(json(403, { error: { message: 'the admin API is off: set SWITCHBOARD_ADMIN_KEY', code: 'admin_disabled' } }));
    await expect(mod.currentSession()).rejects.toMatchObject({ status: 403, code: 'admin_disabled', message: expect.stringContaining('SWITCHBOARD_ADMIN_KEY') });
  });

  it('forgets the CSRF token on sign-out even when the gateway fails', async () => {
    answers.push(json(200, SESSION), json(500, { error: { message: 'boom', code: 'internal_error' } }));
    await mod.signIn('sk-admin-secret');
    await expect(mod.signOut()).rejects.toMatchObject({ status: 500 });
    expect(mod.hasCsrfToken()).toBe(false);
  });

  it('names an error without a JSON body by its status', async () => {
    answers.push(new Response('<html>bad gateway</html>', { status: 502 }));
    await expect(mod.api.policies()).rejects.toMatchObject({ status: 502, code: 'http_502' });
  });

  it('builds query strings from the defined, non-empty parameters only', () => {
    expect(mod.withQuery('/admin/requests', { keyId: 'key_1', model: '', status: undefined, limit: 50 })).toBe('/admin/requests?keyId=key_1&limit=50');
    expect(mod.withQuery('/admin/blocks', { all: undefined })).toBe('/admin/blocks');
    expect(mod.withQuery('/admin/usage', { groupBy: 'model', from: '2026-01-01T00:00:00.000Z' })).toBe('/admin/usage?groupBy=model&from=2026-01-01T00%3A00%3A00.000Z');
  });
});
