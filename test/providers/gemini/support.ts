import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ChatRequest, StreamEvent } from '../../../src/canonical/index.js';
import type { ResolvedProvider } from '../../../src/catalog/types.js';
import { GeminiAdapter } from '../../../src/providers/gemini/adapter.js';
import { UpstreamHttp } from '../../../src/providers/shared/http.js';
import type { AdapterCall } from '../../../src/providers/types.js';
import { Redactor } from '../../../src/util/redact.js';

export const API_KEY = 'gemini-test-key-0123456789';
export const FIXTURES = fileURLToPath(new URL('../../fixtures/conformance/', import.meta.url));

export interface Recording {
  recordID?: string;
  interactions: {
    request: { method: string; url: string; headers: Record<string, string>; bodySegments?: unknown[] };
    response: { statusCode: number; headers: Record<string, string>; bodySegments?: unknown[] };
  }[];
}

export function jsGenaiRecordings(): { file: string; recording: Recording }[] {
  const dir = `${FIXTURES}gemini-js-genai/`;
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, recording: JSON.parse(readFileSync(dir + file, 'utf8')) as Recording }));
}

export function vercelChunks(name: string): unknown[] {
  return readFileSync(`${FIXTURES}providers/google-gemini/${name}`, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as unknown);
}

export function vercelJson(name: string): unknown {
  return JSON.parse(readFileSync(`${FIXTURES}providers/google-gemini/${name}`, 'utf8')) as unknown;
}

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** What the fake upstream does with one request. */
export type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

export function sse(chunks: unknown[]): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const chunk of chunks) res.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
    res.end();
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    res.end(JSON.stringify(body));
  };
}

/** A loopback HTTP server standing in for generativelanguage.googleapis.com; each request takes the next handler. */
export class FakeGemini {
  readonly seen: Seen[] = [];
  private handlers: Handler[] = [];
  private server: Server | undefined;
  url = '';

  reply(...handlers: Handler[]): void {
    this.handlers.push(...handlers);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const seen: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
        this.seen.push(seen);
        const handler = this.handlers.shift();
        if (handler) handler(req, res, seen);
        else json(500, { error: { code: 500, message: 'no reply queued', status: 'INTERNAL' } })(req, res, seen);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export function provider(baseURL: string, timeouts: Partial<ResolvedProvider['timeouts']> = {}): ResolvedProvider {
  return {
    id: 'google',
    type: 'gemini',
    baseURL,
    apiKeys: [API_KEY],
    headers: {},
    selfHosted: false,
    timeouts: { connectMs: 1_000, firstTokenMs: 3_000, idleMs: 3_000, totalMs: 8_000, ...timeouts },
    maxConnections: 4,
  };
}

export function makeAdapter(): { adapter: GeminiAdapter; http: UpstreamHttp } {
  const http = new UpstreamHttp();
  return { adapter: new GeminiAdapter(http, new Redactor([API_KEY])), http };
}

export function call(target: ResolvedProvider, model: string, signal: AbortSignal = new AbortController().signal): AdapterCall & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    route: { provider: target, upstreamModel: model },
    signal,
    requestId: 'req-test-1',
    warnings,
    warn: (message: string) => {
      if (!warnings.includes(message)) warnings.push(message);
    },
  };
}

export function ask(text: string, more: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'google/gemini', messages: [{ role: 'user', content: text }], stream: false, includeUsage: true, extra: {}, ...more };
}

export async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

/** Folds stream events the way a client would see the answer. */
export function fold(events: StreamEvent[]) {
  let text = '';
  let reasoning = '';
  const calls: { id?: string; name?: string; arguments: string }[] = [];
  const details = events.flatMap((e) => (e.type === 'reasoning-detail' ? [e.detail] : []));
  for (const event of events) {
    if (event.type === 'text-delta') text += event.text;
    if (event.type === 'reasoning-delta') reasoning += event.text;
    if (event.type === 'tool-call-delta') {
      const c = (calls[event.index] ??= { arguments: '' });
      if (event.id !== undefined) c.id = event.id;
      if (event.name !== undefined) c.name = event.name;
      c.arguments += event.argumentsDelta;
    }
  }
  const finish = events.filter((e) => e.type === 'finish');
  const usage = events.filter((e) => e.type === 'usage').at(-1);
  const error = events.find((e) => e.type === 'error');
  return { text, reasoning, calls, details, finish, usage: usage?.type === 'usage' ? usage.usage : undefined, error: error?.type === 'error' ? error.error : undefined };
}
