import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import type { StreamEvent } from '../../../src/canonical/index.js';
import { ChunkDecoder } from '../../../src/providers/openai-compatible/decode.js';
import { TextChunkTemplate } from '../../../src/providers/openai-compatible/text-chunk-template.js';

const PROVIDERS_DIR = fileURLToPath(new URL('../../fixtures/conformance/providers/', import.meta.url));

/** Decoding with the template (decodeData) and with a full parse of every chunk must give the same events. */
function both(chunks: string[]): { fast: StreamEvent[]; parsed: StreamEvent[]; matched: number } {
  const fastDecoder = new ChunkDecoder('p');
  const fast: StreamEvent[] = [];
  // The chunks the template read are the ones JSON.parse never saw whole (it may still read a lone string literal).
  const parse = vi.spyOn(JSON, 'parse');
  for (const data of chunks) expect(fastDecoder.decodeData(data, fast)).toBe(true);
  const matched = chunks.length - parse.mock.calls.filter(([arg]) => typeof arg === 'string' && arg.startsWith('{')).length;
  parse.mockRestore();
  const parsedDecoder = new ChunkDecoder('p');
  const parsed: StreamEvent[] = [];
  for (const data of chunks) parsedDecoder.decode(JSON.parse(data), parsed);
  return { fast, parsed, matched };
}

function recorded(): { name: string; chunks: string[] }[] {
  const out: { name: string; chunks: string[] }[] = [];
  for (const folder of readdirSync(PROVIDERS_DIR)) {
    if (folder === 'google-gemini') continue;
    for (const file of readdirSync(`${PROVIDERS_DIR}${folder}`).filter((f) => f.endsWith('.chunks.txt'))) {
      const chunks = readFileSync(`${PROVIDERS_DIR}${folder}/${file}`, 'utf8')
        .split('\n')
        .filter((line) => line.trim().startsWith('{'));
      out.push({ name: `${folder}/${file}`, chunks });
    }
  }
  return out;
}

const head = '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":';
const text = (content: string, tail = ',"usage":null,"obfuscation":"abc"}') => `${head}{"content":${JSON.stringify(content)}},"logprobs":null,"finish_reason":null}]${tail}`;
const role = `${head}{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`;

describe('TextChunkTemplate: plain text chunks read without a full parse', () => {
  const streams = recorded();

  it('finds recorded provider streams to check', () => {
    expect(streams.length).toBeGreaterThanOrEqual(5);
  });

  for (const { name, chunks } of recorded()) {
    it(`reads ${name} exactly as a full parse does`, () => {
      const { fast, parsed } = both(chunks);
      expect(fast).toEqual(parsed);
    });
  }

  it('reads most chunks of a plain text answer from the template (DeepSeek, Qwen, OpenAI)', () => {
    for (const { name, chunks } of streams.filter((s) => /deepseek-text|alibaba-text|openai-text/.test(s.name))) {
      const { matched } = both(chunks);
      expect(matched, name).toBeGreaterThan(chunks.length / 2);
    }
  });

  it('keeps escapes, quotes, unicode and per-chunk padding as JSON reads them', () => {
    const long = 'a plain piece of text well past a dozen characters';
    const chunks = [role, text('a'), text('line\nbreak "quoted" \\ back'), text('é中😀'), text('\u2028'), text(long), text('x', ',"usage":null,"obfuscation":"zzzzzzzzz"}'), text('y', '}')];
    const { fast, parsed, matched } = both(chunks);
    expect(fast).toEqual(parsed);
    expect(fast.filter((e) => e.type === 'text-delta').map((e) => (e as { text: string }).text)).toEqual(['a', 'line\nbreak "quoted" \\ back', 'é中😀', '\u2028', long, 'x', 'y']);
    // Parsed whole: the role chunk (it starts the stream), the first text chunk (it teaches the template) and the
    // last (its chunk ends differently); the long text is read from the template like the others.
    expect(matched).toBe(chunks.length - 3);
  });

  it('parses in full whatever differs from the learned chunk: finish, usage, another member, an error', () => {
    const chunks = [
      role,
      text('a'),
      text('b'),
      `${head}{"content":"c","reasoning_content":"r"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"abc"}`,
      `${head}{"content":"d"},"logprobs":null,"finish_reason":"stop"}],"usage":null,"obfuscation":"abc"}`,
      text('e', ',"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}'),
      text('f', ',"usage":null,"error":"x"}'),
      text('g', ',"usage":null,"obfuscation":"ab\\"c"}'),
    ];
    const { fast, parsed } = both(chunks);
    expect(fast).toEqual(parsed);
    expect(fast.some((e) => e.type === 'finish')).toBe(true);
    expect(fast.some((e) => e.type === 'usage')).toBe(true);
    expect(fast.some((e) => e.type === 'reasoning-delta')).toBe(true);
    expect(fast.some((e) => e.type === 'error')).toBe(true);
  });

  it('never accepts what JSON would reject', () => {
    const template = new TextChunkTemplate();
    template.learn(text('a'), 'a', { key: 'obfuscation', value: 'abc' });
    expect(template.match(text('b'))).toBe('b');
    expect(template.match(`${head}{"content":"raw\u0001control"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"abc"}`)).toBeUndefined();
    expect(template.match(`${head}{"content":"unterminated`)).toBeUndefined();
    expect(template.match(`${head}{"content":"bad \\x escape"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"abc"}`)).toBeUndefined();
    expect(template.match(`${head}{"content":"b"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"a\u0001"}`)).toBeUndefined();
    expect(template.match(`${head}{"content":"b"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"abc"}}`)).toBeUndefined();
  });

  it('is not used where text must be split (think tags)', () => {
    const decoder = new ChunkDecoder('minimax', { thinkTags: true } as never);
    const out: StreamEvent[] = [];
    for (const data of [role, text('<think>plan'), text('ning</think>'), text('answer')]) decoder.decodeData(data, out);
    expect(out.filter((e) => e.type === 'reasoning-delta').map((e) => (e as { text: string }).text).join('')).toBe('planning');
    expect(out.filter((e) => e.type === 'text-delta').map((e) => (e as { text: string }).text).join('')).toBe('answer');
  });

  it('reports a chunk that is not JSON', () => {
    const decoder = new ChunkDecoder('p');
    const out: StreamEvent[] = [];
    decoder.decodeData(role, out);
    decoder.decodeData(text('a'), out);
    expect(decoder.decodeData('{"id":', out)).toBe(false);
  });
});
