import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import type { ChatRequest, StreamEvent } from '../../../src/canonical/index.js';
import type { HostRoute, ResolvedProvider } from '../../../src/catalog/types.js';
import type { AdapterCall } from '../../../src/providers/types.js';
import { AnthropicAdapter } from '../../../src/providers/anthropic/adapter.js';
import { UpstreamHttp } from '../../../src/providers/shared/http.js';
import { Redactor } from '../../../src/util/redact.js';

export const API_KEY = 'sk-ant-test-secret-0123456789';
const FIXTURES = new URL('../../fixtures/conformance/anthropic/', import.meta.url);

/** The JSON lines of a recorded stream. */
export function fixtureLines(name: string): string[] {
  return readFileSync(new URL(`${name}.chunks.txt`, FIXTURES), 'utf8').split('\n').filter((l) => l.trim().length > 0);
}

export function fixtureJson(name: string): string {
  return readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8');
}

/** One SSE event per JSON line, named after its `type` as Anthropic names them. */
export function sseOf(lines: readonly string[]): string {
  return lines.map((line) => `event: ${(JSON.parse(line) as { type: string }).type}\ndata: ${line}\n\n`).join('');
}

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export type Handler = (req: Recorded, res: ServerResponse) => void;

/** A loopback upstream that records requests and answers with the current handler. */
export class FakeUpstream {
  readonly requests: Recorded[] = [];
  handler: Handler = (_req, res) => res.writeHead(500).end();
  private earlyCloseWaiters: (() => void)[] = [];
  private server!: Server;
  url = '';

  /** Resolves when a response from now on is closed before it ended (the adapter let go of it). */
  nextEarlyClose(): Promise<void> {
    return new Promise((resolve) => this.earlyCloseWaiters.push(resolve));
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const recorded: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined };
        this.requests.push(recorded);
        res.on('close', () => {
          if (!res.writableEnded) for (const resolve of this.earlyCloseWaiters.splice(0)) resolve();
        });
        this.handler(recorded, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function sseHandler(body: string, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', ...headers });
    res.end(body);
  };
}

export function jsonHandler(status: number, body: string, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
}

export function provider(baseURL: string, overrides: Partial<ResolvedProvider> = {}): ResolvedProvider {
  return {
    id: 'anthropic-test',
    type: 'anthropic',
    baseURL,
    apiKeys: [API_KEY],
    headers: {},
    selfHosted: false,
    timeouts: { connectMs: 1000, firstTokenMs: 3000, idleMs: 3000, totalMs: 8000 },
    maxConnections: 4,
    ...overrides,
  };
}

export interface Harness {
  upstream: FakeUpstream;
  adapter: AnthropicAdapter;
  http: UpstreamHttp;
  warnings: string[];
  call(overrides?: Partial<AdapterCall>, route?: Partial<HostRoute>): AdapterCall;
  close(): Promise<void>;
}

export async function harness(providerOverrides: Partial<ResolvedProvider> = {}): Promise<Harness> {
  const upstream = await new FakeUpstream().start();
  const http = new UpstreamHttp();
  const adapter = new AnthropicAdapter(http, new Redactor([API_KEY]));
  const warnings: string[] = [];
  const p = provider(upstream.url, providerOverrides);
  return {
    upstream,
    adapter,
    http,
    warnings,
    call: (overrides = {}, route = {}) => ({
      route: { provider: p, upstreamModel: 'claude-test-model', ...route },
      signal: new AbortController().signal,
      requestId: 'req-test-1',
      warn: (message: string) => warnings.push(message),
      ...overrides,
    }),
    async close() {
      await http.close();
      await upstream.close();
    },
  };
}

export function chatRequest(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'anthropic/claude-test',
    messages: [{ role: 'user', content: 'Hello' }],
    stream: false,
    includeUsage: false,
    extra: {},
    ...overrides,
  };
}

export async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

/** The streamed text, reasoning and tool calls, put back together. */
export function assemble(events: readonly StreamEvent[]) {
  let text = '';
  let reasoning = '';
  let refusal = '';
  const tools: { id?: string; name?: string; arguments: string }[] = [];
  for (const e of events) {
    if (e.type === 'text-delta') text += e.text;
    else if (e.type === 'reasoning-delta') reasoning += e.text;
    else if (e.type === 'refusal-delta') refusal += e.text;
    else if (e.type === 'tool-call-delta') {
      const slot = (tools[e.index] ??= { arguments: '' });
      if (e.id !== undefined) slot.id = e.id;
      if (e.name !== undefined) slot.name = e.name;
      slot.arguments += e.argumentsDelta;
    }
  }
  return {
    text,
    reasoning,
    refusal,
    tools,
    details: events.flatMap((e) => (e.type === 'reasoning-detail' ? [e.detail] : [])),
    finish: events.find((e) => e.type === 'finish'),
    usage: events.filter((e) => e.type === 'usage').at(-1),
    errors: events.flatMap((e) => (e.type === 'error' ? [e.error] : [])),
  };
}
