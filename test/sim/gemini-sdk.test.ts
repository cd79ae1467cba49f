/** The simulator's Gemini face as the official @google/genai SDK sees it. */
import { readFileSync } from 'node:fs';
import { ApiError, GoogleGenAI, type FunctionDeclaration, type GenerateContentResponse } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';

let sim: Simulator;
let ai: GoogleGenAI;

beforeAll(async () => {
  sim = await startSimulator({ profiles: { busy: { fault: 'status', status: 503 } } });
  ai = new GoogleGenAI({ apiKey: 'gemini-test-key', httpOptions: { baseUrl: sim.url } });
});
afterAll(() => sim.close());

const MODEL = 'gemini-2.5-flash';

/** A client whose requests carry the scenario in the x-sim-scenario header. */
function withScenario(scenario: object): GoogleGenAI {
  return new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: sim.url, headers: { 'x-sim-scenario': JSON.stringify(scenario) } } });
}

const weather: FunctionDeclaration = {
  name: 'get_weather',
  description: 'Current weather',
  parametersJsonSchema: {
    type: 'object',
    properties: { city: { type: 'string' }, days: { type: 'integer' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
    required: ['city', 'days', 'unit'],
  },
};
// The OpenAPI-style schema of older Gemini code: capitalised types.
const time: FunctionDeclaration = { name: 'get_time', parameters: { type: 'OBJECT' as never, properties: { zone: { type: 'STRING' as never } }, required: ['zone'] } };

async function collect(stream: AsyncGenerator<GenerateContentResponse>): Promise<GenerateContentResponse[]> {
  const out: GenerateContentResponse[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

describe('generateContent through the genai SDK', () => {
  it('answers a non-stream request', async () => {
    const res = await ai.models.generateContent({ model: MODEL, contents: 'Hello there', config: { systemInstruction: 'Be brief.' } });
    expect(res.text!.trim().split(' ')).toHaveLength(16);
    const candidate = res.candidates![0]!;
    expect(candidate.finishReason).toBe('STOP');
    expect(candidate.index).toBe(0);
    expect(candidate.content!.role).toBe('model');
    expect(res.modelVersion).toBe(MODEL);
    expect(res.responseId).toBeTruthy();
    const prompt = Math.ceil(('Hello there'.length + 'Be brief.'.length) / 4) + 8;
    expect(res.usageMetadata).toMatchObject({ promptTokenCount: prompt, candidatesTokenCount: 16, totalTokenCount: prompt + 16 });
    expect(res.usageMetadata!.thoughtsTokenCount).toBeUndefined();
  });

  it('streams one token per chunk with cumulative usage and the finishReason last', async () => {
    const expected = await ai.models.generateContent({ model: MODEL, contents: 'Stream please', config: { maxOutputTokens: 5 } });
    const chunks = await collect(await ai.models.generateContentStream({ model: MODEL, contents: 'Stream please', config: { maxOutputTokens: 5 } }));
    expect(chunks).toHaveLength(5);
    expect(chunks.map((c) => c.text).join('')).toBe(expected.text);
    expect(chunks.map((c) => c.usageMetadata!.candidatesTokenCount)).toEqual([1, 2, 3, 4, 5]);
    const prompt = expected.usageMetadata!.promptTokenCount!;
    for (const c of chunks) expect(c.usageMetadata!.totalTokenCount).toBe(prompt + c.usageMetadata!.candidatesTokenCount!);
    expect(chunks.map((c) => c.candidates![0]!.finishReason ?? null)).toEqual([null, null, null, null, 'STOP']);
  });

  it('stops with MAX_TOKENS when the answer is longer than maxOutputTokens', async () => {
    const res = await withScenario({ outputTokens: 30 }).models.generateContent({ model: MODEL, contents: 'long', config: { maxOutputTokens: 4 } });
    expect(res.candidates![0]!.finishReason).toBe('MAX_TOKENS');
    expect(res.usageMetadata!.candidatesTokenCount).toBe(4);
  });

  it('shows thoughts first with includeThoughts, and signs the answer deterministically', async () => {
    const params = { model: MODEL, contents: 'Think', config: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } } };
    const res = await ai.models.generateContent(params);
    const parts = res.candidates![0]!.content!.parts!;
    expect(parts[0]!.thought).toBe(true);
    expect(parts[0]!.text!.trim().split(' ')).toHaveLength(8);
    expect(parts[1]!.thought).toBeUndefined();
    expect(parts[1]!.thoughtSignature).toMatch(/^[A-Za-z0-9+/]{40,}={0,2}$/);
    expect(res.usageMetadata).toMatchObject({ thoughtsTokenCount: 8, candidatesTokenCount: 16 });
    expect(res.usageMetadata!.totalTokenCount).toBe(res.usageMetadata!.promptTokenCount! + 24);
    expect(res.text).not.toContain(parts[0]!.text!); // the SDK's .text leaves thoughts out

    const chunks = await collect(await ai.models.generateContentStream(params));
    const thoughts = chunks.filter((c) => c.candidates![0]!.content!.parts![0]!.thought);
    expect(thoughts).toHaveLength(8);
    expect(thoughts.map((c) => c.usageMetadata!.thoughtsTokenCount)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const signed = chunks.flatMap((c) => c.candidates![0]!.content!.parts!).filter((p) => p.thoughtSignature);
    expect(signed.map((p) => p.thoughtSignature)).toEqual([parts[1]!.thoughtSignature]);

    // A thinking budget without includeThoughts: the thoughts are counted, not shown.
    const hidden = await ai.models.generateContent({ model: MODEL, contents: 'Think', config: { thinkingConfig: { thinkingBudget: 512 } } });
    expect(hidden.candidates![0]!.content!.parts!.some((p) => p.thought)).toBe(false);
    expect(hidden.usageMetadata!.thoughtsTokenCount).toBe(8);
    // A model named *thinking* shows them unasked.
    const named = await ai.models.generateContent({ model: 'gemini-sim-thinking', contents: 'Think' });
    expect(named.candidates![0]!.content!.parts![0]!.thought).toBe(true);
  });

  it('calls functions with whole calls, ids and a signature on the first call when thinking', async () => {
    const res = await ai.models.generateContent({ model: MODEL, contents: 'Weather in Paris?', config: { tools: [{ functionDeclarations: [weather] }] } });
    expect(res.functionCalls).toEqual([{ id: expect.any(String), name: 'get_weather', args: { city: 'sim', days: 1, unit: 'celsius' } }]);
    expect(res.candidates![0]!.finishReason).toBe('STOP');

    const chunks = await collect(
      await ai.models.generateContentStream({
        model: MODEL,
        contents: 'Weather in Paris?',
        config: { tools: [{ functionDeclarations: [weather] }], thinkingConfig: { includeThoughts: true } },
      }),
    );
    const callChunks = chunks.filter((c) => c.functionCalls?.length);
    expect(callChunks).toHaveLength(1);
    expect(callChunks[0]!.functionCalls![0]!.args).toEqual({ city: 'sim', days: 1, unit: 'celsius' });
    expect(callChunks[0]!.candidates![0]!.content!.parts![0]!.thoughtSignature).toBeTruthy();
    expect(chunks[chunks.length - 1]).toBe(callChunks[0]);
  });

  it('makes parallel function calls in one chunk, and honours functionCallingConfig', async () => {
    const tools = [{ functionDeclarations: [weather, time] }];
    const chunks = await collect(await ai.models.generateContentStream({ model: MODEL, contents: 'Weather and time?', config: { tools } }));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.functionCalls!.map((c) => [c.name, c.args])).toEqual([
      ['get_weather', { city: 'sim', days: 1, unit: 'celsius' }],
      ['get_time', { zone: 'sim' }],
    ]);
    const ids = chunks[0]!.functionCalls!.map((c) => c.id);
    expect(new Set(ids).size).toBe(2);

    const only = await ai.models.generateContent({
      model: MODEL,
      contents: 'x',
      config: { tools, toolConfig: { functionCallingConfig: { mode: 'ANY' as never, allowedFunctionNames: ['get_time'] } } },
    });
    expect(only.functionCalls!.map((c) => c.name)).toEqual(['get_time']);
    const none = await ai.models.generateContent({ model: MODEL, contents: 'x', config: { tools, toolConfig: { functionCallingConfig: { mode: 'NONE' as never } } } });
    expect(none.functionCalls).toBeUndefined();
    expect(none.text).toBeTruthy();
  });

  it('answers text after a function response, echoing it', async () => {
    const res = await ai.models.generateContent({
      model: MODEL,
      config: { tools: [{ functionDeclarations: [weather] }] },
      contents: [
        { role: 'user', parts: [{ text: 'Weather? #sim{"outputTokens":8}' }] },
        { role: 'model', parts: [{ functionCall: { id: 'c1', name: 'get_weather', args: { city: 'Paris' } } }] },
        { role: 'user', parts: [{ functionResponse: { id: 'c1', name: 'get_weather', response: { forecast: 'sunny' } } }] },
      ],
    });
    expect(res.functionCalls).toBeUndefined();
    expect(res.text).toContain('sunny');
    expect(res.usageMetadata!.candidatesTokenCount).toBe(8);
  });

  it('answers JSON shaped by responseJsonSchema or responseSchema', async () => {
    const res = await ai.models.generateContent({
      model: MODEL,
      contents: 'json',
      config: { responseMimeType: 'application/json', responseJsonSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } },
    });
    expect(JSON.parse(res.text!)).toEqual({ ok: true });
    const legacy = await ai.models.generateContent({
      model: MODEL,
      contents: 'json',
      config: { responseMimeType: 'application/json', responseSchema: { type: 'OBJECT' as never, properties: { n: { type: 'INTEGER' as never } }, required: ['n'] } },
    });
    expect(JSON.parse(legacy.text!)).toEqual({ n: 1 });
  });

  it('reports cached tokens inside promptTokenCount', async () => {
    const res = await withScenario({ cachedTokens: 5 }).models.generateContent({ model: MODEL, contents: 'A prompt with a cached prefix, long enough.' });
    expect(res.usageMetadata!.cachedContentTokenCount).toBe(5);
    expect(res.usageMetadata!.totalTokenCount).toBe(res.usageMetadata!.promptTokenCount! + res.usageMetadata!.candidatesTokenCount!);
  });

  it('counts tokens with the simulator convention', async () => {
    const count = await ai.models.countTokens({ model: MODEL, contents: [{ role: 'user', parts: [{ text: 'Count me' }] }, { role: 'model', parts: [{ text: 'ok' }] }] });
    expect(count.totalTokens).toBe(Math.ceil('Count meok'.length / 4) + 8);
    const res = await ai.models.generateContent({ model: MODEL, contents: [{ role: 'user', parts: [{ text: 'Count me' }] }, { role: 'model', parts: [{ text: 'ok' }] }] });
    expect(res.usageMetadata!.promptTokenCount).toBe(count.totalTokens);
  });

  it('embeds deterministically, with the same vectors as the OpenAI face', async () => {
    const res = await ai.models.embedContent({ model: 'gemini-embedding-001', contents: ['alpha', 'beta'], config: { outputDimensionality: 12 } });
    expect(res.embeddings).toHaveLength(2);
    expect(res.embeddings![0]!.values).toHaveLength(12);
    const again = await ai.models.embedContent({ model: 'gemini-embedding-001', contents: 'alpha', config: { outputDimensionality: 12 } });
    expect(again.embeddings![0]!.values).toEqual(res.embeddings![0]!.values);
    const openai = new OpenAI({ apiKey: 'k', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    const theirs = await openai.embeddings.create({ model: 'e', input: 'alpha', dimensions: 12, encoding_format: 'float' });
    expect(res.embeddings![0]!.values).toEqual(theirs.data[0]!.embedding);
  });

  it('selects a profile through a /p/<name> base URL', async () => {
    const busy = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: `${sim.url}/p/busy` } });
    const err = await busy.models.generateContent({ model: MODEL, contents: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(503);
  });
});

describe('faults as the genai SDK reports them', () => {
  const fail = (scenario: object) =>
    withScenario(scenario)
      .models.generateContent({ model: MODEL, contents: 'hi' })
      .catch((e: unknown) => e);

  it('maps each status to an ApiError with Google status names', async () => {
    const cases: [number, string][] = [
      [400, 'INVALID_ARGUMENT'],
      [403, 'PERMISSION_DENIED'],
      [404, 'NOT_FOUND'],
      [429, 'RESOURCE_EXHAUSTED'],
      [500, 'INTERNAL'],
      [503, 'UNAVAILABLE'],
    ];
    for (const [status, name] of cases) {
      const err = await fail({ fault: 'status', status });
      expect(err, String(status)).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(status);
      const body = JSON.parse((err as ApiError).message) as { error: { code: number; status: string } };
      expect(body.error).toMatchObject({ code: status, status: name });
    }
  });

  it('429 carries RetryInfo with the retry delay', async () => {
    const err = (await fail({ fault: 'status', status: 429, retryAfterSeconds: 7 })) as ApiError;
    const body = JSON.parse(err.message) as { error: { details: { '@type': string; retryDelay?: string }[] } };
    expect(body.error.details).toContainEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' });
  });

  it('context_length is a 400 INVALID_ARGUMENT naming the token counts', async () => {
    const err = (await fail({ fault: 'context_length' })) as ApiError;
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/The input token count \(\d+\) exceeds the maximum number of tokens allowed \(1048576\)\./);
  });

  const drain = async (scenario: object): Promise<string> => {
    let text = '';
    for await (const chunk of await withScenario(scenario).models.generateContentStream({ model: MODEL, contents: 'hi' })) text += chunk.text ?? '';
    return text;
  };

  it('error_event raises an ApiError 500 from the stream', async () => {
    const err = await drain({ fault: 'error_event', afterChunks: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(500);
    expect((err as ApiError).message).toMatch(/INTERNAL/);
  });

  it('cut and malformed make the stream throw; no_done is a normal end', async () => {
    await expect(drain({ fault: 'cut', afterChunks: 3 })).rejects.toThrow();
    await expect(drain({ fault: 'malformed', afterChunks: 2 })).rejects.toThrow();
    expect((await drain({ fault: 'no_done' })).trim().split(' ')).toHaveLength(16);
  });

  it('hang and stall leave the client waiting', async () => {
    const hung = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: sim.url, timeout: 300, headers: { 'x-sim-scenario': '{"fault":"hang"}' } } });
    await expect(hung.models.generateContent({ model: MODEL, contents: 'hi' })).rejects.toThrow();
    const controller = new AbortController();
    const stream = await withScenario({ fault: 'stall', afterChunks: 2 }).models.generateContentStream({ model: MODEL, contents: 'hi', config: { abortSignal: controller.signal } });
    const timer = setTimeout(() => controller.abort(), 250);
    let seen = 0;
    await expect(
      (async () => {
        for await (const chunk of stream) if (chunk.text) seen++;
      })(),
    ).rejects.toThrow();
    clearTimeout(timer);
    expect(seen).toBe(2);
  });
});

