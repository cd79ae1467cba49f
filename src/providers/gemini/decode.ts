import { createHash } from 'node:crypto';
import {
  GatewayError,
  type ChatResponse,
  type FinishReason,
  type ReasoningDetail,
  type StreamEvent,
  type ToolCall,
  type Usage,
} from '../../canonical/index.js';
import { applyPartialArgs } from './partial-args.js';

type Json = Record<string, unknown>;

/** The `format` of reasoning details that carry a Gemini thought signature. */
export const GEMINI_SIGNATURE_FORMAT = 'google-gemini-v1';
/** Prefix of the tool-call ids the adapter makes up when Gemini sends none; such ids are never sent back upstream. */
export const SYNTHETIC_ID_PREFIX = 'call_gm_';

/** Maps a Google error object (HTTP body or stream chunk) to a GatewayError; supplied by the adapter. */
export type ErrorMapper = (status: number, body: string) => GatewayError;

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * A deterministic id for a function call Gemini sent without one: the same response always yields the same ids,
 * and two responses (different `responseId`s) never share one.
 */
export function syntheticCallId(seed: string, ordinal: number): string {
  return SYNTHETIC_ID_PREFIX + createHash('sha256').update(`${seed}\u0000${ordinal}`).digest('hex').slice(0, 16);
}

/**
 * `usageMetadata` in canonical terms (restated cumulatively on every chunk; the last reading wins):
 * - inputTokens = promptTokenCount + toolUsePromptTokenCount. promptTokenCount already includes
 *   cachedContentTokenCount; tool-use prompt tokens (results of Google's own tools) are billed as input but
 *   reported apart, so they are added here.
 * - outputTokens = candidatesTokenCount + thoughtsTokenCount. Unlike OpenAI, Gemini does NOT count reasoning
 *   inside candidatesTokenCount; the canonical outputTokens includes reasoning, so the two are summed.
 * - reasoningTokens = thoughtsTokenCount; cachedInputTokens = cachedContentTokenCount.
 * Google's JSON omits zero counts, so once a reading names the prompt (or the total), a missing count means 0.
 * A reading with no counts at all (Vertex's early `{trafficType}` chunks) is no reading: undefined.
 */
export function decodeUsage(raw: unknown): Usage | undefined {
  const u = asObject(raw);
  if (!u) return undefined;
  const prompt = num(u.promptTokenCount);
  const total = num(u.totalTokenCount);
  if (prompt === undefined && total === undefined) return undefined;
  const thoughts = num(u.thoughtsTokenCount);
  const cached = num(u.cachedContentTokenCount);
  const usage: Usage = {
    inputTokens: (prompt ?? 0) + (num(u.toolUsePromptTokenCount) ?? 0),
    outputTokens: (num(u.candidatesTokenCount) ?? 0) + (thoughts ?? 0),
  };
  if (cached !== undefined) usage.cachedInputTokens = cached;
  if (thoughts !== undefined) usage.reasoningTokens = thoughts;
  return usage;
}

/** Gemini's FinishReason enum. STOP becomes tool_calls when the turn made function calls. */
export function decodeFinishReason(raw: string, madeToolCalls: boolean): FinishReason {
  switch (raw) {
    case 'STOP':
      return madeToolCalls ? 'tool_calls' : 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
      return 'content_filter';
    case 'MALFORMED_FUNCTION_CALL':
    case 'UNEXPECTED_TOOL_CALL':
    case 'TOO_MANY_TOOL_CALLS':
    case 'MISSING_THOUGHT_SIGNATURE':
      return 'error';
    default:
      return 'other';
  }
}

interface OpenCall {
  index: number;
  id: string;
  args: Json;
}

/**
 * Turns `GenerateContentResponse` chunks (or one whole response) into canonical events. Only the first
 * candidate is read (the adapter never asks for more). Gemini sends each function call whole, in one part, so a
 * call becomes one tool-call delta carrying id, name and the complete arguments; a Vertex streamed call
 * (`willContinue`/`partialArgs`) opens with id and name and gets its arguments in one delta when it closes.
 */
