import type { Dispatcher } from 'undici';
import { GatewayError } from '../../canonical/errors.js';
import type { ResolvedProvider } from '../../catalog/types.js';
import { readCapped, type AttemptControl } from './attempt.js';
import { transportError } from './errors.js';
import type { UpstreamHttp } from './http.js';

export interface JsonExchange {
  path: string;
  basePath?: string;
  headers: Record<string, string>;
  body: unknown;
  stream: boolean;
}

/** Maps a non-2xx answer to the dialect's error (each dialect words its errors its own way). */
export type HttpErrorMapper = (status: number, headers: Dispatcher.ResponseData['headers'], bodyText: string) => GatewayError;

/**
 * Sends one JSON request upstream under the attempt's control. Transport failures and non-2xx answers are thrown as
 * GatewayError (the error body read up to a cap); the attempt's timers are released on every failure path.
 */
export async function sendJson(http: UpstreamHttp, provider: ResolvedProvider, req: JsonExchange, control: AttemptControl, mapError: HttpErrorMapper): Promise<Dispatcher.ResponseData> {
  const t = provider.timeouts;
  let response: Dispatcher.ResponseData;
  try {
    response = await http.request(provider, {
      path: req.path,
      ...(req.basePath ? { basePath: req.basePath } : {}),
      headers: req.headers,
      body: JSON.stringify(req.body),
      signal: control.signal,
      // Without streaming the whole answer precedes the headers, so only the total deadline applies.
      headersTimeoutMs: req.stream ? t.firstTokenMs : t.totalMs,
      bodyTimeoutMs: t.idleMs,
    });
  } catch (err) {
    control.dispose();
    throw transportError(provider.id, err, control.transportReason, t);
  }
  if (response.statusCode < 200 || response.statusCode >= 300) {
    let text = '';
    try {
      text = await readCapped(response.body);
    } catch {
      // the status says enough
    }
    control.dispose();
    throw mapError(response.statusCode, response.headers, text);
  }
  return response;
}

/** Reads a whole JSON answer, then releases the attempt. */
export async function readJson(provider: ResolvedProvider, response: Dispatcher.ResponseData, control: AttemptControl): Promise<unknown> {
  try {
    const text = await response.body.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new GatewayError('upstream_malformed', `provider ${provider.id} returned a body that is not JSON`, { provider: provider.id });
    }
  } catch (err) {
    throw transportError(provider.id, err, control.transportReason, provider.timeouts);
  } finally {
    control.dispose();
  }
}
