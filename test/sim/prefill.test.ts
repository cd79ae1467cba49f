/**
 * Assistant prefills over raw HTTP: each dialect continues a final assistant turn from exactly where it ends
 * (the natural answer minus the prefill), counts only the continuation as output, refuses what its provider
 * refuses, and `faultProfiles` lets one host break while the host that continues the stream answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { continuationOf } from '../../src/sim/answer.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { postJson, sseData } from '../support/sse.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ profiles: { first: {}, second: {}, refuser: { prefill: 'reject' } } });
});
afterAll(() => sim.close());

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const QUESTION = 'Tell me about the harbour.';
const ANTHROPIC_HEADERS = { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-test' };
/** The simulator's prompt-token convention. */
const promptTokens = (texts: string[]) => Math.ceil(texts.join('').length / 4) + 4 * texts.length;
/** The natural answer's tokens: one word and its trailing space each. */
const tokensOf = (text: string) => text.match(/\S+\s*/g) ?? [];

/** Reads a response body until it ends or the socket drops. */
async function readAll(res: Response): Promise<{ text: string; broken: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, broken: false };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return { text, broken: true };
  }
}

/** The JSON payloads of complete `data:` events (a trailing partial one is dropped). */
function payloads(text: string): Json[] {
  const out: Json[] = [];
  for (const d of sseData(text)) {
    try {
      out.push(JSON.parse(d) as Json);
    } catch {
      // [DONE], or an event the socket cut short
    }
  }
  return out;
}

describe('the joint between prefill and continuation', () => {
  const tokens = ['lorem ', 'ipsum ', 'dolor '];

  it('continues right after the prefill as received', () => {
    expect(continuationOf(tokens, 'lorem ')).toEqual(['ipsum ', 'dolor ']);
    expect(continuationOf(tokens, 'lorem ip')).toEqual(['sum ', 'dolor ']);
    expect(continuationOf(tokens, '')).toEqual(tokens);
    expect(continuationOf(tokens, 'lorem ipsum dolor ')).toEqual([]);
  });

  it('matches a prefill whose trailing whitespace was trimmed, and then opens with that whitespace', () => {
    expect(continuationOf(tokens, 'lorem ipsum')).toEqual([' ', 'dolor ']);
    // Trailing whitespace the answer does not have is ignored for the match; the continuation follows the text.
    expect(continuationOf(tokens, 'lorem ipsum\n')).toEqual([' ', 'dolor ']);
  });

  it('does not match a prefill the answer does not begin with', () => {
    expect(continuationOf(tokens, 'ipsum')).toBeUndefined();
    expect(continuationOf(tokens, 'lorem  ipsum')).toBeUndefined();
    expect(continuationOf([], 'lorem')).toBeUndefined();
  });
});

// --- OpenAI ---------------------------------------------------------------------------------------------------------

const user = (content: string) => ({ role: 'user', content });

async function openai(messages: unknown[], opts: { stream?: boolean; path?: string; extra?: object; scenario?: object } = {}) {
  const body = { model: 'deepseek-chat', messages, stream: opts.stream === true, stream_options: opts.stream ? { include_usage: true } : undefined, ...opts.extra };
  const res = await postJson(`${sim.url}${opts.path ?? '/v1/chat/completions'}`, body, opts.scenario);
  if (res.status !== 200) return { status: res.status, text: '', usage: undefined as Json | undefined, error: (await res.json()) as Json, broken: false };
  if (!opts.stream) {
    const json = (await res.json()) as Json;
    return { status: 200, text: json.choices[0].message.content as string, usage: json.usage as Json, error: undefined, broken: false };
  }
  const { text, broken } = await readAll(res);
  const chunks = payloads(text);
  const content = chunks.map((c) => (c.choices?.[0]?.delta?.content as string | undefined) ?? '').join('');
  return { status: 200, text: content, usage: chunks.find((c) => c.usage)?.usage as Json | undefined, error: undefined, broken };
}

async function naturalOpenAI(question = QUESTION): Promise<string> {
  return (await openai([user(question)])).text;
}

function lastLogged() {
  return sim.requests().at(-1)!;
}

