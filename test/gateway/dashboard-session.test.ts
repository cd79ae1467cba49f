import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_LIFETIME_MS, csrfTokenFor, issueSession, readSession } from '../../src/server/admin/session-cookie.js';
import { startStack, type Stack } from '../support/stack.js';

const ADMIN = 'sk-admin-dashboard-session-test-0001';
let stack: Stack;
/** Every response body this file received, to check that the admin key never came back. */
const bodies: string[] = [];

interface Answer {
  status: number;
  body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  setCookies: string[];
}

async function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; url?: string } = {}): Promise<Answer> {
  const res = await fetch(`${options.url ?? stack.url}${path}`, {
    method,
    headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, setCookies: res.headers.getSetCookie() };
}

interface Session {
  cookie: string;
  csrfToken: string;
  role: string;
  setCookie: string;
}

async function signIn(credential: string, url?: string): Promise<Session> {
  const res = await call('POST', '/admin/session', { body: { credential }, url });
  expect(res.status).toBe(200);
  const setCookie = res.setCookies.find((c) => c.startsWith('sb_session='));
  expect(setCookie).toBeDefined();
  return { cookie: setCookie!.split(';')[0]!, csrfToken: res.body.csrfToken as string, role: res.body.role as string, setCookie: setCookie! };
}

const withCookie = (s: Session, extra: Record<string, string> = {}) => ({ cookie: s.cookie, ...extra });
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** Person tokens created here: like the admin key, they must never reach the log. */
const tokens: string[] = [];

async function createToken(role: 'admin' | 'viewer', name: string): Promise<{ id: string; token: string }> {
  const res = await call('POST', '/admin/tokens', { body: { name, role }, headers: bearer(ADMIN) });
  expect(res.status).toBe(201);
  tokens.push(res.body.token as string);
  return { id: res.body.id as string, token: res.body.token as string };
}

beforeAll(async () => {
  stack = await startStack({ env: { SWITCHBOARD_ADMIN_KEY: ADMIN } });
});
afterAll(async () => {
  await stack?.close();
});

describe('signing in', () => {
  it('exchanges the admin key for an HttpOnly, SameSite=Strict session cookie and a CSRF token', async () => {
    const before = Date.now();
    const res = await call('POST', '/admin/session', { body: { credential: ADMIN } });
    expect(res.status).toBe(200);
    expect(res.body.role).toBe('admin');
    expect(res.body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expires = Date.parse(res.body.expiresAt as string);
    expect(expires).toBeGreaterThanOrEqual(before + SESSION_LIFETIME_MS);
    expect(expires).toBeLessThanOrEqual(Date.now() + SESSION_LIFETIME_MS);

    const cookie = res.setCookies.find((c) => c.startsWith('sb_session='))!;
    const attributes = cookie.split(';').map((a) => a.trim().toLowerCase());
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('samesite=strict');
    expect(attributes).toContain('path=/');
    // The gateway was reached over plain http: a Secure cookie would never be sent back.
    expect(attributes).not.toContain('secure');

    // The cookie carries who and until when, signed, but not the credential.
    const value = cookie.split(';')[0]!.slice('sb_session='.length);
    expect(value).not.toContain(ADMIN);
    const claims = JSON.parse(Buffer.from(value.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: 'admin-key', role: 'admin', exp: expires });
    expect(JSON.stringify(claims)).not.toContain(ADMIN);
  });

  it('refuses a wrong credential with 401 and sets no cookie', async () => {
    const res = await call('POST', '/admin/session', { body: { credential: 'sk-not-the-admin-key-000000000000' } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    expect(res.setCookies).toEqual([]);
    expect(JSON.stringify(res.body)).not.toContain('sk-not-the-admin-key');
  });

  it('refuses a malformed body without quoting it back', async () => {
    const res = await fetch(`${stack.url}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"credential": ${ADMIN}}` });
    const text = await res.text();
    bodies.push(text);
    expect(res.status).toBe(400);
    expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe('invalid_json');
    expect(text).not.toContain(ADMIN.slice(0, 8));
  });

  it('refuses a sign-in posted from another site', async () => {
    const res = await call('POST', '/admin/session', { body: { credential: ADMIN }, headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('csrf_failed');
    expect(res.setCookies).toEqual([]);
  });

  it('GET /admin/session answers the same session while the cookie is valid, 401 without it', async () => {
    const s = await signIn(ADMIN);
    const again = await call('GET', '/admin/session', { headers: withCookie(s) });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ role: 'admin', csrfToken: s.csrfToken });
    const other = await signIn(ADMIN);
    expect(other.csrfToken).not.toBe(s.csrfToken);
    expect((await call('GET', '/admin/session')).status).toBe(401);
  });
});

describe('the admin API with the session cookie', () => {
  it('reads without a CSRF token', async () => {
    const s = await signIn(ADMIN);
    const res = await call('GET', '/admin/keys', { headers: withCookie(s) });
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body.data)).toBe(true);
  });

  it('refuses a change without the CSRF token, or with another session\'s, and accepts it with its own', async () => {
    const s = await signIn(ADMIN);
    const other = await signIn(ADMIN);
    const missing = await call('POST', '/admin/keys', { body: { name: 'csrf-missing' }, headers: withCookie(s) });
    expect(missing.status).toBe(403);
    expect(missing.body.error.code).toBe('csrf_failed');
    const foreign = await call('POST', '/admin/keys', { body: { name: 'csrf-foreign' }, headers: withCookie(s, { 'x-csrf-token': other.csrfToken }) });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('csrf_failed');
    const ok = await call('POST', '/admin/keys', { body: { name: 'csrf-ok' }, headers: withCookie(s, { 'x-csrf-token': s.csrfToken }) });
    expect(ok.status).toBe(201);
    expect(ok.body.createdBy).toBe('admin-key');
  });

  it('refuses a change from another origin even with the right token; its own origin passes', async () => {
    const s = await signIn(ADMIN);
    const evil = await call('POST', '/admin/keys', { body: { name: 'origin-evil' }, headers: withCookie(s, { 'x-csrf-token': s.csrfToken, origin: 'https://evil.example' }) });
    expect(evil.status).toBe(403);
    expect(evil.body.error.code).toBe('csrf_failed');
    const sameHostOtherPort = await call('POST', '/admin/keys', { body: { name: 'origin-port' }, headers: withCookie(s, { 'x-csrf-token': s.csrfToken, origin: 'http://127.0.0.1:1' }) });
    expect(sameHostOtherPort.status).toBe(403);
    const own = await call('POST', '/admin/keys', { body: { name: 'origin-own' }, headers: withCookie(s, { 'x-csrf-token': s.csrfToken, origin: new URL(stack.url).origin }) });
    expect(own.status).toBe(201);
  });

  it('refuses a tampered or forged cookie with 401', async () => {
    const s = await signIn(ADMIN);
    const [payload, mac] = s.cookie.slice('sb_session='.length).split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const longer = Buffer.from(JSON.stringify({ ...claims, exp: (claims.exp as number) + 86_400_000 })).toString('base64url');
    // The first character carries six whole bits of the MAC (the last one has padding bits a decoder ignores).
    const flipped = `${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    const forged = issueSession('a-guessed-admin-key', 'admin-key', 'admin').value;
    for (const value of [`${longer}.${mac}`, `${payload}.${flipped}`, payload, forged, 'garbage']) {
      const res = await call('GET', '/admin/keys', { headers: { cookie: `sb_session=${value}` } });
      expect(res.status, value).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
  });

  it('lets an Authorization header take precedence over the cookie, without a CSRF token', async () => {
    const s = await signIn(ADMIN);
    const byBearer = await call('POST', '/admin/keys', { body: { name: 'bearer-wins' }, headers: { ...withCookie(s), ...bearer(ADMIN) } });
    expect(byBearer.status).toBe(201);
    // A wrong bearer credential is not rescued by a valid cookie.
    const wrong = await call('GET', '/admin/keys', { headers: { ...withCookie(s), ...bearer('sk-wrong-000000000000000000000') } });
    expect(wrong.status).toBe(401);
  });

  it('gives a viewer token\'s session reads only', async () => {
    const viewer = await createToken('viewer', 'dashboard-viewer');
    const s = await signIn(viewer.token);
    expect(s.role).toBe('viewer');
    expect((await call('GET', '/admin/keys', { headers: withCookie(s) })).status).toBe(200);
    const change = await call('POST', '/admin/keys', { body: { name: 'viewer-try' }, headers: withCookie(s, { 'x-csrf-token': s.csrfToken }) });
    expect(change.status).toBe(403);
    expect(change.body.error.code).toBe('forbidden');
    expect(s.cookie).not.toContain(viewer.token);
  });

  it('ends a token\'s session when the token is revoked', async () => {
    const person = await createToken('admin', 'dashboard-admin-person');
    const s = await signIn(person.token);
    expect((await call('GET', '/admin/keys', { headers: withCookie(s) })).status).toBe(200);
    const created = await call('POST', '/admin/keys', { body: { name: 'by-person' }, headers: withCookie(s, { 'x-csrf-token': s.csrfToken }) });
    expect(created.body.createdBy).toBe(person.id);
    expect((await call('DELETE', `/admin/tokens/${person.id}`, { headers: bearer(ADMIN) })).status).toBe(200);
    expect((await call('GET', '/admin/keys', { headers: withCookie(s) })).status).toBe(401);
    expect((await call('GET', '/admin/session', { headers: withCookie(s) })).status).toBe(401);
    expect((await call('POST', '/admin/session', { body: { credential: person.token } })).status).toBe(401);
  });
});

describe('signing out', () => {
  it('needs the CSRF token, then answers 204 with a cookie that clears the session', async () => {
    const s = await signIn(ADMIN);
    const refused = await call('DELETE', '/admin/session', { headers: withCookie(s) });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('csrf_failed');
    const res = await call('DELETE', '/admin/session', { headers: withCookie(s, { 'x-csrf-token': s.csrfToken }) });
    expect(res.status).toBe(204);
    const cleared = res.setCookies.find((c) => c.startsWith('sb_session='))!;
    expect(cleared.split(';')[0]).toBe('sb_session=');
    expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/);
    expect(cleared.toLowerCase()).toContain('path=/');
  });
});

describe('the session cookie format', () => {
  it('expires after 12 hours and only verifies under the admin key that issued it', () => {
    const { value, claims } = issueSession(ADMIN, 'admin-key', 'admin', 1_000);
    expect(readSession(ADMIN, value, 1_000 + SESSION_LIFETIME_MS - 1)).toEqual(claims);
    expect(readSession(ADMIN, value, 1_000 + SESSION_LIFETIME_MS)).toBeUndefined();
    expect(readSession(`${ADMIN}-rotated`, value, 1_000)).toBeUndefined();
    // The CSRF token is bound to the session's nonce and the admin key.
    const second = issueSession(ADMIN, 'admin-key', 'admin', 1_000);
    expect(csrfTokenFor(ADMIN, claims)).not.toBe(csrfTokenFor(ADMIN, second.claims));
    expect(csrfTokenFor(ADMIN, claims)).not.toBe(csrfTokenFor(`${ADMIN}-rotated`, claims));
  });
});

describe('other gateways', () => {
  it('a gateway with another admin key refuses this one\'s sessions; behind a TLS proxy the cookie is Secure', async () => {
    const s = await signIn(ADMIN);
    const rotated = await startStack({ env: { SWITCHBOARD_ADMIN_KEY: `${ADMIN}-rotated` }, yaml: 'server: { trustProxy: true }\n' });
    try {
      const res = await call('GET', '/admin/keys', { headers: withCookie(s), url: rotated.url });
      expect(res.status).toBe(401);
      const viaTls = await call('POST', '/admin/session', { body: { credential: `${ADMIN}-rotated` }, url: rotated.url, headers: { 'x-forwarded-proto': 'https' } });
      expect(viaTls.status).toBe(200);
      const cookie = viaTls.setCookies.find((c) => c.startsWith('sb_session='))!;
      expect(cookie.split(';').map((a) => a.trim().toLowerCase())).toContain('secure');
    } finally {
      await rotated.close();
    }
  });

  it('without an admin key, signing in answers 403 admin_disabled with its hint', async () => {
    const open = await startStack();
    try {
      const res = await call('POST', '/admin/session', { body: { credential: 'anything-at-all' }, url: open.url });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('admin_disabled');
      expect(res.body.error.message).toContain('SWITCHBOARD_ADMIN_KEY');
      expect((await call('GET', '/admin/session', { url: open.url })).status).toBe(403);
    } finally {
      await open.close();
    }
  });
});

describe('secrets', () => {
  it('never returns the admin key in a response nor writes it or a person token to the log', async () => {
    await stack.gateway.ledger.flush();
    expect(bodies.length).toBeGreaterThan(20);
    for (const body of bodies) expect(body).not.toContain(ADMIN);
    const log = stack.logs.join('');
    expect(log).not.toContain(ADMIN);
    expect(tokens.length).toBe(2);
    for (const token of tokens) expect(log).not.toContain(token);
    expect(log).toContain('dashboard session started');
  });
});
