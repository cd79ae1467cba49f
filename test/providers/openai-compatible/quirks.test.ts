import { describe, expect, it } from 'vitest';
import type { ChatRequest, StreamEvent } from '../../../src/canonical/index.js';
import { GatewayError } from '../../../src/canonical/errors.js';
import { DEFAULT_TIMEOUTS, type ResolvedProvider } from '../../../src/catalog/types.js';
import { ChunkDecoder, decodeChatResponse } from '../../../src/providers/openai-compatible/decode.js';
import { encodeChatRequest } from '../../../src/providers/openai-compatible/encode.js';
import { quirksFor } from '../../../src/providers/openai-compatible/quirks.js';
import { splitThinkTags, ThinkTagSplitter } from '../../../src/providers/openai-compatible/think-tags.js';

function provider(id: string, baseURL: string): ResolvedProvider {
  return { id, type: 'openai-compatible', baseURL, apiKeys: [], headers: {}, selfHosted: false, timeouts: DEFAULT_TIMEOUTS, maxConnections: 1 };
}

function request(extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: false, includeUsage: false, extra: {}, ...extra };
}

function encode(id: string, url: string, req: ChatRequest, upstream = 'model-x') {
  const warnings: string[] = [];
  const body = encodeChatRequest(req, upstream, quirksFor(provider(id, url)), (w) => warnings.push(w));
  return { body, warnings };
}

const toolTurns: ChatRequest['messages'] = [
  { role: 'user', content: 'go' },
  { role: 'assistant', content: null, toolCalls: [{ id: 'functions.get_weather:0', name: 'get_weather', arguments: '{}' }, { id: 'call_abc_123', name: 'f', arguments: '{}' }] },
  { role: 'tool', toolCallId: 'functions.get_weather:0', content: 'sunny' },
  { role: 'tool', toolCallId: 'call_abc_123', content: 'ok' },
];

describe('DeepSeek', () => {
  it('the reasoner gets no sampling parameters or logprobs, each dropped with a warning', () => {
    const { body, warnings } = encode('deepseek', 'https://api.deepseek.com/v1', request({ temperature: 0.5, topP: 0.9, logprobs: true, topLogprobs: 2 }), 'deepseek-reasoner');
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('logprobs');
    expect(body).not.toHaveProperty('top_logprobs');
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/temperature is not supported by deepseek-reasoner/);
    const chat = encode('deepseek', 'https://api.deepseek.com/v1', request({ temperature: 0.5 }), 'deepseek-chat');
    expect(chat.body.temperature).toBe(0.5);
    expect(chat.warnings).toEqual([]);
  });

  it('reads prompt_cache_hit_tokens as cached input', () => {
    const response = decodeChatResponse(
      { id: 'x', choices: [{ message: { content: 'a', reasoning_content: 'r' }, finish_reason: 'stop' }], usage: { prompt_tokens: 100, completion_tokens: 10, prompt_cache_hit_tokens: 64, prompt_cache_miss_tokens: 36 } },
      'deepseek',
    );
    expect(response.usage).toEqual({ inputTokens: 100, outputTokens: 10, cachedInputTokens: 64 });
    expect(response.reasoning).toBe('r');
  });
});

describe('Qwen on DashScope', () => {
  const url = 'https://dashscope-intl.aliyuncs.com/compatible-mode/v1';
  it('maps reasoning controls to enable_thinking and thinking_budget', () => {
    expect(encode('dashscope-intl', url, request({ stream: true, reasoning: { effort: 'low' } }), 'qwen3-235b-a22b').body).toMatchObject({ enable_thinking: true, thinking_budget: 2048 });
    expect(encode('dashscope-intl', url, request({ stream: true, reasoning: { enabled: false } }), 'qwen-plus').body).toMatchObject({ enable_thinking: false });
  });

  it('switches thinking off for non-streaming calls to hybrid Qwen3 models, which DashScope requires', () => {
    expect(encode('dashscope-intl', url, request(), 'qwen3-235b-a22b').body.enable_thinking).toBe(false);
    const asked = encode('dashscope-intl', url, request({ reasoning: { effort: 'high' } }), 'qwen3-30b-a3b');
    expect(asked.body.enable_thinking).toBe(false);
    expect(asked.warnings[0]).toMatch(/only in streaming mode/);
    expect(encode('dashscope-intl', url, request(), 'qwen3-max').body).not.toHaveProperty('enable_thinking');
  });
});

