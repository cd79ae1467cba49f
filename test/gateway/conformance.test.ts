import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateOpenAI } from '../support/openapi.js';
import { assembleChunks } from '../support/openai-stream.js';
import { sseData } from '../support/sse.js';
import { simSays, startStack, type Stack } from '../support/stack.js';

const PROVIDERS_DIR = fileURLToPath(new URL('../fixtures/conformance/providers/', import.meta.url));
const REPLAYED = ['deepseek', 'alibaba-qwen', 'moonshotai', 'openai', 'groq', 'openai-compatible'];

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

async function chat(body: Record<string, unknown>): Promise<{ status: number; text: string }> {
  const res = await fetch(`${stack.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

const tools = [
  { type: 'function', function: { name: 'lookup', description: 'd', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } },
  { type: 'function', function: { name: 'other', parameters: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } } },
];

const requests: Record<string, Record<string, unknown>> = {
  text: { model: 'test/model', messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'hello' }], temperature: 0.2, max_tokens: 8, seed: 1, stop: ['x'] },
  tools: { model: 'test/model', messages: [{ role: 'user', content: 'use tools' }], tools, tool_choice: 'auto', parallel_tool_calls: true },
  named_tool: { model: 'test/model', messages: [{ role: 'user', content: 'use one' }], tools, tool_choice: { type: 'function', function: { name: 'other' } } },
  json_schema: { model: 'test/model', messages: [{ role: 'user', content: 'json' }], response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] } } } },
  image: { model: 'test/model', messages: [{ role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] },
  reasoning: { model: 'test/reasoner', messages: [{ role: 'user', content: 'think' }], reasoning_effort: 'low' },
};

describe('conformance with the OpenAI OpenAPI document', () => {
  for (const [name, request] of Object.entries(requests)) {
    it(`${name}: upstream request, response and every stream chunk match the schemas`, async () => {
      stack.sim.clearRequests();
      const plain = await chat(request);
      expect(plain.status).toBe(200);
      expect(validateOpenAI('CreateChatCompletionResponse', JSON.parse(plain.text))).toEqual([]);

      const streamed = await chat({ ...request, stream: true, stream_options: { include_usage: true } });
      expect(streamed.status).toBe(200);
      const frames = sseData(streamed.text);
      expect(frames.at(-1)).toBe('[DONE]');
      for (const frame of frames.slice(0, -1)) {
        expect(validateOpenAI('CreateChatCompletionStreamResponse', JSON.parse(frame))).toEqual([]);
      }
      const sent = stack.sim.requests();
      expect(sent).toHaveLength(2);
      for (const upstream of sent) {
        expect(validateOpenAI('CreateChatCompletionRequest', upstream.body)).toEqual([]);
      }
      // The same answer, streamed or not.
      const whole = JSON.parse(plain.text);
      const assembled = assembleChunks(frames.slice(0, -1).map((f) => JSON.parse(f)), 'reasoning_content');
      expect(assembled.content).toBe(whole.choices[0].message.content ?? '');
      expect(assembled.finishReason).toBe(whole.choices[0].finish_reason);
    });
  }

  it('sends a structurally valid request after a tool round trip', async () => {
    stack.sim.clearRequests();
    const res = await chat({
      model: 'test/model',
      tools,
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"a"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'found' },
      ],
    });
    expect(res.status).toBe(200);
    expect(validateOpenAI('CreateChatCompletionRequest', stack.sim.requests()[0]!.body)).toEqual([]);
  });
});

function fixtures(): { folder: string; name: string; hasJson: boolean }[] {
  const out: { folder: string; name: string; hasJson: boolean }[] = [];
  for (const folder of REPLAYED) {
    const files = readdirSync(PROVIDERS_DIR + folder);
    for (const file of files.filter((f) => f.endsWith('.chunks.txt'))) {
      const name = file.replace(/\.chunks\.txt$/, '');
      out.push({ folder, name, hasJson: files.includes(`${name}.json`) });
    }
  }
  return out;
}

describe('recorded provider streams come out of the gateway intact', () => {
  for (const { folder, name } of fixtures()) {
    it(`${folder}/${name}`, async () => {
      const recorded = readFileSync(`${PROVIDERS_DIR}${folder}/${name}.chunks.txt`, 'utf8')
        .split('\n')
        .filter((line) => line.trim().length > 0)
        .map((line) => JSON.parse(line));
      const expected = assembleChunks(recorded);
      expect(expected.content.length + expected.reasoning.length + expected.toolCalls.length).toBeGreaterThan(0);
      const res = await chat({
        model: 'test/model',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: simSays('replay', { replay: `${folder}/${name}` }) }],
      });
      expect(res.status).toBe(200);
      const frames = sseData(res.text);
      expect(frames.at(-1)).toBe('[DONE]');
      const chunks = frames.slice(0, -1).map((f) => JSON.parse(f));
      for (const chunk of chunks) expect(validateOpenAI('CreateChatCompletionStreamResponse', chunk)).toEqual([]);
      const got = assembleChunks(chunks, 'reasoning_content');
      expect(got.content).toBe(expected.content);
      expect(got.reasoning).toBe(expected.reasoning);
      expect(got.toolCalls.map((c) => ({ name: c.name, arguments: c.arguments }))).toEqual(expected.toolCalls.map((c) => ({ name: c.name, arguments: c.arguments })));
      for (const [i, call] of got.toolCalls.entries()) expect(call.id).toBe(expected.toolCalls[i]!.id);
      expect(got.finishReason).toBe(expected.finishReason);
      const usage = expected.usage as { prompt_tokens?: number; completion_tokens?: number } | undefined;
      if (usage) {
        expect(got.usage).toMatchObject({ prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens });
      }
    });
  }

  for (const { folder, name } of fixtures().filter((f) => f.hasJson)) {
    it(`${folder}/${name} (non-streaming)`, async () => {
      const recorded = JSON.parse(readFileSync(`${PROVIDERS_DIR}${folder}/${name}.json`, 'utf8'));
      const res = await chat({ model: 'test/model', messages: [{ role: 'user', content: simSays('replay', { replay: `${folder}/${name}` }) }] });
      expect(res.status).toBe(200);
      const body = JSON.parse(res.text);
      expect(validateOpenAI('CreateChatCompletionResponse', body)).toEqual([]);
      const want = recorded.choices[0].message;
      const got = body.choices[0].message;
      expect(got.content ?? null).toBe(want.content ?? null);
      expect(got.reasoning_content).toBe(want.reasoning_content ?? want.reasoning);
      expect((got.tool_calls ?? []).map((c: { id: string; function: unknown }) => ({ id: c.id, function: c.function }))).toEqual(
        (want.tool_calls ?? []).map((c: { id: string; function: unknown }) => ({ id: c.id, function: c.function })),
      );
      expect(body.usage.prompt_tokens).toBe(recorded.usage.prompt_tokens);
      expect(body.usage.completion_tokens).toBe(recorded.usage.completion_tokens);
    });
  }
});
