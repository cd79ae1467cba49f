/**
 * Every body and stream chunk the simulator produces, validated against OpenAI's OpenAPI document.
 * The simulator stands in for real providers in the gateway's tests, so its output must be beyond doubt.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { validateOpenAI } from '../support/openapi.js';
import { postJson, sseData } from '../support/sse.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
  validateOpenAI('CreateChatCompletionResponse', {}); // load the 3 MB document outside any single test's budget
}, 60_000);
afterAll(() => sim.close());

const tools = [
  { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' }, n: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } }, required: ['q', 'n', 'tags'] } } },
  { type: 'function', function: { name: 'noop' } },
];

const CASES: Record<string, object> = {
  text: { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }] },
  reasoning: { model: 'deepseek-reasoner', messages: [{ role: 'user', content: 'Why?' }] },
  tools: { model: 'gpt-4o', messages: [{ role: 'user', content: 'Find it' }], tools },
  'named tool': { model: 'gpt-4o', messages: [{ role: 'user', content: 'Find it' }], tools, tool_choice: { type: 'function', function: { name: 'noop' } } },
  'json object': { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'JSON please' }] }], response_format: { type: 'json_object' } },
  length: { model: 'gpt-4o', messages: [{ role: 'user', content: 'Long #sim{"outputTokens":30}' }], max_tokens: 4 },
  stop: { model: 'gpt-4o', messages: [{ role: 'user', content: 'Stop' }], stop: ['e'] },
};

function expectValid(schema: string, value: unknown): void {
  expect(validateOpenAI(schema, value), `${schema}: ${JSON.stringify(value).slice(0, 300)}`).toEqual([]);
}

describe('chat completions match the OpenAPI schemas', () => {
  for (const [name, body] of Object.entries(CASES)) {
    it(`${name}: non-stream response is a valid CreateChatCompletionResponse`, async () => {
      const res = await postJson(`${sim.url}/v1/chat/completions`, body);
      expect(res.status).toBe(200);
      expectValid('CreateChatCompletionResponse', await res.json());
    });

    for (const streamOptions of [undefined, { include_usage: true }, { include_usage: true, include_obfuscation: false }]) {
      it(`${name}: every stream chunk is a valid CreateChatCompletionStreamResponse (${JSON.stringify(streamOptions ?? {})})`, async () => {
        const res = await postJson(`${sim.url}/v1/chat/completions`, { ...body, stream: true, stream_options: streamOptions });
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const data = sseData(await res.text());
        expect(data[data.length - 1]).toBe('[DONE]');
        const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Record<string, unknown>);
        for (const chunk of chunks) {
          expectValid('CreateChatCompletionStreamResponse', chunk);
          expect('obfuscation' in chunk).toBe(streamOptions?.include_obfuscation !== false);
        }
        expect(chunks.some((c) => c.usage !== undefined && c.usage !== null)).toBe(streamOptions?.include_usage === true);
      });
    }
  }

  it('the finish reasons follow the conventions', async () => {
    const finish = async (body: object) => ((await (await postJson(`${sim.url}/v1/chat/completions`, body)).json()) as { choices: { finish_reason: string; message: { content: string | null } }[] }).choices[0]!;
    expect((await finish(CASES.length!)).finish_reason).toBe('length');
    expect((await finish(CASES.tools!)).finish_reason).toBe('tool_calls');
    const stopped = await finish(CASES.stop!);
    expect(stopped.finish_reason).toBe('stop');
    expect(stopped.message.content).not.toContain('e');
  });
});

describe('other bodies match the OpenAPI schemas', () => {
  it('error bodies are valid ErrorResponses', async () => {
    for (const scenario of [{ fault: 'status', status: 429 }, { fault: 'status', status: 500 }, { fault: 'context_length' }]) {
      const res = await postJson(`${sim.url}/v1/chat/completions`, CASES.text!, scenario);
      expectValid('ErrorResponse', await res.json());
    }
    expectValid('ErrorResponse', await (await postJson(`${sim.url}/v1/unknown`, {})).json());
    expectValid('ErrorResponse', await (await postJson(`${sim.url}/v1/chat/completions`, 'not json')).json());
  });

  it('an in-stream error event carries a valid ErrorResponse', async () => {
    const data = sseData(await (await postJson(`${sim.url}/v1/chat/completions`, { ...CASES.text, stream: true }, { fault: 'error_event', afterChunks: 2 })).text());
    const chunks = data.map((d) => JSON.parse(d) as unknown);
    for (const c of chunks.slice(0, -1)) expectValid('CreateChatCompletionStreamResponse', c);
    expectValid('ErrorResponse', chunks[chunks.length - 1]);
  });

  it('embeddings and model lists are valid', async () => {
    expectValid('CreateEmbeddingResponse', await (await postJson(`${sim.url}/v1/embeddings`, { model: 'e', input: ['a', [1, 2, 3]] })).json());
    expectValid('ListModelsResponse', await (await fetch(`${sim.url}/v1/models`)).json());
  });

  it('the validator accepts real OpenAI traffic and rejects broken chunks', () => {
    const dir = new URL('../fixtures/conformance/providers/openai/', import.meta.url);
    expectValid('CreateChatCompletionResponse', JSON.parse(readFileSync(new URL('openai-text.json', dir), 'utf8')));
    for (const line of readFileSync(new URL('openai-text.chunks.txt', dir), 'utf8').split('\n').filter(Boolean)) {
      expectValid('CreateChatCompletionStreamResponse', JSON.parse(line));
    }
    expect(validateOpenAI('CreateChatCompletionStreamResponse', { id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [] })).not.toEqual([]);
  });
});
