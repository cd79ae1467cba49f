/**
 * The model surfaces' request parsers: ajv's compiled check (the fast path) must never accept a body zod refuses, and
 * what it accepts must be what zod's parse would have returned. Checked on valid bodies and on random mutations of
 * them (wrong types, edge numbers, missing and unknown fields) with fast-check.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { chatCompletionRequestSchema, embeddingsRequestSchema } from '../../src/surfaces/openai/schema.js';
import { countTokensRequestSchema, messagesRequestSchema } from '../../src/surfaces/anthropic/schema.js';
import { compiledCheck, fastBodyParser } from '../../src/surfaces/validation.js';
import { GatewayError } from '../../src/canonical/errors.js';

const chatSeeds: Record<string, unknown>[] = [
  { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
  {
    model: 'deepseek/deepseek-v3.2',
    models: ['qwen/qwen3'],
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: [{ type: 'text', text: 'look', cache_control: { type: 'ephemeral', ttl: '5m' } }, { type: 'image_url', image_url: { url: 'data:x', detail: 'low' } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }], reasoning_content: 'r' },
      { role: 'tool', tool_call_id: 'c1', content: '42' },
      { role: 'assistant', content: 'pre', prefix: true, reasoning_details: [{ type: 'reasoning.text', text: 't', index: 0 }] },
    ],
    tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object' }, strict: true } }],
    tool_choice: { type: 'function', function: { name: 'f' } },
    parallel_tool_calls: false,
    response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' }, strict: null } },
    temperature: 0.5,
    top_p: 1,
    top_k: 40,
    max_tokens: 100,
    max_completion_tokens: 200,
    stop: ['\n'],
    seed: -3,
    user: 'u',
    stream: true,
    stream_options: { include_usage: true },
    n: 1,
    frequency_penalty: -2,
    presence_penalty: 2,
    logprobs: true,
    top_logprobs: 20,
    reasoning_effort: 'high',
    reasoning: { effort: 'low', max_tokens: 10, exclude: false, enabled: true },
    provider: { order: ['a'], only: ['a'], ignore: [], allow_fallbacks: true, sort: 'price', max_price: { prompt: 1 }, data_collection: 'deny', zdr: true, require_parameters: false, quantizations: ['fp8'] },
    enable_thinking: false,
    chat_template_kwargs: { thinking: true },
  },
];

const embeddingSeeds: Record<string, unknown>[] = [
  { model: 'e', input: 'text' },
  { model: 'e', input: [[1, 2], [3]], encoding_format: 'base64', dimensions: 8, user: 'u' },
];

const messagesSeeds: Record<string, unknown>[] = [
  { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
  {
    model: 'claude',
    max_tokens: 1024,
    system: [{ type: 'text', text: 's', cache_control: { type: 'ephemeral' } }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA' } }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 's' }, { type: 'redacted_thinking', data: 'd' }, { type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'image', source: { type: 'url', url: 'http://x' } }], is_error: false }] },
    ],
    tools: [{ name: 'f', description: 'd', input_schema: { type: 'object' }, type: 'custom' }],
    tool_choice: { type: 'tool', name: 'f', disable_parallel_tool_use: true },
    thinking: { type: 'enabled', budget_tokens: 1024 },
    stop_sequences: ['x'],
    temperature: 1,
    top_p: 0,
    top_k: 5,
    metadata: { user_id: null },
    stream: false,
    service_tier: 'auto',
  },
];

/** Every path to a member or element of a JSON value. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push([...prefix, i], ...pathsOf(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...pathsOf(v, [...prefix, k]));
  return out;
}

type Mutation = { path: (string | number)[]; op: 'set'; value: unknown } | { path: (string | number)[]; op: 'delete' } | { path: (string | number)[]; op: 'add'; key: string; value: unknown };

/** The value at a path, or undefined where the path leads nowhere (an earlier mutation removed it). */
function valueAt(root: unknown, path: (string | number)[]): unknown {
  let cur = root;
  for (const key of path) cur = (cur as Record<string | number, unknown> | null | undefined)?.[key];
  return cur;
}

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function mutate(seed: unknown, mutations: Mutation[]): unknown {
  const body = structuredClone(seed) as Record<string, unknown>;
  for (const m of mutations) {
    const parent = valueAt(body, m.op === 'add' ? m.path : m.path.slice(0, -1));
    if (parent === null || typeof parent !== 'object') continue;
    const target = parent as Record<string | number, unknown>;
    if (m.op === 'add') target[m.key] = m.value;
    else if (m.op === 'delete') {
      if (Array.isArray(target)) target.splice(Number(m.path.at(-1)), 1);
      else delete target[m.path.at(-1)!];
    } else target[m.path.at(-1)!] = m.value;
  }
  return body;
}

