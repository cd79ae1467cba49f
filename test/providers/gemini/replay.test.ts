import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatRequest, Message, StreamEvent } from '../../../src/canonical/index.js';
import { API_KEY, FakeGemini, ask, call, collect, fold, json, jsGenaiRecordings, makeAdapter, provider, sse, type Recording } from './support.js';

/**
 * Replays every recording of googleapis/js-genai (real Gemini API and Vertex traffic) through the adapter and
 * checks the canonical result against what the recorded chunks say.
 */

const fake = new FakeGemini();
const { adapter, http } = makeAdapter();

beforeAll(() => fake.start());
afterAll(async () => {
  await http.close();
  await fake.close();
});

type Json = Record<string, unknown>;
type Part = Json & { text?: string; thought?: boolean; thoughtSignature?: string; functionCall?: Json };

function parts(segments: unknown[]): Part[] {
  return segments.flatMap((s) => ((s as Json).candidates as Json[] | undefined)?.flatMap((c) => ((c.content as Json | undefined)?.parts as Part[] | undefined) ?? []) ?? []);
}

/** An independent reading of the recorded chunks: what the client should end up with. */
function expected(segments: unknown[]) {
  const all = parts(segments);
  const calls = all.filter((p) => typeof p.functionCall?.name === 'string');
  const finishes = segments.flatMap((s) => ((s as Json).candidates as Json[] | undefined)?.flatMap((c) => (typeof c.finishReason === 'string' ? [c.finishReason] : [])) ?? []);
  const raw = finishes.at(-1);
  const usage = segments.map((s) => (s as Json).usageMetadata as Json | undefined).filter((u) => u?.promptTokenCount !== undefined).at(-1);
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  return {
    text: all.filter((p) => typeof p.text === 'string' && !p.thought).map((p) => p.text).join(''),
    calls: calls.map((p) => ({ name: p.functionCall!.name, args: p.functionCall!.args ?? {} })),
    streamedArgs: all.some((p) => p.functionCall?.partialArgs !== undefined || p.functionCall?.willContinue !== undefined),
    signatures: all.flatMap((p) => (p.thoughtSignature ? [p.thoughtSignature] : [])),
    raw,
    reason: raw === 'STOP' ? (calls.length > 0 ? 'tool_calls' : 'stop') : raw === 'MAX_TOKENS' ? 'length' : raw,
    usage: usage && {
      inputTokens: n(usage.promptTokenCount),
      outputTokens: n(usage.candidatesTokenCount) + n(usage.thoughtsTokenCount),
      ...(usage.thoughtsTokenCount !== undefined ? { reasoningTokens: usage.thoughtsTokenCount } : {}),
    },
  };
}

function modelOf(url: string): string {
  return /models\/([^:]+):/.exec(url)![1]!;
}

const cases = jsGenaiRecordings().flatMap(({ file, recording }) =>
  recording.interactions.map((interaction, i) => ({ name: `${file.replace(/\.json$/, '')} #${i + 1}`, interaction })),
);

describe('js-genai recordings', () => {
  for (const { name, interaction } of cases.filter((c) => c.interaction.response.statusCode === 200 && c.interaction.response.bodySegments)) it(name, async () => {
    const segments = interaction.response.bodySegments!;
    const streaming = interaction.request.url.includes(':streamGenerateContent');
    const model = modelOf(interaction.request.url);
    const want = expected(segments);
    const target = provider(fake.url);
    fake.reply(streaming ? sse(segments) : json(200, segments[0]));

    let got: ReturnType<typeof fold>;
    if (streaming) {
      got = fold(await collect(await adapter.chatStream(ask('hi', { stream: true }), call(target, model))));
    } else {
      const r = await adapter.chat(ask('hi'), call(target, model));
      got = {
        text: r.content ?? '',
        reasoning: r.reasoning ?? '',
        calls: (r.toolCalls ?? []).map((c) => ({ ...c })),
        details: r.reasoningDetails ?? [],
        finish: [{ type: 'finish', reason: r.finishReason, raw: r.rawFinishReason }],
        usage: r.usage,
        error: undefined,
      };
    }

    const seen = fake.seen.at(-1)!;
    expect(seen.url).toBe(`/v1beta/models/${model}:${streaming ? 'streamGenerateContent?alt=sse' : 'generateContent'}`);
    if (interaction.request.url.startsWith('/v1beta/models/')) expect(seen.url).toBe(interaction.request.url);
    expect(seen.headers['x-goog-api-key']).toBe(API_KEY);
    expect(seen.url).not.toContain(API_KEY);

    expect(got.error).toBeUndefined();
    expect(got.text).toBe(want.text);
    if (!want.streamedArgs) expect(got.calls.map((c) => ({ name: c.name, args: JSON.parse(c.arguments) as unknown }))).toEqual(want.calls);
    for (const c of got.calls) expect(c.id).toMatch(/^call_gm_[0-9a-f]{16}$/);
    expect(got.details.map((d) => d.data)).toEqual(want.signatures);
    for (const d of got.details) expect(d).toMatchObject({ type: 'reasoning.encrypted', format: 'google-gemini-v1' });
    expect(got.finish).toHaveLength(1);
    expect(got.finish[0]).toMatchObject({ reason: want.reason, raw: want.raw });
    expect(got.usage).toEqual(want.usage);
  });

  it('maps the recorded 404 of a stream request (an unknown model) to upstream_error, retryable elsewhere', async () => {
    const { interaction } = cases.find((c) => c.name.startsWith('Chats_Tests_sendMessage_Send_message_stream_with_error'))!;
    expect(interaction.response.statusCode).toBe(404);
    fake.reply((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/event-stream' });
      res.end(JSON.stringify(interaction.response.bodySegments![0], null, 2));
    });
    const err = await adapter.chatStream(ask('why is the sky blue?', { stream: true }), call(provider(fake.url), 'custom-gemini-2.0-flash')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'upstream_error', upstreamStatus: 404, retryableUpstream: true, provider: 'google' });
    expect((err as Error).message).toContain('models/custom-gemini-2.0-flash is not found');
  });

  it('treats the recorded empty 200 stream (no chunk, no finish reason) as interrupted', async () => {
    const { interaction } = cases.find((c) => c.interaction.response.statusCode === 200 && !c.interaction.response.bodySegments)!;
    fake.reply(sse([]));
    const events = await collect(await adapter.chatStream(ask('why is the sky blue?', { stream: true }), call(provider(fake.url), modelOf(interaction.request.url))));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'error', error: { code: 'stream_interrupted' } });
  });
});

