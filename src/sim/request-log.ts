/**
 * The last N requests the simulator received, so tests can assert what the gateway actually sent
 * upstream (body translation, headers, which profile/host was hit). Credentials are masked on the way in:
 * the log is served over HTTP by the control API.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { PrefillMode } from './answer.js';

export interface RecordedRequest {
  method: string;
  /** The path as received, profile prefix included, query string removed. */
  path: string;
  /** The profile selected by `/p/<name>`, '' for none. */
  profile: string;
  /** Request headers; `authorization` reads `Bearer ***` and other key headers `***`. */
  headers: Record<string, string | string[] | undefined>;
  /** Whether any credential was sent (`Authorization: Bearer …`, `x-api-key`, `x-goog-api-key`, `api-key`). */
  hasAuth: boolean;
  /** The parsed JSON body; the raw text when it was not JSON; undefined when empty. */
  body: unknown;
  /** Epoch milliseconds. */
  receivedAt: number;
  /**
   * Set when the request asked to continue a final assistant turn: how it said so, the prefill text as
   * received, and whether that text (trailing whitespace trimmed) began the natural answer. A `false` means the
   * host answered in full instead of continuing: the gateway sent a prefill the first host never produced.
   * Recorded also when the scenario's `prefill: 'reject'` refused the request.
   */
  prefill?: RecordedPrefill;
}

export interface RecordedPrefill {
  mode: PrefillMode;
  text: string;
  matched: boolean;
}

const KEY_HEADERS = ['x-api-key', 'x-goog-api-key', 'api-key'];

/** True when the request carries `Authorization: Bearer <token>`. */
export function hasBearer(headers: IncomingHttpHeaders): boolean {
  const auth = headers.authorization;
  return typeof auth === 'string' && /^Bearer\s+\S/i.test(auth);
}

export function maskHeaders(headers: IncomingHttpHeaders): { headers: RecordedRequest['headers']; hasAuth: boolean } {
  const out: RecordedRequest['headers'] = { ...headers };
  let hasAuth = hasBearer(headers);
  if (out.authorization !== undefined) out.authorization = /^Bearer\s/i.test(String(out.authorization)) ? 'Bearer ***' : '***';
  for (const k of KEY_HEADERS) {
    if (out[k] !== undefined) {
      out[k] = '***';
      hasAuth = true;
    }
  }
  return { headers: out, hasAuth };
}

/** A fixed-size ring: recording costs one slot write, never an array shift. */
export class RequestLog {
  private readonly slots: RecordedRequest[] = [];
  private next = 0;

  constructor(private readonly limit: number) {}

  get enabled(): boolean {
    return this.limit > 0;
  }

  push(entry: RecordedRequest): void {
    if (this.limit <= 0) return;
    if (this.slots.length < this.limit) this.slots.push(entry);
    else this.slots[this.next] = entry;
    this.next = (this.next + 1) % this.limit;
  }

  /** Oldest first. */
  list(): RecordedRequest[] {
    if (this.slots.length < this.limit) return this.slots.slice();
    return [...this.slots.slice(this.next), ...this.slots.slice(0, this.next)];
  }

  clear(): void {
    this.slots.length = 0;
    this.next = 0;
  }
}