describe('OpenAI dialect', () => {
  const flags: [string, (text: string) => { messages: unknown[]; extra?: object }][] = [
    ['prefix: true (DeepSeek, Mistral)', (text) => ({ messages: [user(QUESTION), { role: 'assistant', content: text, prefix: true }] })],
    ['partial: true (Moonshot)', (text) => ({ messages: [user(QUESTION), { role: 'assistant', content: text, partial: true }] })],
    [
      'continue_final_message (vLLM)',
      (text) => ({ messages: [user(QUESTION), { role: 'assistant', content: text }], extra: { continue_final_message: true, add_generation_prompt: false } }),
    ],
  ];
  for (const [name, build] of flags) {
    for (const stream of [false, true]) {
      it(`continues a prefill flagged ${name}${stream ? ', streaming' : ''}`, async () => {
        const natural = await naturalOpenAI();
        const tokens = tokensOf(natural);
        expect(tokens).toHaveLength(16);
        const prefill = tokens.slice(0, 5).join('');
        const { messages, extra } = build(prefill);
        const out = await openai(messages, { stream, extra });
        expect(out.status).toBe(200);
        expect(out.text).toBe(natural.slice(prefill.length));
        expect(prefill + out.text).toBe(natural);
        expect(out.usage).toMatchObject({ completion_tokens: 11, prompt_tokens: promptTokens([QUESTION, prefill]), total_tokens: 11 + promptTokens([QUESTION, prefill]) });
        const mode = name.startsWith('prefix') ? 'prefix' : name.startsWith('partial') ? 'partial' : 'continue_final_message';
        expect(lastLogged().prefill).toEqual({ mode, text: prefill, matched: true });
      });
    }
  }

  it('treats a final assistant message without a flag as an ordinary turn', async () => {
    const natural = await naturalOpenAI();
    const prefill = tokensOf(natural).slice(0, 5).join('');
    const out = await openai([user(QUESTION), { role: 'assistant', content: prefill }]);
    expect(out.text).toBe(natural);
    expect(out.usage!.completion_tokens).toBe(16);
    expect(lastLogged().prefill).toBeUndefined();
  });

  it('serves DeepSeek’s /beta base path, also under a profile', async () => {
    const natural = await naturalOpenAI();
    const prefill = tokensOf(natural).slice(0, 3).join('');
    for (const path of ['/beta/chat/completions', '/p/second/beta/chat/completions']) {
      for (const stream of [false, true]) {
        const out = await openai([user(QUESTION), { role: 'assistant', content: prefill, prefix: true }], { path, stream });
        expect(out.text, path).toBe(natural.slice(prefill.length));
        expect(out.usage!.completion_tokens).toBe(13);
        expect(lastLogged().path).toBe(path);
      }
    }
  });

  it('continues a prefill that ends inside a token, counting the rest of that token', async () => {
    const natural = await naturalOpenAI();
    const first = tokensOf(natural)[0]!;
    const prefill = first.slice(0, 2);
    const out = await openai([user(QUESTION), { role: 'assistant', content: prefill, prefix: true }], { stream: true });
    expect(prefill + out.text).toBe(natural);
    expect(out.usage!.completion_tokens).toBe(16);
  });

  it('answers in full, and records the mismatch, when the prefill is not how the answer begins', async () => {
    const natural = await naturalOpenAI();
    const out = await openai([user(QUESTION), { role: 'assistant', content: 'Something else entirely', prefix: true }]);
    expect(out.text).toBe(natural);
    expect(out.usage!.completion_tokens).toBe(16);
    expect(lastLogged().prefill).toEqual({ mode: 'prefix', text: 'Something else entirely', matched: false });
  });

  it('takes the directive from the last user message, before the prefill', async () => {
    const question = `${QUESTION} #sim{"outputTokens":6}`;
    const natural = await naturalOpenAI(question);
    expect(tokensOf(natural)).toHaveLength(6);
    const prefill = tokensOf(natural).slice(0, 2).join('');
    const out = await openai([user(question), { role: 'assistant', content: prefill, prefix: true }]);
    expect(prefill + out.text).toBe(natural);
    expect(out.usage!.completion_tokens).toBe(4);
  });

  it('refuses continue_final_message together with add_generation_prompt, as vLLM does', async () => {
    const out = await openai([user(QUESTION), { role: 'assistant', content: 'x' }], { extra: { continue_final_message: true, add_generation_prompt: true } });
    expect(out.status).toBe(400);
    expect(out.error!.error.message).toMatch(/Cannot set both `continue_final_message` and `add_generation_prompt`/);
  });

  it("answers 400 invalid_request_error to a prefill under prefill: 'reject', and serves the same body without one", async () => {
    const prefilled = [user(QUESTION), { role: 'assistant', content: 'lorem', prefix: true }];
    const refused = await openai(prefilled, { path: '/p/refuser/v1/chat/completions' });
    expect(refused.status).toBe(400);
    expect(refused.error).toEqual({ error: { message: 'prefix completion is not supported', type: 'invalid_request_error', param: 'messages', code: null } });
    expect(lastLogged().prefill).toMatchObject({ mode: 'prefix', text: 'lorem' });
    expect((await openai(prefilled, { scenario: { prefill: 'reject' } })).status).toBe(400);
    // A header can switch a refusing profile back on; a request without a prefill is never refused.
    expect((await openai(prefilled, { path: '/p/refuser/v1/chat/completions', scenario: { prefill: 'accept' } })).status).toBe(200);
    expect((await openai([user(QUESTION)], { path: '/p/refuser/v1/chat/completions' })).status).toBe(200);
  });
});