const edgeValues = fc.oneof(
  fc.constantFrom(0, -1, 1, 1.5, 2, 2.5, 16, 17, 20, 21, -2.5, 2 ** 53, -(2 ** 53), 1e300, '', 'x', 'text', 'user', 'function', 'ephemeral', null, true, false, [], {}, ['a'], [1], { type: 'text' }),
  fc.jsonValue({ maxDepth: 2 }),
);

function mutationsFor(seed: unknown): fc.Arbitrary<Mutation[]> {
  const paths = pathsOf(seed);
  const objectPaths = [[], ...paths.filter((p) => isPlainObject(valueAt(seed, p)))];
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ path: fc.constantFrom(...paths), op: fc.constant('set' as const), value: edgeValues }),
    fc.record({ path: fc.constantFrom(...paths), op: fc.constant('delete' as const) }),
    fc.record({ path: fc.constantFrom(...objectPaths), op: fc.constant('add' as const), key: fc.constantFrom('extra', 'type', 'content', 'role', 'model', 'n', '__proto__x'), value: edgeValues }),
  );
  return fc.array(mutation, { minLength: 1, maxLength: 3 });
}

const cases: [string, z.ZodType, Record<string, unknown>[]][] = [
  ['chat completions', chatCompletionRequestSchema, chatSeeds],
  ['embeddings', embeddingsRequestSchema, embeddingSeeds],
  ['messages', messagesRequestSchema, messagesSeeds],
  ['count_tokens', countTokensRequestSchema, messagesSeeds],
];

describe('the fast request check agrees with zod', () => {
  for (const [name, schema, seeds] of cases) {
    it(`${name}: compiles, accepts the valid bodies and returns them as zod would`, () => {
      const check = compiledCheck(schema);
      expect(check, 'the schema compiles to a JSON Schema check').toBeDefined();
      for (const seed of seeds) {
        expect(check!(seed)).toBe(true);
        expect(fastBodyParser(schema)(seed)).toEqual(schema.parse(seed));
      }
    });

    it(`${name}: never accepts what zod refuses, on random mutations of valid bodies`, () => {
      const check = compiledCheck(schema)!;
      let refused = 0;
      for (const seed of seeds) {
        fc.assert(
          fc.property(mutationsFor(seed), (mutations) => {
            const body = mutate(seed, mutations);
            const zod = schema.safeParse(body);
            if (check(body)) {
              expect(zod.success, JSON.stringify(body)).toBe(true);
              expect(body).toEqual(zod.data);
            } else if (!zod.success) refused++;
          }),
          { numRuns: 400, seed: 20261129 },
        );
      }
      // The mutations do reach invalid bodies: the property above is not only ever checked on valid ones.
      expect(refused).toBeGreaterThan(50);
    });
  }

  it('answers a refused body with zod’s error naming the field', () => {
    const parse = fastBodyParser(chatCompletionRequestSchema);
    const missing = (() => {
      try {
        parse({ model: 'm' });
      } catch (err) {
        return err;
      }
    })();
    expect(missing).toBeInstanceOf(GatewayError);
    expect(missing).toMatchObject({ code: 'invalid_request', message: "missing required field 'messages'", param: 'messages' });
    expect(() => parse({ model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 3 })).toThrow(/invalid field 'temperature'/);
    expect(() => parse([1])).toThrow('the request body must be a JSON object');
  });
});
