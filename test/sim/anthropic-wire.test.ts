/** The Anthropic face over raw HTTP: the exact event sequence, framing, headers and request validation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { postJson } from '../support/sse.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ profiles: { claude: { outputTokens: 3 } } });
});
afterAll(() => sim.close());

const HEADERS = { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-test' };
const body = (text: string, extra: object = {}) => ({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: text }], ...extra });
const post = (payload: unknown, scenario?: object, headers: Record<string, string> = HEADERS, path = '/v1/messages') =>
  postJson(`${sim.url}${path}`, payload, scenario, headers);

interface Event {
  event: string;
  data: Record<string, unknown> & { type: string };
}

/** Splits an SSE body into `{event, data}` pairs, checking every event has exactly one of each line. */
function events(text: string): Event[] {
  return text
    .split('\n\n')
    .filter((e) => e.trim())
    .map((raw) => {
      const lines = raw.split('\n');
      expect(lines, raw).toHaveLength(2);
      expect(lines[0]).toMatch(/^event: [a-z_]+$/);
      expect(lines[1]).toMatch(/^data: /);
      return { event: lines[0]!.slice(7), data: JSON.parse(lines[1]!.slice(6)) as Event['data'] };
    });
}

describe('the stream on the wire', () => {
  it('sends the exact Anthropic event sequence, named after each data type', async () => {
    const res = await post(body('Hello', { stream: true }), { outputTokens: 3 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    const list = events(await res.text());
    for (const e of list) expect(e.event).toBe(e.data.type);
    expect(list.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const start = list[0]!.data.message as { usage: Record<string, number>; content: unknown[]; stop_reason: unknown };
    expect(start.content).toEqual([]);
    expect(start.stop_reason).toBeNull();
    expect(start.usage).toMatchObject({ input_tokens: Math.ceil(5 / 4) + 4, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    expect(list[1]!.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    for (const d of list.slice(3, 6)) {
      const delta = d.data.delta as { type: string; text: string };
      expect(delta.type).toBe('text_delta');
      expect(delta.text).toMatch(/^[a-z]+ $/); // one token per event
    }
    expect(list[7]!.data).toMatchObject({ delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } });
  });

  it('orders thinking (deltas, then signature) before text and tool use, each block opened and closed', async () => {
    const tools = [{ name: 'f', input_schema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } }];
    const list = events(await (await post(body('Go', { stream: true, tools, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 } }), { reasoningTokens: 2 })).text());
    const shape = list.map((e) => {
      const d = e.data as { content_block?: { type: string }; delta?: { type: string }; index?: number };
      return [e.event, d.index ?? null, d.content_block?.type ?? d.delta?.type ?? null].join(':');
    });
    const json = list.filter((e) => (e.data.delta as { type?: string } | undefined)?.type === 'input_json_delta');
    expect(shape.slice(0, 8)).toEqual([
      'message_start::',
      'content_block_start:0:thinking',
      'ping::',
      'content_block_delta:0:thinking_delta',
      'content_block_delta:0:thinking_delta',
      'content_block_delta:0:signature_delta',
      'content_block_stop:0:',
      'content_block_start:1:tool_use',
    ]);
    expect(shape.slice(8, 8 + json.length)).toEqual(json.map(() => 'content_block_delta:1:input_json_delta'));
    expect(shape.slice(8 + json.length)).toEqual(['content_block_stop:1:', 'message_delta::', 'message_stop::']);
    expect((json[0]!.data.delta as { partial_json: string }).partial_json).toBe('');
    expect(JSON.parse(json.map((e) => (e.data.delta as { partial_json: string }).partial_json).join(''))).toEqual({ q: 'sim' });
    expect(list[list.length - 2]!.data).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 2 + Math.ceil('{"q":"sim"}'.length / 4) } });
  });

  it('no_done sends message_delta but no message_stop', async () => {
    const list = events(await (await post(body('x', { stream: true }), { fault: 'no_done' })).text());
    expect(list.map((e) => e.event).slice(-2)).toEqual(['content_block_stop', 'message_delta']);
  });

  it('error_event ends the stream with event: error after afterChunks deltas', async () => {
    const text = await (await post(body('x', { stream: true }), { fault: 'error_event', afterChunks: 2 })).text();
    const list = events(text);
    expect(list.filter((e) => e.event === 'content_block_delta')).toHaveLength(2);
    expect(list[list.length - 1]).toEqual({ event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
  });

  it('malformed leaves a data line that is not JSON', async () => {
    const text = await (await post(body('x', { stream: true }), { fault: 'malformed', afterChunks: 1 })).text();
    const last = text.trim().split('\n\n').pop()!;
    expect(last.startsWith('event: content_block_delta\ndata: ')).toBe(true);
    expect(() => JSON.parse(last.split('\n')[1]!.slice(6))).toThrow();
  });

  it('replays a recording with event names derived from each line', async () => {
    const list = events(await (await post(body('x', { stream: true }), { replay: 'anthropic/anthropic-text' })).text());
    expect(list[0]!.event).toBe('message_start');
    expect(list[list.length - 1]!.event).toBe('message_stop');
  });

  it('uses a /p/<profile> prefix like the other dialects', async () => {
    const res = (await (await post(body('x'), undefined, HEADERS, '/p/claude/v1/messages')).json()) as { usage: { output_tokens: number } };
    expect(res.usage.output_tokens).toBe(3);
  });
});

describe('request validation, Anthropic style', () => {
  const error = async (res: Response) => ({ status: res.status, body: (await res.json()) as { type: string; error: { type: string; message: string } } });

  it('requires the anthropic-version header', async () => {
    const { status, body: b } = await error(await post(body('x'), undefined, { 'x-api-key': 'k' }));
    expect(status).toBe(400);
    expect(b).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' } });
  });

  it('requires max_tokens, model and messages', async () => {
    const noMax = await error(await post({ model: 'm', messages: [{ role: 'user', content: 'x' }] }));
    expect(noMax).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } } });
    expect((await error(await post({ max_tokens: 5, messages: [] }))).body.error.message).toBe('model: Field required');
    expect((await error(await post({ model: 'm', max_tokens: 5, messages: [] }))).body.error.message).toMatch(/at least one message/);
    expect((await error(await post({ model: 'm', max_tokens: 5, messages: [{ role: 'tool', content: 'x' }] }))).status).toBe(400);
  });

  it('refuses thinking budgets and combinations Anthropic refuses', async () => {
    const low = await error(await post(body('x', { max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 100 } })));
    expect(low.body.error.message).toMatch(/budget_tokens: Input should be greater than or equal to 1024/);
    const over = await error(await post(body('x', { max_tokens: 1024, thinking: { type: 'enabled', budget_tokens: 1024 } })));
    expect(over.body.error.message).toMatch(/`max_tokens` must be greater than `thinking.budget_tokens`/);
    const forced = await error(
      await post(body('x', { max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, tools: [{ name: 'f', input_schema: { type: 'object' } }], tool_choice: { type: 'any' } })),
    );
    expect(forced.body.error.message).toMatch(/Thinking may not be enabled when tool_choice forces tool use/);
  });

  it('answers invalid JSON, bad directives and unknown paths in Anthropic format', async () => {
    const bad = await error(await post('{"model": '));
    expect(bad).toMatchObject({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error' } } });
    const directive = await error(await post(body('#sim{"lateny":1}')));
    expect(directive.body.error.message).toMatch(/unknown scenario field 'lateny'/);
    const missing = await error(await post({}, undefined, HEADERS, '/v1/messages/nothing'));
    expect(missing).toMatchObject({ status: 404, body: { type: 'error', error: { type: 'not_found_error' } } });
  });

  it('counts tokens over raw HTTP, and count_tokens ignores max_tokens', async () => {
    const res = await post({ model: 'm', system: 'abcd', messages: [{ role: 'user', content: [{ type: 'text', text: 'efgh' }, { type: 'image', source: { type: 'url', url: 'https://x/y.png' } }] }] }, undefined, HEADERS, '/v1/messages/count_tokens');
    expect(await res.json()).toEqual({ input_tokens: Math.ceil(8 / 4) + 8 });
  });
});