// --- Anthropic ------------------------------------------------------------------------------------------------------

async function anthropic(messages: unknown[], opts: { stream?: boolean; profile?: string; scenario?: object } = {}) {
  const path = `${opts.profile ? `/p/${opts.profile}` : ''}/v1/messages`;
  const res = await postJson(`${sim.url}${path}`, { model: 'claude-haiku-4-5', max_tokens: 100, messages, stream: opts.stream === true }, opts.scenario, ANTHROPIC_HEADERS);
  if (res.status !== 200) return { status: res.status, text: '', usage: undefined as Json | undefined, error: (await res.json()) as Json, broken: false };
  if (!opts.stream) {
    const json = (await res.json()) as Json;
    const text = (json.content as Json[]).filter((b) => b.type === 'text').map((b) => b.text as string).join('');
    return { status: 200, text, usage: json.usage as Json, error: undefined, broken: false };
  }
  const { text, broken } = await readAll(res);
  const events = payloads(text);
  const content = events.map((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? (e.delta.text as string) : '')).join('');
  return { status: 200, text: content, usage: events.find((e) => e.type === 'message_delta')?.usage as Json | undefined, error: undefined, broken };
}

describe('Anthropic dialect', () => {
  for (const stream of [false, true]) {
    it(`continues a final assistant turn${stream ? ', streaming' : ''}: the continuation opens with the whitespace the prefill left out`, async () => {
      const natural = (await anthropic([user(QUESTION)])).text;
      const delivered = tokensOf(natural).slice(0, 5).join('');
      const prefill = delivered.trimEnd();
      const out = await anthropic([user(QUESTION), { role: 'assistant', content: prefill }], { stream });
      expect(out.status).toBe(200);
      expect(out.text).toBe(natural.slice(prefill.length));
      expect(out.text.startsWith(' ')).toBe(true);
      expect(prefill + out.text).toBe(natural);
      // The bare space left of the fifth token counts as one: 11 whole tokens + 1.
      expect(out.usage).toMatchObject({ output_tokens: 12, input_tokens: promptTokens([QUESTION, prefill]) });
      expect(lastLogged().prefill).toEqual({ mode: 'trailing_assistant', text: prefill, matched: true });
    });
  }

  it('continues a prefill given as text blocks', async () => {
    const natural = (await anthropic([user(QUESTION)])).text;
    const prefill = tokensOf(natural).slice(0, 2).join('').trimEnd();
    const out = await anthropic([user(QUESTION), { role: 'assistant', content: [{ type: 'text', text: prefill }] }]);
    expect(prefill + out.text).toBe(natural);
  });

  it('refuses a final assistant turn that ends with whitespace, as Anthropic does', async () => {
    const out = await anthropic([user(QUESTION), { role: 'assistant', content: 'lorem ipsum ' }]);
    expect(out.status).toBe(400);
    expect(out.error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'messages: final assistant content cannot end with trailing whitespace' },
    });
  });

  it("answers 400 invalid_request_error to a prefill under prefill: 'reject'", async () => {
    const out = await anthropic([user(QUESTION), { role: 'assistant', content: 'lorem' }], { profile: 'refuser' });
    expect(out.status).toBe(400);
    expect(out.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/prefill/) as unknown } });
    expect((await anthropic([user(QUESTION)], { profile: 'refuser' })).status).toBe(200);
  });
});

// --- Gemini ---------------------------------------------------------------------------------------------------------

async function gemini(contents: unknown[], opts: { stream?: boolean; profile?: string } = {}) {
  const method = opts.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  const path = `${opts.profile ? `/p/${opts.profile}` : ''}/v1beta/models/gemini-2.5-flash:${method}`;
  const res = await postJson(`${sim.url}${path}`, { contents }, undefined, { 'x-goog-api-key': 'k' });
  if (res.status !== 200) return { status: res.status, text: '', usage: undefined as Json | undefined, error: (await res.json()) as Json };
  const docs = opts.stream ? payloads(await res.text()) : [(await res.json()) as Json];
  const text = docs
    .flatMap((d) => (d.candidates?.[0]?.content?.parts ?? []) as Json[])
    .filter((p) => typeof p.text === 'string' && p.thought !== true)
    .map((p) => p.text as string)
    .join('');
  return { status: 200, text, usage: docs.at(-1)!.usageMetadata as Json, error: undefined };
}

