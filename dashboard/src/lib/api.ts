import type {
  Block,
  BlockBody,
  CreateKeyBody,
  CreatedKey,
  DrillBody,
  DrillResult,
  ListOf,
  PatchKeyBody,
  PolicyEntry,
  DataClassEntry,
  ProviderHost,
  RequestFilter,
  RequestRecord,
  RowsOf,
  Session,
  Team,
  TopBy,
  UsageQuery,
  UsageRow,
  VirtualKey,
} from './api-types';

/**
 * The admin API client. The sign-in credential travels once, in the body of POST /admin/session; from then on the
 * browser's HttpOnly session cookie authenticates, and the CSRF token lives only in this module's memory (never in
 * storage, a cookie written by script, or a URL), so a reload asks GET /admin/session for it again.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The gateway's error code (`unauthorized`, `forbidden`, `admin_disabled`, `csrf_failed`, …). */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken: string | undefined;
let unauthorizedListener: (() => void) | undefined;

/** Called whenever the gateway answers 401 outside the sign-in exchange: the session has ended. */
export function onUnauthorized(listener: (() => void) | undefined): void {
  unauthorizedListener = listener;
}

export function hasCsrfToken(): boolean {
  return csrfToken !== undefined;
}

interface CallOptions {
  signal?: AbortSignal;
  /** A 401 here is an expected answer (a wrong credential, no session yet), not the end of a session. */
  expectUnauthorized?: boolean;
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorFrom(status: number, payload: unknown): ApiError {
  const error = (payload as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : `http_${status}`;
  const message = typeof error?.message === 'string' ? error.message : `the gateway answered ${status}`;
  return new ApiError(status, code, message);
}

async function call<T>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (CHANGES.has(method) && csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
    signal: options.signal,
  });
  const payload = await readJson(res);
  if (!res.ok) {
    if (res.status === 401 && !options.expectUnauthorized) {
      csrfToken = undefined;
      unauthorizedListener?.();
    }
    throw errorFrom(res.status, payload);
  }
  return payload as T;
}

/** `/admin/x` plus the defined, non-empty parameters as a query string. */
export function withQuery(path: string, params: Record<string, string | number | boolean | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === '') continue;
    query.set(name, String(value));
  }
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

function remember(session: Session): Session {
  csrfToken = session.csrfToken;
  return session;
}

// -- session -----------------------------------------------------------------------------------------------------

export async function signIn(credential: string): Promise<Session> {
  return remember(await call<Session>('POST', '/admin/session', { credential }, { expectUnauthorized: true }));
}

/** The session the cookie holds, or null when there is none (not signed in, or it expired). */
export async function currentSession(signal?: AbortSignal): Promise<Session | null> {
  try {
    return remember(await call<Session>('GET', '/admin/session', undefined, { signal, expectUnauthorized: true }));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export async function signOut(): Promise<void> {
  try {
    await call<void>('DELETE', '/admin/session', undefined, { expectUnauthorized: true });
  } finally {
    csrfToken = undefined;
  }
}

// -- reads and changes -------------------------------------------------------------------------------------------

type Signal = AbortSignal | undefined;

export const api = {
  usage: (q: UsageQuery, signal?: Signal) => call<RowsOf<UsageRow>>('GET', withQuery('/admin/usage', { ...q }), undefined, { signal }),
  topModels: (q: { by: TopBy; from: string; to?: string; limit: number }, signal?: Signal) =>
    call<RowsOf<UsageRow>>('GET', withQuery('/admin/usage/top', { groupBy: 'model', ...q }), undefined, { signal }),

  keys: (signal?: Signal) => call<ListOf<VirtualKey>>('GET', '/admin/keys', undefined, { signal }),
  createKey: (body: CreateKeyBody) => call<CreatedKey>('POST', '/admin/keys', body),
  patchKey: (id: string, body: PatchKeyBody) => call<VirtualKey>('PATCH', `/admin/keys/${encodeURIComponent(id)}`, body),
  revokeKey: (id: string) => call<{ id: string; revoked: boolean }>('DELETE', `/admin/keys/${encodeURIComponent(id)}`),
  teams: (signal?: Signal) => call<ListOf<Team>>('GET', '/admin/teams', undefined, { signal }),

  policies: (signal?: Signal) => call<ListOf<PolicyEntry>>('GET', '/admin/policies', undefined, { signal }),
  dataClasses: (signal?: Signal) => call<ListOf<DataClassEntry>>('GET', '/admin/data-classes', undefined, { signal }),
  blocks: (all: boolean, signal?: Signal) => call<ListOf<Block>>('GET', withQuery('/admin/blocks', { all: all ? 1 : undefined }), undefined, { signal }),
  createBlock: (body: BlockBody) => call<Block>('POST', '/admin/blocks', body),
  removeBlock: (id: string) => call<Block>('DELETE', `/admin/blocks/${encodeURIComponent(id)}`),

  providers: (since: string, signal?: Signal) => call<ListOf<ProviderHost>>('GET', withQuery('/admin/providers', { since }), undefined, { signal }),

  requests: (filter: RequestFilter, signal?: Signal) => call<ListOf<RequestRecord>>('GET', withQuery('/admin/requests', { ...filter }), undefined, { signal }),
  request: (id: string, signal?: Signal) => call<RequestRecord>('GET', `/admin/requests/${encodeURIComponent(id)}`, undefined, { signal }),

  drill: (body: DrillBody) => call<DrillResult>('POST', '/admin/drills', body),
};
