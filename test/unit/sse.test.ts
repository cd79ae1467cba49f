import { describe, expect, it } from 'vitest';
import { readSse } from '../../src/providers/shared/sse.js';
import { ChunkDecoder, decodeUsage } from '../../src/providers/openai-compatible/decode.js';
import type { StreamEvent } from '../../src/canonical/index.js';

async function* bytes(parts: Uint8Array[]) {
  for (const part of parts) yield part;
}

describe('readSse', () => {
  it('keeps a multi-byte character split across two reads intact', async () => {
    const whole = Buffer.from('data: {"t":"日本語"}\n\ndata: [DONE]\n\n', 'utf8');
    const cut = whole.indexOf(Buffer.from('本')) + 1;
    const events = [];
    for await (const e of readSse(bytes([whole.subarray(0, cut), whole.subarray(cut)]))) events.push(e.data);
    expect(events).toEqual(['{"t":"日本語"}', '[DONE]']);
  });

  it('ignores comments and yields a last event that lacks its blank line', async () => {
    const events = [];
    for await (const e of readSse(bytes([Buffer.from(': keep-alive\n\ndata: a\n\ndata: b')]))) events.push(e.data);
    expect(events).toEqual(['a', 'b']);
  });
});

describe('OpenAI-compatible usage and chunks', () => {
  it('reads cached tokens wherever the host puts them', () => {
    expect(decodeUsage({ prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 4 } })).toEqual({ inputTokens: 10, outputTokens: 5, cachedInputTokens: 4 });
    expect(decodeUsage({ prompt_tokens: 10, completion_tokens: 5, prompt_cache_hit_tokens: 6, prompt_cache_miss_tokens: 4 })).toEqual({ inputTokens: 10, outputTokens: 5, cachedInputTokens: 6 });
    expect(decodeUsage({ prompt_tokens: 10 })).toEqual({ inputTokens: 10 });
  });

  it('drops Qwen-style empty tool-call continuations but keeps argument fragments', () => {
    const decoder = new ChunkDecoder('qwen');
    const out: StreamEvent[] = [];
    decoder.decode({ choices: [{ delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] } }] }, out);
    decoder.decode({ choices: [{ delta: { tool_calls: [{ index: 0, id: '', type: 'function', function: { arguments: '{"a":' } }] } }] }, out);
    decoder.decode({ choices: [{ delta: { tool_calls: [{ index: 0, id: '', type: 'function', function: { arguments: '' } }] } }] }, out);
    decoder.decode({ choices: [{ delta: {}, finish_reason: 'tool_calls' }] }, out);
    decoder.decode({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } }, out);
    expect(out.filter((e) => e.type === 'tool-call-delta')).toEqual([
      { type: 'tool-call-delta', index: 0, id: 'call_1', name: 'f', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 0, id: undefined, name: undefined, argumentsDelta: '{"a":' },
    ]);
    expect(decoder.complete).toBe(true);
  });
});
