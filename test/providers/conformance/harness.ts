import type { ChatRequest, Message, StreamEvent, ToolDefinition } from '../../../src/canonical/index.js';
import type { Dialect, ResolvedProvider } from '../../../src/catalog/types.js';
import { AnthropicAdapter } from '../../../src/providers/anthropic/adapter.js';
import { GeminiAdapter } from '../../../src/providers/gemini/adapter.js';
import { OpenAICompatibleAdapter } from '../../../src/providers/openai-compatible/adapter.js';
import type { UpstreamHttp } from '../../../src/providers/shared/http.js';
import type { AdapterCall, ProviderAdapter } from '../../../src/providers/types.js';
import type { Redactor } from '../../../src/util/redact.js';

export interface AdapterCase {
  dialect: Dialect;
  upstreamModel: string;
  /** The provider base URL for the simulator at `simUrl`. */
  baseURL(simUrl: string): string;
  make(http: UpstreamHttp, redactor: Redactor): ProviderAdapter;
  /**
   * The code of the error a mid-stream `error_event` fault maps to. The simulator sends a different error per
   * dialect (docs/simulator.md, "Faults per dialect"): OpenAI a generic server error, Anthropic an
   * `overloaded_error` event (→ upstream_unavailable, as a 529 would), Gemini an INTERNAL 500 chunk.
   */
  midStreamErrorCode: 'upstream_error' | 'upstream_unavailable';
}

/** The three dialects, each pointed at the simulator path that speaks it (docs/simulator.md). */
export const ADAPTER_CASES: AdapterCase[] = [
  {
    dialect: 'openai-compatible',
    upstreamModel: 'gpt-sim',
    baseURL: (url) => `${url}/v1`,
    make: (http, redactor) => new OpenAICompatibleAdapter(http, redactor),
    midStreamErrorCode: 'upstream_error',
  },
  {
    dialect: 'anthropic',
    upstreamModel: 'claude-sim',
    baseURL: (url) => url,
    make: (http, redactor) => new AnthropicAdapter(http, redactor),
    midStreamErrorCode: 'upstream_unavailable',
  },
  {
    dialect: 'gemini',
    upstreamModel: 'gemini-sim',
    baseURL: (url) => url,
    make: (http, redactor) => new GeminiAdapter(http, redactor),
    midStreamErrorCode: 'upstream_error',
  },
];

export function provider(c: AdapterCase, simUrl: string): ResolvedProvider {
  return {
    id: `conf-${c.dialect}`,
    type: c.dialect,
    baseURL: c.baseURL(simUrl),
    apiKeys: ['sk-test'],
    headers: {},
    selfHosted: false,
    timeouts: { connectMs: 1_000, firstTokenMs: 2_000, idleMs: 1_000, totalMs: 5_000 },
    maxConnections: 8,
  };
}

export interface CallHandle {
  call: AdapterCall;
  controller: AbortController;
  warnings: string[];
}

let requestCounter = 0;

export function makeCall(p: ResolvedProvider, upstreamModel: string): CallHandle {
  const controller = new AbortController();
  const warnings: string[] = [];
  const call: AdapterCall = {
    route: { provider: p, upstreamModel },
    signal: controller.signal,
    requestId: `conf-${++requestCounter}`,
    warn: (m) => warnings.push(m),
  };
  return { call, controller, warnings };
}

/** A user message carrying a `#sim{...}` directive (the simulator reads it from the last user message). */
export function userText(text: string, directive?: Record<string, unknown>): Message {
  return { role: 'user', content: directive ? `${text} #sim${JSON.stringify(directive)}` : text };
}

export function chatRequest(messages: Message[], overrides: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'conformance', messages, stream: false, includeUsage: true, extra: {}, ...overrides };
}

export const WEATHER_TOOL: ToolDefinition = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: {
      city: { type: 'string' },
      days: { type: 'integer' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      detailed: { type: 'boolean' },
      note: { type: 'string' },
    },
    required: ['city', 'days', 'unit', 'detailed'],
  },
};

/** What the simulator's schema sampler produces for WEATHER_TOOL (src/sim/schema-sample.ts). */
export const WEATHER_ARGS = { city: 'sim', days: 1, unit: 'celsius', detailed: true };

export const TIME_TOOL: ToolDefinition = {
  type: 'function',
  name: 'get_time',
  description: 'Current time in a timezone',
  parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
};

export const TIME_ARGS = { zone: 'sim' };

export async function collect(iterable: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}

export function textOf(events: readonly StreamEvent[]): string {
  return events.map((e) => (e.type === 'text-delta' ? e.text : '')).join('');
}

/** Concatenated argument fragments of the tool call at `index`. */
export function toolArgsOf(events: readonly StreamEvent[], index: number): string {
  return events.map((e) => (e.type === 'tool-call-delta' && e.index === index ? e.argumentsDelta : '')).join('');
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
