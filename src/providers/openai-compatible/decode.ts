import {
  GatewayError,
  type ChatResponse,
  type EmbeddingsResponse,
  type FinishReason,
  type StreamEvent,
  type ToolCall,
  type Usage,
} from '../../canonical/index.js';
import type { OpenAICompatibleQuirks } from './quirks.js';
import { TextChunkTemplate } from './text-chunk-template.js';
import { splitThinkTags, ThinkTagSplitter } from './think-tags.js';

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Usage as OpenAI-compatible hosts report it. OpenAI, DeepSeek, Qwen, Kimi, GLM, vLLM and friends all count
 * `prompt_tokens` with cached tokens included and `completion_tokens` with reasoning included; they differ
 * only in where the cached count sits (see docs/usage.md).
 */
export function decodeUsage(raw: unknown): Usage | undefined {
  const u = asObject(raw);
  if (!u) return undefined;
  const promptDetails = asObject(u.prompt_tokens_details);
  const completionDetails = asObject(u.completion_tokens_details);
  const usage: Usage = {};
  const input = num(u.prompt_tokens);
  if (input !== undefined) usage.inputTokens = input;
  const output = num(u.completion_tokens);
  if (output !== undefined) usage.outputTokens = output;
  // DeepSeek reports prompt_cache_hit_tokens; OpenAI, Qwen and Kimi prompt_tokens_details.cached_tokens;
  // Moonshot's older API a top-level cached_tokens.
  const cached = num(promptDetails?.cached_tokens) ?? num(u.prompt_cache_hit_tokens) ?? num(u.cached_tokens);
  if (cached !== undefined) usage.cachedInputTokens = cached;
  const cacheWrite = num(promptDetails?.cache_write_tokens) ?? num(promptDetails?.cache_creation_input_tokens);
  if (cacheWrite !== undefined) usage.cacheWriteTokens = cacheWrite;
  const reasoning = num(completionDetails?.reasoning_tokens);
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  return usage;
}

export function decodeFinishReason(raw: unknown): FinishReason {
  switch (raw) {
    case 'stop':
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'length':
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_calls':
    case 'function_call':
    case 'tool_use':
      return 'tool_calls';
    case 'content_filter':
    case 'sensitive':
      return 'content_filter';
    case 'error':
      return 'error';
    default:
      return 'other';
  }
}

/**
 * MiniMax reports some failures as HTTP 200 with `base_resp.status_code` ≠ 0 (platform.minimax.io, error codes).
 * Returns the error to raise, or undefined when the body is a normal answer.
 */
export function baseRespError(root: Json | undefined, providerId: string): GatewayError | undefined {
  const base = asObject(root?.base_resp);
  const code = num(base?.status_code);
  if (!base || code === undefined || code === 0) return undefined;
  const message = `provider ${providerId} reported error ${code}: ${typeof base.status_msg === 'string' ? base.status_msg.slice(0, 200) : 'unknown'}`;
  const options = { provider: providerId, upstreamStatus: 200 };
  switch (code) {
    case 1002:
    case 1039:
      return new GatewayError('upstream_rate_limited', message, options);
    case 1004:
    case 2049:
      return new GatewayError('upstream_auth_failed', `provider ${providerId} rejected the gateway's credentials (error ${code})`, options);
    case 1026:
    case 1027:
      return new GatewayError('content_filtered', message, options);
    case 2013:
      return new GatewayError('upstream_bad_request', message, { ...options, status: 400 });
    default:
      return new GatewayError('upstream_error', message, options);
  }
}

function reasoningText(holder: Json): string | undefined {
  // DeepSeek, Qwen, Kimi, GLM and vLLM say reasoning_content; OpenRouter, Groq and Ollama say reasoning.
  const value = holder.reasoning_content ?? holder.reasoning;
  return typeof value === 'string' ? value : undefined;
}