describe('Z.ai GLM', () => {
  it('maps reasoning controls to the thinking parameter', () => {
    expect(encode('zai', 'https://api.z.ai/api/paas/v4', request({ reasoning: { enabled: false } })).body.thinking).toEqual({ type: 'disabled' });
    expect(encode('zai', 'https://api.z.ai/api/paas/v4', request({ reasoning: { effort: 'high' } })).body.thinking).toEqual({ type: 'enabled' });
  });
});

describe('Moonshot Kimi', () => {
  it('keeps Kimi tool-call ids (functions.name:index) as they are', () => {
    const { body } = encode('moonshot', 'https://api.moonshot.ai/v1', request({ messages: toolTurns }));
    const messages = body.messages as { tool_calls?: { id: string }[]; tool_call_id?: string }[];
    expect(messages[1]!.tool_calls!.map((c) => c.id)).toEqual(['functions.get_weather:0', 'call_abc_123']);
    expect(messages[2]!.tool_call_id).toBe('functions.get_weather:0');
  });
});

describe('Mistral', () => {
  it('rewrites tool-call ids to nine alphanumerics, consistently between calls and results', () => {
    const { body } = encode('mistral', 'https://api.mistral.ai/v1', request({ messages: toolTurns }));
    const messages = body.messages as { tool_calls?: { id: string }[]; tool_call_id?: string }[];
    const ids = messages[1]!.tool_calls!.map((c) => c.id);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{9}$/);
    expect(new Set(ids).size).toBe(2);
    expect(messages[2]!.tool_call_id).toBe(ids[0]);
    expect(messages[3]!.tool_call_id).toBe(ids[1]);
  });

  it('calls the seed random_seed, sends no stream_options, user or top_k', () => {
    const { body, warnings } = encode('mistral', 'https://api.mistral.ai/v1', request({ seed: 7, user: 'u', topK: 5, stream: true }));
    expect(body.random_seed).toBe(7);
    expect(body).not.toHaveProperty('seed');
    expect(body).not.toHaveProperty('stream_options');
    expect(body).not.toHaveProperty('user');
    expect(body).not.toHaveProperty('top_k');
    expect(warnings.join(' ')).toMatch(/top_k.*user|user.*top_k/);
  });
});

describe('OpenAI', () => {
  it('uses max_completion_tokens and keeps the developer role; rejects top_k with a warning', () => {
    const { body, warnings } = encode('openai', 'https://api.openai.com/v1', request({ maxTokens: 9, topK: 3, messages: [{ role: 'developer', content: 'd' }, { role: 'user', content: 'u' }] }), 'gpt-4.1');
    expect(body.max_completion_tokens).toBe(9);
    expect((body.messages as { role: string }[])[0]!.role).toBe('developer');
    expect(warnings).toEqual(['top_k is not supported by this host; it was not sent']);
  });

  it('sends the developer role as system to hosts that do not know it', () => {
    const { body } = encode('vllm', 'http://127.0.0.1:8000/v1', request({ messages: [{ role: 'developer', content: 'd' }] }));
    expect((body.messages as { role: string }[])[0]!.role).toBe('system');
  });
});