describe('replay through the genai SDK', () => {
  const recording = (name: string) =>
    JSON.parse(readFileSync(new URL(`../fixtures/conformance/gemini-js-genai/${name}.json`, import.meta.url), 'utf8')) as {
      interactions: { request: { url: string }; response: { bodySegments: { candidates?: { content?: { parts?: { text?: string }[] } }[] }[] } }[];
    };
  const textOfSegments = (segments: { candidates?: { content?: { parts?: { text?: string }[] } }[] }[]) =>
    segments.map((s) => (s.candidates?.[0]?.content?.parts ?? []).map((p) => p.text ?? '').join('')).join('');

  const NAME = 'Chats_Tests_sendMessage_Google_AI_with_text_stream';

  it('streams the recorded segments of a js-genai recording', async () => {
    const expected = recording(NAME).interactions[0]!.response.bodySegments;
    const chunks = await collect(await withScenario({ replay: `gemini-js-genai/${NAME}` }).models.generateContentStream({ model: MODEL, contents: 'x' }));
    expect(chunks).toHaveLength(expected.length);
    expect(chunks.map((c) => c.text ?? '').join('')).toBe(textOfSegments(expected));
  });

  it('serves a non-stream interaction, merging a streamed one when that is all there is', async () => {
    const plain = 'non-streaming_Tests_generateContent_afc_disabled_Google_AI_AFC_disabled';
    const expected = recording(plain).interactions[0]!.response.bodySegments[0]!;
    const res = await withScenario({ replay: `gemini-js-genai/${plain}` }).models.generateContent({ model: MODEL, contents: 'x' });
    expect(res.candidates![0]!.content).toEqual(expected.candidates![0]!.content);
    const merged = await withScenario({ replay: `gemini-js-genai/${NAME}` }).models.generateContent({ model: MODEL, contents: 'x' });
    expect(merged.text).toBe(textOfSegments(recording(NAME).interactions[0]!.response.bodySegments));
  });

  it('replays a recorded error with its status', async () => {
    const client = withScenario({ replay: 'gemini-js-genai/Chats_Tests_sendMessage_Send_message_stream_with_error' });
    const err = await (async () => collect(await client.models.generateContentStream({ model: MODEL, contents: 'x' })))().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(404);
  });
});
