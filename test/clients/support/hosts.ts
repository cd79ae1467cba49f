import { expect } from 'vitest';
import type { RecordedRequest } from '../../../src/sim/index.js';
import { sampleFromSchema } from '../../../src/sim/schema-sample.js';
import { SIM_KEY, type Stack } from '../../support/stack.js';

/**
 * The three host dialects behind the gateway, one simulator provider each. Model names containing
 * `reasoner`/`thinking` make the simulator reason (8 words) whatever the request says, so every client reaches
 * reasoning without dialect-specific request settings.
 */
export type HostDialect = 'openai' | 'anthropic' | 'gemini';

export interface Host {
  dialect: HostDialect;
  provider: string;
  /** Canonical ids the clients ask for. */
  model: string;
  thinkingModel: string;
  /** The host's own names for them (what the simulator receives). */
  upstreamModel: string;
  upstreamThinkingModel: string;
}

export const HOSTS: Host[] = [
  { dialect: 'openai', provider: 'simoai', model: 't/oai', thinkingModel: 't/oai-reasoner', upstreamModel: 'sim-model', upstreamThinkingModel: 'deepseek-reasoner' },
  { dialect: 'anthropic', provider: 'simant', model: 't/ant', thinkingModel: 't/ant-thinking', upstreamModel: 'claude-sim', upstreamThinkingModel: 'claude-sim-thinking' },
  { dialect: 'gemini', provider: 'simgem', model: 't/gem', thinkingModel: 't/gem-thinking', upstreamModel: 'gemini-sim', upstreamThinkingModel: 'gemini-sim-thinking' },
];

export const PROVIDERS_YAML = `providers:
  simoai:
    type: openai-compatible
    baseURL: "{{SIM}}/v1"
    apiKeyEnv: SIM_API_KEY
    models: { t/oai: sim-model, t/oai-reasoner: deepseek-reasoner }
  simant:
    type: anthropic
    baseURL: "{{SIM}}"
    apiKeyEnv: SIM_API_KEY
    models: { t/ant: claude-sim, t/ant-thinking: claude-sim-thinking }
  simgem:
    type: gemini
    baseURL: "{{SIM}}"
    apiKeyEnv: SIM_API_KEY
    models: { t/gem: gemini-sim, t/gem-thinking: gemini-sim-thinking }
`;

/** The two tools every client offers, as JSON Schema; each library declares them its own way. */
export const WEATHER = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city', 'unit'] },
} as const;
export const CLOCK = {
  name: 'get_time',
  description: 'Time in a zone',
  parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
} as const;

/** What the simulator fills each tool's arguments with: the schema's smallest value. */
export const EXPECTED_ARGS: Record<string, unknown> = {
  [WEATHER.name]: sampleFromSchema(WEATHER.parameters),
  [CLOCK.name]: sampleFromSchema(CLOCK.parameters),
};
/** The results each client hands back on its second turn, by tool name. */
export const TOOL_RESULTS: Record<string, string> = { [WEATHER.name]: 'sunny 21', [CLOCK.name]: 'noon UTC' };

export interface SeenCall {
  id: string;
  name: string;
  args: unknown;
}

export interface Usage {
  input: number;
  output: number;
}

const isGemini = (r: RecordedRequest): boolean => /\/models\/[^/]+:(stream)?[gG]enerateContent$/.test(r.path);

/** The last request the gateway sent to this host. */
export function lastUpstream(stack: Stack, host: Host): RecordedRequest {
  const match = (r: RecordedRequest): boolean =>
    host.dialect === 'openai' ? r.path === '/v1/chat/completions' : host.dialect === 'anthropic' ? r.path === '/v1/messages' : isGemini(r);
  const found = stack.sim.requests().filter(match).at(-1);
  if (!found) throw new Error(`no request reached the ${host.dialect} host`);
  return found;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The tool calls the host itself produces for this prompt, asked directly in its own dialect (the simulator is
 * deterministic): the ids, names and arguments every client must end up with.
 */
export async function hostToolCalls(stack: Stack, host: Host, model: string, prompt: string): Promise<SeenCall[]> {
  const tools = [WEATHER, CLOCK];
  if (host.dialect === 'openai') {
    const body = await post(`${stack.sim.url}/v1/chat/completions`, { authorization: `Bearer ${SIM_KEY}` }, {
      model,
      messages: [{ role: 'user', content: prompt }],
      tools: tools.map((t) => ({ type: 'function', function: t })),
    });
    return (body.choices[0].message.tool_calls as Json[]).map((c) => ({ id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) }));
  }
  if (host.dialect === 'anthropic') {
    const body = await post(`${stack.sim.url}/v1/messages`, { 'x-api-key': SIM_KEY, 'anthropic-version': '2023-06-01' }, {
      model,
      max_tokens: 1000,
      messages: [{ role: 'user', content: prompt }],
      tools: tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters })),
    });
    return (body.content as Json[]).filter((b) => b.type === 'tool_use').map((b) => ({ id: b.id, name: b.name, args: b.input }));
  }
  const body = await post(`${stack.sim.url}/v1beta/models/${model}:generateContent`, { 'x-goog-api-key': SIM_KEY }, {
    contents: [{ role: 'user', parts: [{ text: prompt }] }],
    tools: [{ functionDeclarations: tools.map((t) => ({ name: t.name, description: t.description, parametersJsonSchema: t.parameters })) }],
  });
  return (body.candidates[0].content.parts as Json[]).filter((p) => p.functionCall).map((p) => ({ id: p.functionCall.id, name: p.functionCall.name, args: p.functionCall.args }));
}