export class GeminiChunkDecoder {
  sawFinish = false;
  private started = false;
  private seed: string;
  private calls = 0;
  private details = 0;
  private open: OpenCall | undefined;
  private usage: Usage | undefined;
  private emittedUsage = '';

  constructor(
    private readonly providerId: string,
    fallbackSeed: string,
    private readonly mapError: ErrorMapper,
  ) {
    this.seed = fallbackSeed;
  }

  decode(chunk: unknown, out: StreamEvent[]): void {
    const root = asObject(chunk);
    if (!root) {
      out.push({ type: 'error', error: new GatewayError('upstream_malformed', `provider ${this.providerId} sent a stream chunk that is not an object`, { provider: this.providerId }) });
      return;
    }
    if (root.error !== undefined) {
      const status = num(asObject(root.error)?.code);
      out.push({ type: 'error', error: this.mapError(status !== undefined && status >= 400 ? status : 500, JSON.stringify(root)) });
      return;
    }
    if (!this.started) {
      this.start(root, out);
      // The first reading's prompt counts go out before the chunk's content, so they reach the client's first frame.
      const first = decodeUsage(root.usageMetadata);
      if (first?.inputTokens !== undefined) out.push({ type: 'usage', usage: { inputTokens: first.inputTokens, ...(first.cachedInputTokens !== undefined ? { cachedInputTokens: first.cachedInputTokens } : {}) } });
    }
    const candidate = asObject(Array.isArray(root.candidates) ? root.candidates[0] : undefined);
    let finishedNow = false;
    if (candidate) {
      const parts = asObject(candidate.content)?.parts;
      if (Array.isArray(parts)) for (const part of parts) this.part(part, out);
      const finish = str(candidate.finishReason);
      if (finish && !this.sawFinish) {
        this.close(out);
        this.sawFinish = finishedNow = true;
        out.push({ type: 'finish', reason: decodeFinishReason(finish, this.calls > 0), raw: finish });
      }
    } else {
      // A blocked prompt: no candidates, only promptFeedback.blockReason.
      const blocked = str(asObject(root.promptFeedback)?.blockReason);
      if (blocked && !this.sawFinish) {
        this.sawFinish = finishedNow = true;
        out.push({ type: 'finish', reason: 'content_filter', raw: blocked });
      }
    }
    const usage = decodeUsage(root.usageMetadata);
    if (usage) this.usage = usage;
    if (this.usage && (usage || finishedNow)) {
      const key = JSON.stringify(this.usage);
      if (key !== this.emittedUsage) {
        this.emittedUsage = key;
        out.push({ type: 'usage', usage: { ...this.usage } });
      }
    }
  }

  /** Closes a streamed call left open (a response that ends without its terminator). */
  end(out: StreamEvent[]): void {
    this.close(out);
  }

  private start(root: Json, out: StreamEvent[]): void {
    this.started = true;
    const id = str(root.responseId);
    if (id) this.seed = id;
    const createTime = typeof root.createTime === 'string' ? Date.parse(root.createTime) : NaN;
    out.push({
      type: 'start',
      id,
      created: Number.isFinite(createTime) ? Math.floor(createTime / 1000) : undefined,
      upstreamModel: str(root.modelVersion),
    });
  }

  private part(raw: unknown, out: StreamEvent[]): void {
    const part = asObject(raw);
    if (!part) return;
    const signature = str(part.thoughtSignature);
    const call = asObject(part.functionCall);
    if (call) {
      const id = this.functionCall(call, out);
      if (signature) this.detail(signature, id, out);
      return;
    }
    // Any other part ends a streamed call that was never terminated.
    this.close(out);
    if (typeof part.text === 'string' && part.text.length > 0) {
      out.push(part.thought === true ? { type: 'reasoning-delta', text: part.text } : { type: 'text-delta', text: part.text });
    }
    if (signature) this.detail(signature, undefined, out);
  }