export function decodeChatResponse(body: unknown, providerId: string, quirks?: OpenAICompatibleQuirks): ChatResponse {
  const root = asObject(body);
  if (quirks?.baseRespErrors) {
    const error = baseRespError(root, providerId);
    if (error) throw error;
  }
  const choice = asObject(Array.isArray(root?.choices) ? root.choices[0] : undefined);
  const message = asObject(choice?.message);
  if (!root || !choice || !message) {
    throw new GatewayError('upstream_malformed', `provider ${providerId} returned a response without choices`, { provider: providerId });
  }
  const toolCalls: ToolCall[] = [];
  if (Array.isArray(message.tool_calls)) {
    for (const entry of message.tool_calls) {
      const call = asObject(entry);
      const fn = asObject(call?.function);
      if (!call || !fn) continue;
      toolCalls.push({
        id: typeof call.id === 'string' ? call.id : '',
        name: typeof fn.name === 'string' ? fn.name : '',
        arguments: typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments ?? {}),
      });
    }
  }
  const rawFinish = typeof choice.finish_reason === 'string' ? choice.finish_reason : undefined;
  let content = typeof message.content === 'string' ? message.content : null;
  let reasoning = reasoningText(message);
  if (quirks?.thinkTags && content !== null && content.includes('<think>')) {
    const split = splitThinkTags(content);
    content = split.content;
    reasoning = (reasoning ?? '') + split.reasoning;
  }
  return {
    id: typeof root.id === 'string' ? root.id : undefined,
    created: num(root.created),
    upstreamModel: typeof root.model === 'string' ? root.model : undefined,
    systemFingerprint: typeof root.system_fingerprint === 'string' ? root.system_fingerprint : undefined,
    content,
    reasoning,
    refusal: typeof message.refusal === 'string' ? message.refusal : null,
    toolCalls: toolCalls.length > 0 ? toolCalls : undefined,
    finishReason: decodeFinishReason(rawFinish),
    rawFinishReason: rawFinish,
    logprobs: choice.logprobs ?? undefined,
    usage: decodeUsage(root.usage) ?? {},
  };
}

/** Top-level members the chunk decoder reads; anything else in a chunk is ignored. */
const READ_MEMBERS = new Set(['choices', 'usage', 'error', 'base_resp']);

/** The chunk's last top-level member, when its value is a string and the decoder does not read it. */
function lastStringMember(root: Json): { key: string; value: string } | undefined {
  let key: string | undefined;
  for (const k in root) key = k;
  if (key === undefined || READ_MEMBERS.has(key)) return undefined;
  const value = root[key];
  return typeof value === 'string' ? { key, value } : undefined;
}

/** Turns OpenAI-style stream chunks into canonical events, keeping what it needs to know across chunks. */
export class ChunkDecoder {
  private started = false;
  sawFinish = false;
  sawUsage = false;
  private readonly thinkTags: ThinkTagSplitter | undefined;
  /** Tool-call ids seen per wire index, and the canonical index each wire index maps to now. */
  private readonly toolIds = new Map<number, string>();
  private readonly toolIndex = new Map<number, number>();
  private nextToolIndex = 0;
  /** Plain text chunks read without a full parse; not where text needs splitting (think tags). */
  private readonly template: TextChunkTemplate | undefined;

  constructor(
    private readonly providerId: string,
    private readonly quirks?: OpenAICompatibleQuirks,
  ) {
    this.thinkTags = quirks?.thinkTags ? new ThinkTagSplitter() : undefined;
    this.template = this.thinkTags ? undefined : new TextChunkTemplate();
  }

  /** Decodes one SSE data payload; false when it is not JSON. */
  decodeData(data: string, out: StreamEvent[]): boolean {
    const template = this.template;
    if (template && this.started) {
      const text = template.match(data);
      if (text !== undefined) {
        if (text.length > 0) out.push({ type: 'text-delta', text });
        return true;
      }
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return false;
    }
    const before = out.length;
    const wasStarted = this.started;
    this.decode(chunk, out);
    // A chunk that gave text and nothing else is a template: whatever else its bytes hold gives nothing either.
    if (template && wasStarted && out.length === before + 1) {
      const event = out[before]!;
      if (event.type === 'text-delta' && event.logprobs === undefined) template.learn(data, event.text, lastStringMember(chunk as Json));
    }
    return true;
  }

