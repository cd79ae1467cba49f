import type { ChatResponse, FinishReason, ReasoningDetail, StreamEvent, Usage } from '../../canonical/index.js';
import { GatewayError } from '../../canonical/errors.js';
import type { CostReport, FinalUsage, ServedBy } from '../served.js';
import type { ChatSurface, StreamEncoder, StreamStart } from '../surface.js';
import { anthropicErrorBody } from './errors.js';
import { isAnthropicDetail, wrapForeignDetail } from './signatures.js';

export function stopReason(reason: FinishReason | undefined, stopSequence: string | undefined): string {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return stopSequence !== undefined ? 'stop_sequence' : 'end_turn';
  }
}

/**
 * Anthropic counts `input_tokens` without the cached and cache-written ones; canonical input includes them.
 * Unknown counts are reported as 0 here only because the Messages format has no way to say "unknown";
 * `cost_status` says so when it matters for money.
 */
export function encodeUsage(usage: Usage, cost?: CostReport): Record<string, unknown> {
  const cached = usage.cachedInputTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  const wire: Record<string, unknown> = {
    input_tokens: Math.max(0, (usage.inputTokens ?? 0) - cached - written),
    output_tokens: usage.outputTokens ?? 0,
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
  };
  if (cost) {
    wire.cost = cost.usd;
    if (cost.status === 'unpriced') wire.cost_status = 'unpriced';
  }
  return wire;
}

function messageId(served: ServedBy, upstreamId: string | undefined): string {
  return upstreamId?.startsWith('msg_') ? upstreamId : `msg_${served.requestId.replace(/-/g, '')}`;
}

/** Thinking blocks for reasoning: Anthropic's own signed ones as they came, other hosts' state wrapped. */
function thinkingBlocks(response: ChatResponse): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [];
  const details = response.reasoningDetails ?? [];
  const signedText = details.filter((d) => d.type === 'reasoning.text' && isAnthropicDetail(d));
  if (signedText.length > 0) {
    for (const d of details) {
      if (d.type === 'reasoning.text' && isAnthropicDetail(d)) blocks.push({ type: 'thinking', thinking: d.text ?? '', signature: d.signature ?? '' });
      else if (d.type === 'reasoning.encrypted' && isAnthropicDetail(d)) blocks.push({ type: 'redacted_thinking', data: d.data ?? '' });
      else blocks.push({ type: 'thinking', thinking: '', signature: wrapForeignDetail(d) });
    }
    return blocks;
  }
  if (response.reasoning) blocks.push({ type: 'thinking', thinking: response.reasoning, signature: '' });
  for (const d of details) {
    if (d.type === 'reasoning.encrypted' && isAnthropicDetail(d)) blocks.push({ type: 'redacted_thinking', data: d.data ?? '' });
    else if (!(d.type === 'reasoning.text' && isAnthropicDetail(d))) blocks.push({ type: 'thinking', thinking: '', signature: wrapForeignDetail(d) });
  }
  return blocks;
}

export function encodeMessage(response: ChatResponse, served: ServedBy, cost: CostReport): Record<string, unknown> {
  const content: Record<string, unknown>[] = thinkingBlocks(response);
  if (response.content) content.push({ type: 'text', text: response.content });
  for (const call of response.toolCalls ?? []) {
    let input: unknown = {};
    try {
      input = call.arguments ? JSON.parse(call.arguments) : {};
    } catch {
      input = { _raw: call.arguments };
    }
    content.push({ type: 'tool_use', id: call.id, name: call.name, input });
  }
  return {
    id: messageId(served, response.id),
    type: 'message',
    role: 'assistant',
    model: served.model,
    content,
    stop_reason: stopReason(response.finishReason, response.stopSequence),
    stop_sequence: response.stopSequence ?? null,
    usage: encodeUsage(response.usage, cost),
  };
}