async function post(url: string, headers: Record<string, string>, body: unknown): Promise<Json> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Json;
}

/** Removes the simulator's own request log of the direct calls above, so `lastUpstream` sees the gateway only. */
export function clearUpstream(stack: Stack): void {
  stack.sim.clearRequests();
}

/**
 * Asserts that the host received the first turn's tool calls and the client's results for them, in its own
 * dialect's well-formed shape: every result answers a call of the preceding assistant turn, by id and name.
 */
export function expectToolRoundTrip(host: Host, upstream: RecordedRequest, calls: SeenCall[]): void {
  const body = upstream.body as Json;
  if (host.dialect === 'openai') {
    const messages = body.messages as Json[];
    const assistant = messages.findLast((m) => m.role === 'assistant')!;
    expect(assistant.tool_calls.map((c: Json) => ({ id: c.id, type: c.type, name: c.function.name, args: JSON.parse(c.function.arguments) }))).toEqual(
      calls.map((c) => ({ id: c.id, type: 'function', name: c.name, args: c.args })),
    );
    const results = messages.slice(messages.indexOf(assistant) + 1);
    expect(results.map((m) => ({ role: m.role, id: m.tool_call_id, content: m.content }))).toEqual(
      calls.map((c) => ({ role: 'tool', id: c.id, content: TOOL_RESULTS[c.name] })),
    );
    return;
  }
  if (host.dialect === 'anthropic') {
    const messages = body.messages as Json[];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    const uses = (messages[1]!.content as Json[]).filter((b) => b.type === 'tool_use');
    expect(uses.map((b) => ({ id: b.id, name: b.name, input: b.input }))).toEqual(calls.map((c) => ({ id: c.id, name: c.name, input: c.args })));
    const results = messages[2]!.content as Json[];
    expect(results.map((b) => ({ type: b.type, id: b.tool_use_id, text: resultText(b.content) }))).toEqual(
      calls.map((c) => ({ type: 'tool_result', id: c.id, text: TOOL_RESULTS[c.name] })),
    );
    return;
  }
  const contents = body.contents as Json[];
  expect(contents.map((c) => c.role)).toEqual(['user', 'model', 'user']);
  const fcs = (contents[1]!.parts as Json[]).filter((p) => p.functionCall).map((p) => p.functionCall);
  expect(fcs).toEqual(calls.map((c) => ({ id: c.id, name: c.name, args: c.args })));
  const responses = (contents[2]!.parts as Json[]).map((p) => p.functionResponse);
  expect(responses).toEqual(calls.map((c) => ({ id: c.id, name: c.name, response: { result: TOOL_RESULTS[c.name] } })));
}

function resultText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return (content as Json[]).map((b) => b.text).join('');
  return undefined;
}

/** What reasoning state the host received back on a second turn. */
export interface UpstreamReasoning {
  /** Anthropic: thinking blocks of the assistant turn, in order, as sent. */
  thinking: { thinking: string; signature: string }[];
  /** Gemini: thought signatures on the assistant turn's parts, by function-call id ('' for non-call parts). */
  thoughtSignatures: Record<string, string>;
}

export function upstreamReasoning(host: Host, upstream: RecordedRequest): UpstreamReasoning {
  const body = upstream.body as Json;
  const out: UpstreamReasoning = { thinking: [], thoughtSignatures: {} };
  if (host.dialect === 'anthropic') {
    const assistant = (body.messages as Json[]).find((m) => m.role === 'assistant');
    for (const b of (assistant?.content ?? []) as Json[]) if (b.type === 'thinking') out.thinking.push({ thinking: b.thinking, signature: b.signature });
  } else if (host.dialect === 'gemini') {
    const model = (body.contents as Json[]).find((c) => c.role === 'model');
    for (const p of (model?.parts ?? []) as Json[]) if (p.thoughtSignature) out.thoughtSignatures[p.functionCall?.id ?? ''] = p.thoughtSignature;
  }
  return out;
}

/** The simulator's reasoning: 8 vocabulary words. */
export function expectSimReasoning(text: string | undefined): void {
  expect(text, 'reasoning text').toBeTruthy();
  expect(text!.trim().split(/\s+/)).toHaveLength(8);
}

/** The answer after tool results quotes them: "Tool result: …". */
export function expectToolResultAnswer(text: string): void {
  expect(text).toMatch(/^Tool result: /);
}