  decode(chunk: unknown, out: StreamEvent[]): void {
    const root = asObject(chunk);
    if (!root) {
      out.push({ type: 'error', error: new GatewayError('upstream_malformed', `provider ${this.providerId} sent a stream chunk that is not an object`, { provider: this.providerId }) });
      return;
    }
    if (this.quirks?.baseRespErrors) {
      const error = baseRespError(root, this.providerId);
      if (error) {
        out.push({ type: 'error', error });
        return;
      }
    }
    if (root.error !== undefined) {
      const err = asObject(root.error);
      const message = typeof err?.message === 'string' ? err.message : 'unknown error';
      out.push({ type: 'error', error: new GatewayError('upstream_error', `provider ${this.providerId} reported an error mid-stream: ${message.slice(0, 300)}`, { provider: this.providerId }) });
      return;
    }
    if (!this.started) {
      this.started = true;
      out.push({
        type: 'start',
        id: typeof root.id === 'string' && root.id ? root.id : undefined,
        created: num(root.created),
        upstreamModel: typeof root.model === 'string' && root.model ? root.model : undefined,
        systemFingerprint: typeof root.system_fingerprint === 'string' ? root.system_fingerprint : undefined,
      });
    }
    const choices = root.choices;
    if (Array.isArray(choices) && choices.length > 0) {
      const choice = asObject(choices[0]);
      const delta = asObject(choice?.delta);
      if (delta) this.decodeDelta(delta, choice?.logprobs ?? undefined, out);
      const finish = choice?.finish_reason;
      if (typeof finish === 'string' && finish) {
        this.flushThinkTags(out);
        this.sawFinish = true;
        out.push({ type: 'finish', reason: decodeFinishReason(finish), raw: finish });
      }
    }
    // DeepSeek and Kimi put usage on the last content chunk, OpenAI and Qwen on a chunk of their own.
    const usage = decodeUsage(root.usage);
    if (usage && (usage.inputTokens !== undefined || usage.outputTokens !== undefined)) {
      this.sawUsage = true;
      out.push({ type: 'usage', usage });
    }
  }

  private decodeDelta(delta: Json, logprobs: unknown, out: StreamEvent[]): void {
    const reasoning = reasoningText(delta);
    if (reasoning) out.push({ type: 'reasoning-delta', text: reasoning });
    if (typeof delta.content === 'string' && delta.content.length > 0) {
      if (this.thinkTags) {
        const split = this.thinkTags.push(delta.content);
        if (split.reasoning) out.push({ type: 'reasoning-delta', text: split.reasoning });
        if (split.content) out.push({ type: 'text-delta', text: split.content });
      } else {
        out.push(logprobs ? { type: 'text-delta', text: delta.content, logprobs } : { type: 'text-delta', text: delta.content });
      }
    }
    if (typeof delta.refusal === 'string' && delta.refusal.length > 0) out.push({ type: 'refusal-delta', text: delta.refusal });
    if (Array.isArray(delta.tool_calls)) {
      for (let i = 0; i < delta.tool_calls.length; i++) {
        const call = asObject(delta.tool_calls[i]);
        if (!call) continue;
        const fn = asObject(call.function);
        const id = typeof call.id === 'string' && call.id.length > 0 ? call.id : undefined;
        const index = this.canonicalToolIndex(num(call.index) ?? i, id);
        const name = typeof fn?.name === 'string' && fn.name.length > 0 ? fn.name : undefined;
        const args = typeof fn?.arguments === 'string' ? fn.arguments : '';
        // Qwen sends trailing deltas with an empty id and empty arguments: nothing to forward.
        if (id === undefined && name === undefined && args.length === 0) continue;
        out.push({ type: 'tool-call-delta', index, id, name, argumentsDelta: args });
      }
    }
  }

  /**
   * Hosts that send each tool call whole in one chunk (Ollama) may omit `index` or repeat 0 for every call:
   * a new id at a known wire index starts a new call rather than appending to the previous one.
   */
  private canonicalToolIndex(wireIndex: number, id: string | undefined): number {
    const known = this.toolIds.get(wireIndex);
    let index = this.toolIndex.get(wireIndex);
    if (index === undefined || (id !== undefined && known !== undefined && id !== known)) {
      index = this.nextToolIndex++;
      this.toolIndex.set(wireIndex, index);
    }
    if (id !== undefined) this.toolIds.set(wireIndex, id);
    return index;
  }

  private flushThinkTags(out: StreamEvent[]): void {
    if (!this.thinkTags) return;
    const rest = this.thinkTags.flush();
    if (rest.reasoning) out.push({ type: 'reasoning-delta', text: rest.reasoning });
    if (rest.content) out.push({ type: 'text-delta', text: rest.content });
  }

  get complete(): boolean {
    return this.sawFinish && this.sawUsage;
  }
}

export function decodeEmbeddingsResponse(body: unknown, providerId: string): EmbeddingsResponse {
  const root = asObject(body);
  if (!root || !Array.isArray(root.data)) {
    throw new GatewayError('upstream_malformed', `provider ${providerId} returned embeddings without data`, { provider: providerId });
  }
  const data = root.data.map((entry, i) => {
    const item = asObject(entry) ?? {};
    return { index: num(item.index) ?? i, embedding: item.embedding as number[] | string };
  });
  const usage: Usage = {};
  const u = asObject(root.usage);
  const input = num(u?.prompt_tokens) ?? num(u?.total_tokens);
  if (input !== undefined) {
    usage.inputTokens = input;
    usage.outputTokens = 0;
  }
  return { data, upstreamModel: typeof root.model === 'string' ? root.model : undefined, usage };
}