const gUser = (text: string) => ({ role: 'user', parts: [{ text }] });

describe('Gemini dialect', () => {
  for (const stream of [false, true]) {
    it(`continues a final model turn${stream ? ', streaming' : ''}`, async () => {
      const natural = (await gemini([gUser(QUESTION)])).text;
      const prefill = tokensOf(natural).slice(0, 4).join('');
      const out = await gemini([gUser(QUESTION), { role: 'model', parts: [{ text: prefill }] }], { stream });
      expect(out.status).toBe(200);
      expect(out.text).toBe(natural.slice(prefill.length));
      expect(out.usage).toMatchObject({ candidatesTokenCount: 12, promptTokenCount: promptTokens([QUESTION, prefill]) });
      expect(lastLogged().prefill).toEqual({ mode: 'trailing_assistant', text: prefill, matched: true });
    });
  }

  it('gives the same words through every dialect', async () => {
    const natural = await naturalOpenAI();
    expect((await gemini([gUser(QUESTION)])).text).toBe(natural);
    expect((await anthropic([user(QUESTION)])).text).toBe(natural);
  });

  it("answers 400 INVALID_ARGUMENT to a prefill under prefill: 'reject'", async () => {
    const out = await gemini([gUser(QUESTION), { role: 'model', parts: [{ text: 'lorem' }] }], { profile: 'refuser' });
    expect(out.status).toBe(400);
    expect(out.error).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
  });
});

// --- Resumption: faultProfiles ----------------------------------------------------------------------------------------

describe('faultProfiles', () => {
  const cutOnFirst = `${QUESTION} #sim{"fault":"cut","afterChunks":5,"faultProfiles":["first"]}`;

  it('breaks the stream on the named profile only, so another host can continue it (OpenAI prefix)', async () => {
    const broken = await openai([user(cutOnFirst)], { stream: true, path: '/p/first/v1/chat/completions' });
    expect(broken.broken).toBe(true);
    const delivered = broken.text;
    expect(tokensOf(delivered)).toHaveLength(5);

    const natural = await openai([user(cutOnFirst)], { path: '/p/second/v1/chat/completions' });
    expect(natural.text.startsWith(delivered)).toBe(true);

    const resumed = await openai([user(cutOnFirst), { role: 'assistant', content: delivered, prefix: true }], { stream: true, path: '/p/second/beta/chat/completions' });
    expect(resumed.broken).toBe(false);
    expect(delivered + resumed.text).toBe(natural.text);
    expect(resumed.usage!.completion_tokens).toBe(11);
    expect(lastLogged().prefill).toMatchObject({ matched: true });
  });

  it('breaks the stream on the named profile only (Anthropic: trimmed prefill, continuation opens with the space)', async () => {
    const broken = await anthropic([user(cutOnFirst)], { stream: true, profile: 'first' });
    expect(broken.broken).toBe(true);
    const delivered = broken.text;
    expect(delivered.endsWith(' ')).toBe(true);

    const resumed = await anthropic([user(cutOnFirst), { role: 'assistant', content: delivered.trimEnd() }], { stream: true, profile: 'second' });
    expect(resumed.broken).toBe(false);
    const natural = (await anthropic([user(cutOnFirst)], { profile: 'second' })).text;
    expect(delivered.trimEnd() + resumed.text).toBe(natural);
    expect(resumed.text.startsWith(' ')).toBe(true);
  });

  it('without faultProfiles, the directive’s fault strikes the continuing host too (a profile cannot undo it)', async () => {
    const everywhere = `${QUESTION} #sim{"fault":"cut","afterChunks":5}`;
    sim.setProfile('calm', { fault: 'none' });
    const out = await openai([user(everywhere), { role: 'assistant', content: 'lorem', prefix: true }], { stream: true, path: '/p/calm/v1/chat/completions' });
    expect(out.broken).toBe(true);
  });

  it("names requests without a profile prefix ''", async () => {
    const out = await openai([user(`${QUESTION} #sim{"fault":"cut","afterChunks":2,"faultProfiles":[""]}`)], { stream: true });
    expect(out.broken).toBe(true);
  });

  it('validates faultProfiles and prefill like every other field', async () => {
    for (const bad of [{ faultProfiles: 'first' }, { faultProfiles: [1] }, { prefill: 'maybe' }]) {
      const out = await openai([user(QUESTION)], { scenario: bad });
      expect(out.status, JSON.stringify(bad)).toBe(400);
      expect(out.error!.error.code).toBe('invalid_sim_scenario');
    }
    expect(() => sim.setProfile('bad', { faultProfiles: 'x' as unknown as string[] })).toThrow(/faultProfiles/);
  });
});
