/**
 * A draining gateway (SIGTERM, `close()`): requests already running finish; a request that still arrives on an open
 * connection is refused with 503 `shutting_down` and asked to close its connection; /ready answers 503 `draining`
 * (so that load balancers take the replica out). Every answer carries its request id.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits what a connection received into its responses (content-length or chunked bodies). */
function parseResponses(text: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    rest = rest.slice(end + 4);
    let body = '';
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        const size = parseInt(rest.slice(0, lineEnd), 16);
        body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
        rest = rest.slice(lineEnd + 2 + size + 2);
        if (size === 0) break;
      }
    } else {
      const length = Number(headers['content-length'] ?? 0);
      body = rest.slice(0, length);
      rest = rest.slice(length);
    }
    out.push({ status: Number(statusLine!.split(' ')[1]), headers, body });
  }
  return out;
}

function request(method: string, path: string, body?: unknown): string {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const head = [`${method} ${path} HTTP/1.1`, 'host: 127.0.0.1', ...(body === undefined ? [] : ['content-type: application/json', `content-length: ${Buffer.byteLength(payload)}`])];
  return `${head.join('\r\n')}\r\n\r\n${payload}`;
}

/** A connection kept busy by a stream of ~0.5 s, so that it is still open while the gateway starts to drain. */
async function busyConnection() {
  const { port } = new URL(stack.url);
  const socket: Socket = connect(Number(port), '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(request('POST', '/v1/chat/completions', { model: 'test/model', stream: true, messages: [{ role: 'user', content: 'slow #sim{"outputTokens":10,"tokensPerSecond":20}' }] }));
  await expect.poll(() => received.length).toBeGreaterThan(0);
  return { socket, closed, responses: () => parseResponses(received) };
}

describe('a draining gateway', () => {
  it('finishes the streams in flight and refuses what arrives after on their connections, with request ids', async () => {
    const [a, b] = await Promise.all([busyConnection(), busyConnection()]);
    const closing = stack.gateway.close(5000);
    // Behind the streams on the same connections: answered in order once each stream is over.
    a.socket.write(request('POST', '/v1/chat/completions', { model: 'test/model', messages: [{ role: 'user', content: 'too late' }] }));
    b.socket.write(request('GET', '/ready'));
    await Promise.all([a.closed, b.closed, closing]);

    for (const c of [a, b]) {
      const stream = c.responses()[0];
      expect(stream?.status).toBe(200);
      expect(stream!.body.trim().endsWith('data: [DONE]')).toBe(true);
    }
    const refused = a.responses()[1];
    expect(refused?.status).toBe(503);
    expect(JSON.parse(refused!.body).error).toMatchObject({ code: 'shutting_down', type: 'api_error' });
    expect(refused!.headers.connection).toBe('close');
    expect(refused!.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const ready = b.responses()[1];
    expect(ready?.status).toBe(503);
    expect(JSON.parse(ready!.body)).toEqual({ status: 'draining' });
    expect(ready!.headers.connection).toBe('close');
    expect(ready!.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