describe('request bodies match what js-genai sent', () => {
  function recorded(prefix: string): Recording['interactions'] {
    return cases.filter((c) => c.name.startsWith(prefix)).map((c) => c.interaction);
  }

  function withoutEmptyConfig(body: unknown): Json {
    const out = { ...(body as Json) };
    if (out.generationConfig && Object.keys(out.generationConfig as Json).length === 0) delete out.generationConfig;
    return out;
  }

  it('replays a three-step function-calling conversation, thought signatures included', async () => {
    const steps = recorded('AFC_Streaming_Tests_chat_stream_AFC_enabled_AFC_max_calls_exceeded_Google_AI');
    expect(steps).toHaveLength(3);
    const first = steps[0]!.request.bodySegments![0] as Json;
    const decl = ((first.tools as Json[])[0]!.functionDeclarations as Json[])[0]!;
    const base: Omit<ChatRequest, 'messages'> = {
      model: 'google/gemini-2.5-flash',
      tools: [{ type: 'function', name: decl.name as string, description: decl.description as string, parameters: decl.parametersJsonSchema as Json }],
      toolChoice: 'auto',
      stream: true,
      includeUsage: true,
      extra: {},
    };
    const text = ((first.contents as Json[])[0]!.parts as Json[])[0]!.text as string;
    const messages: Message[] = [{ role: 'user', content: text }];
    const toolResults = [{ output: 42 }, { output: 2 }];
    for (let i = 0; i < steps.length; i++) {
      fake.reply(sse(steps[i]!.response.bodySegments!));
      const c = call(provider(fake.url), 'gemini-2.5-flash');
      const events: StreamEvent[] = await collect(await adapter.chatStream({ ...base, messages }, c));
      expect(withoutEmptyConfig(fake.seen.at(-1)!.body)).toEqual(withoutEmptyConfig(steps[i]!.request.bodySegments![0]));
      expect(c.warnings).toEqual([]);
      const answer = fold(events);
      if (i === steps.length - 1) {
        expect(answer.text).toBe('The result is 2.');
        break;
      }
      const id = answer.calls[0]!.id!;
      messages.push(
        { role: 'assistant', content: null, toolCalls: [{ id, name: answer.calls[0]!.name!, arguments: answer.calls[0]!.arguments }], reasoningDetails: answer.details },
        { role: 'tool', toolCallId: id, content: JSON.stringify(toolResults[i]) },
      );
    }
  });

  it('sends generation settings, system instruction and history as js-genai did', async () => {
    const cases2: [string, ChatRequest][] = [
      ['Chats_Tests_sendMessage_Google_AI_with_config_stream', ask('why is the sky blue?', { stream: true, maxTokens: 20, temperature: 0.5 })],
      ['Chats_Tests_sendMessage_Google_AI_with_history_stream', ask('', { stream: true, messages: [{ role: 'user', content: 'a=5' }, { role: 'user', content: 'b=10' }, { role: 'user', content: 'what is the value of a+b?' }] })],
      ['Chats_Tests_sendMessage_Google_AI_with_empty_text_stream', ask('', { stream: true, messages: [{ role: 'user', content: 'a=5' }, { role: 'assistant', content: '' }, { role: 'user', content: 'what is the value of a+10?' }] })],
      ['Client_Tests_generateContentStream_ML_Dev_should_stream_generate_content_with_specified_parameters', ask('why is the sky blue?', { stream: true, maxTokens: 200, reasoning: { maxTokens: 50, exclude: true } })],
    ];
    for (const [prefix, request] of cases2) {
      const step = recorded(prefix)[0]!;
      fake.reply(sse(step.response.bodySegments!));
      await collect(await adapter.chatStream(request, call(provider(fake.url), modelOf(step.request.url))));
      const want = withoutEmptyConfig(step.request.bodySegments![0]);
      const config = want.generationConfig as Json | undefined;
      if (config) delete config.candidateCount; // js-genai's default, implied by the API
      expect(fake.seen.at(-1)!.body).toEqual(want);
    }
  });
});