function frame(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

type OpenBlock = { kind: 'text' | 'thinking' } | { kind: 'tool'; toolIndex: number };

/**
 * Canonical events to Anthropic's streaming sequence. Anthropic streams one content block at a time, so a block
 * is opened when content of another kind (or another tool call) starts and closed before the next one opens.
 * Tool calls from OpenAI-style hosts arrive in order; arguments for a call whose block is already closed cannot be
 * re-sequenced and end the stream with an error rather than being lost.
 */
export class AnthropicStreamEncoder implements StreamEncoder {
  private blockIndex = -1;
  private open: OpenBlock | undefined;
  private readonly closedTools = new Set<number>();
  private finish: { reason: FinishReason; stopSequence?: string } | undefined;
  /** Other hosts' reasoning state (tied to tool calls by id, not by position), held so it never splits a text block. */
  private foreign: ReasoningDetail[] = [];

  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly initialUsage?: Usage,
  ) {}

  start(): string {
    // Input counts go out as soon as the host reported them (Anthropic and Gemini hosts do, early): some clients
    // read them from message_start only.
    const usage = this.initialUsage ? { ...encodeUsage(this.initialUsage), output_tokens: 0 } : { input_tokens: 0, output_tokens: 0 };
    return (
      frame('message_start', {
        message: { id: this.id, type: 'message', role: 'assistant', model: this.model, content: [], stop_reason: null, stop_sequence: null, usage },
      }) + frame('ping', {})
    );
  }

  private flushForeign(): string {
    let out = '';
    for (const detail of this.foreign) {
      out += this.openBlock({ kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' });
      out += this.delta({ type: 'signature_delta', signature: wrapForeignDetail(detail) }) + this.close();
    }
    this.foreign = [];
    return out;
  }

  private close(): string {
    if (!this.open) return '';
    if (this.open.kind === 'tool') this.closedTools.add(this.open.toolIndex);
    this.open = undefined;
    return frame('content_block_stop', { index: this.blockIndex });
  }

  private openBlock(block: OpenBlock, contentBlock: Record<string, unknown>): string {
    const out = this.close();
    this.blockIndex++;
    this.open = block;
    return out + frame('content_block_start', { index: this.blockIndex, content_block: contentBlock });
  }

  private delta(delta: Record<string, unknown>): string {
    return frame('content_block_delta', { index: this.blockIndex, delta });
  }

  private detail(detail: ReasoningDetail): string {
    if (detail.type === 'reasoning.text' && detail.signature !== undefined && isAnthropicDetail(detail)) {
      const out = this.open?.kind === 'thinking' ? '' : this.openBlock({ kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' });
      return out + this.delta({ type: 'signature_delta', signature: detail.signature });
    }
    if (detail.type === 'reasoning.encrypted' && isAnthropicDetail(detail)) {
      return this.openBlock({ kind: 'text' }, { type: 'redacted_thinking', data: detail.data ?? '' }) + this.close();
    }
    this.foreign.push(detail);
    return '';
  }

  encode(event: StreamEvent): string {
    switch (event.type) {
      case 'text-delta': {
        const out = this.open?.kind === 'text' ? '' : this.openBlock({ kind: 'text' }, { type: 'text', text: '' });
        return out + this.delta({ type: 'text_delta', text: event.text });
      }
      case 'refusal-delta': {
        const out = this.open?.kind === 'text' ? '' : this.openBlock({ kind: 'text' }, { type: 'text', text: '' });
        return out + this.delta({ type: 'text_delta', text: event.text });
      }
      case 'reasoning-delta': {
        const out = this.open?.kind === 'thinking' ? '' : this.openBlock({ kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' });
        return out + this.delta({ type: 'thinking_delta', thinking: event.text });
      }
      case 'reasoning-detail':
        return this.detail(event.detail);
      case 'tool-call-delta': {
        let out = '';
        if (!(this.open?.kind === 'tool' && this.open.toolIndex === event.index)) {
          if (this.closedTools.has(event.index)) {
            throw new GatewayError('upstream_malformed', `the host interleaved the arguments of tool call ${event.index} with another call; the Messages stream cannot carry them`);
          }
          out = this.openBlock({ kind: 'tool', toolIndex: event.index }, { type: 'tool_use', id: event.id ?? `toolu_${this.id}_${event.index}`, name: event.name ?? '', input: {} });
        }
        return event.argumentsDelta ? out + this.delta({ type: 'input_json_delta', partial_json: event.argumentsDelta }) : out;
      }
      case 'finish':
        this.finish = { reason: event.reason, stopSequence: event.stopSequence };
        return this.close() + this.flushForeign();
      default:
        return '';
    }
  }

  end(final: FinalUsage): string {
    return (
      this.close() +
      this.flushForeign() +
      frame('message_delta', {
        delta: { stop_reason: stopReason(this.finish?.reason, this.finish?.stopSequence), stop_sequence: this.finish?.stopSequence ?? null },
        usage: encodeUsage(final.usage, final.cost),
      }) +
      frame('message_stop', {})
    );
  }

  error(error: GatewayError): string {
    return `event: error\ndata: ${JSON.stringify(anthropicErrorBody(error))}\n\n`;
  }

  keepAlive(): string {
    return frame('ping', {});
  }
}

export const anthropicMessagesSurface: ChatSurface = {
  name: 'messages',
  encodeResponse: (response, served, cost) => encodeMessage(response, served, cost),
  streamEncoder: ({ served, upstreamId, usage }: StreamStart) => new AnthropicStreamEncoder(messageId(served, upstreamId), served.model, usage),
  errorBody: (error) => anthropicErrorBody(error),
  keepAliveFrame: () => frame('ping', {}),
};