describe('MiniMax', () => {
  const minimax = quirksFor(provider('minimax', 'https://api.minimax.io/v1'));

  it('splits <think> blocks out of the content, also when tags are cut across chunks', () => {
    expect(splitThinkTags('<think>\nplan it\n</think>\n\nThe answer.')).toEqual({ reasoning: '\nplan it\n', content: 'The answer.' });
    const splitter = new ThinkTagSplitter();
    const pieces = ['<th', 'ink>a', 'b</thi', 'nk>', '\nc<', 'd'];
    let reasoning = '';
    let content = '';
    for (const piece of pieces) {
      const out = splitter.push(piece);
      reasoning += out.reasoning;
      content += out.content;
    }
    const rest = splitter.flush();
    expect(reasoning + rest.reasoning).toBe('ab');
    expect(content + rest.content).toBe('c<d');
  });

  it('streams <think> content as reasoning events', () => {
    const decoder = new ChunkDecoder('minimax', minimax);
    const out: StreamEvent[] = [];
    for (const text of ['<think>', 'hmm', '</think>\n', 'Hi']) decoder.decode({ choices: [{ delta: { content: text } }] }, out);
    decoder.decode({ choices: [{ delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 2 } }, out);
    expect(out.filter((e) => e.type === 'reasoning-delta').map((e) => (e as { text: string }).text).join('')).toBe('hmm');
    expect(out.filter((e) => e.type === 'text-delta').map((e) => (e as { text: string }).text).join('')).toBe('Hi');
  });

  it('raises base_resp errors sent with HTTP 200', () => {
    const body = { id: 'x', choices: null, base_resp: { status_code: 1002, status_msg: 'rate limit exceeded(RPM)' } };
    const err = (() => {
      try {
        decodeChatResponse(body, 'minimax', minimax);
      } catch (e) {
        return e;
      }
    })() as GatewayError;
    expect(err.code).toBe('upstream_rate_limited');
    expect(decodeChatResponse({ choices: [{ message: { content: 'ok' }, finish_reason: 'stop' }], base_resp: { status_code: 0, status_msg: '' } }, 'minimax', minimax).content).toBe('ok');
    const decoder = new ChunkDecoder('minimax', minimax);
    const out: StreamEvent[] = [];
    decoder.decode({ base_resp: { status_code: 1004, status_msg: 'login fail: Please carry the API secret key' } }, out);
    expect(out[0]).toMatchObject({ type: 'error' });
    expect((out[0] as { error: GatewayError }).error.code).toBe('upstream_auth_failed');
    expect((out[0] as { error: GatewayError }).error.message).not.toMatch(/secret key/);
  });
});

describe('Ollama and vLLM', () => {
  it('keeps whole tool calls apart when the host repeats index 0 (Ollama)', () => {
    const decoder = new ChunkDecoder('ollama');
    const out: StreamEvent[] = [];
    decoder.decode({ choices: [{ delta: { tool_calls: [{ index: 0, id: 'call_a', function: { name: 'a', arguments: '{"x":1}' } }] } }] }, out);
    decoder.decode({ choices: [{ delta: { tool_calls: [{ index: 0, id: 'call_b', function: { name: 'b', arguments: '{}' } }] } }] }, out);
    expect(out.filter((e) => e.type === 'tool-call-delta').map((e) => [(e as { index: number }).index, (e as { id?: string }).id])).toEqual([
      [0, 'call_a'],
      [1, 'call_b'],
    ]);
  });

  it('reads reasoning from `reasoning` (Ollama, OpenRouter) and `reasoning_content` (vLLM)', () => {
    for (const field of ['reasoning', 'reasoning_content']) {
      const decoder = new ChunkDecoder('x');
      const out: StreamEvent[] = [];
      decoder.decode({ choices: [{ delta: { [field]: 'because' } }] }, out);
      expect(out.find((e) => e.type === 'reasoning-delta')).toEqual({ type: 'reasoning-delta', text: 'because' });
    }
  });

  it('passes vLLM chat_template_kwargs through untouched', () => {
    const { body } = encode('vllm', 'http://127.0.0.1:8000/v1', request({ extra: { chat_template_kwargs: { enable_thinking: false }, top_k: 20 } }));
    expect(body.chat_template_kwargs).toEqual({ enable_thinking: false });
  });
});