  private functionCall(call: Json, out: StreamEvent[]): string | undefined {
    const name = str(call.name);
    const partial = Array.isArray(call.partialArgs) ? call.partialArgs : undefined;
    if (this.open && !name) {
      const open = this.open;
      if (partial) applyPartialArgs(open.args, partial);
      if (call.willContinue !== true) this.close(out);
      return open.id;
    }
    this.close(out);
    if (!name) return undefined; // a stray terminator
    const index = this.calls++;
    const id = str(call.id) ?? syntheticCallId(this.seed, index);
    const args: Json = { ...(asObject(call.args) ?? {}) };
    if (partial) applyPartialArgs(args, partial);
    if (call.willContinue === true) {
      this.open = { index, id, args };
      out.push({ type: 'tool-call-delta', index, id, name, argumentsDelta: '' });
    } else {
      out.push({ type: 'tool-call-delta', index, id, name, argumentsDelta: JSON.stringify(args) });
    }
    return id;
  }

  private close(out: StreamEvent[]): void {
    if (!this.open) return;
    out.push({ type: 'tool-call-delta', index: this.open.index, argumentsDelta: JSON.stringify(this.open.args) });
    this.open = undefined;
  }

  private detail(signature: string, id: string | undefined, out: StreamEvent[]): void {
    const detail: ReasoningDetail = { type: 'reasoning.encrypted', data: signature, format: GEMINI_SIGNATURE_FORMAT, index: this.details++ };
    if (id !== undefined) detail.id = id;
    out.push({ type: 'reasoning-detail', detail });
  }
}

/** A whole `GenerateContentResponse`, decoded through the same path as a stream and folded into one answer. */
export function decodeChatResponse(body: unknown, providerId: string, seed: string, mapError: ErrorMapper): ChatResponse {
  const root = asObject(body);
  if (!root || (!Array.isArray(root.candidates) && root.promptFeedback === undefined && root.error === undefined)) {
    throw new GatewayError('upstream_malformed', `provider ${providerId} returned a response without candidates`, { provider: providerId });
  }
  const decoder = new GeminiChunkDecoder(providerId, seed, mapError);
  const events: StreamEvent[] = [];
  decoder.decode(root, events);
  decoder.end(events);
  const response: ChatResponse = { content: null, finishReason: 'other', usage: {} };
  let text = '';
  let reasoning = '';
  const details: ReasoningDetail[] = [];
  const calls: ToolCall[] = [];
  for (const event of events) {
    switch (event.type) {
      case 'error':
        throw event.error;
      case 'start':
        response.id = event.id;
        response.created = event.created;
        response.upstreamModel = event.upstreamModel;
        break;
      case 'text-delta':
        text += event.text;
        break;
      case 'reasoning-delta':
        reasoning += event.text;
        break;
      case 'reasoning-detail':
        details.push(event.detail);
        break;
      case 'tool-call-delta': {
        const call = (calls[event.index] ??= { id: '', name: '', arguments: '' });
        if (event.id !== undefined) call.id = event.id;
        if (event.name !== undefined) call.name = event.name;
        call.arguments += event.argumentsDelta;
        break;
      }
      case 'finish':
        response.finishReason = event.reason;
        response.rawFinishReason = event.raw;
        break;
      case 'usage':
        response.usage = event.usage;
        break;
      default:
        break;
    }
  }
  if (text.length > 0) response.content = text;
  if (reasoning.length > 0) response.reasoning = reasoning;
  if (details.length > 0) response.reasoningDetails = details;
  const toolCalls = calls.filter((call) => call !== undefined);
  if (toolCalls.length > 0) response.toolCalls = toolCalls;
  return response;
}
