import { GatewayError, type StreamEvent } from '../../canonical/index.js';
import {
  asObject,
  decodeStopReason,
  encryptedDetail,
  num,
  readUsage,
  reasoningTextDetail,
  refusalExplanation,
  str,
  streamError,
  toUsage,
  type Json,
  type RawUsage,
} from './decode.js';

interface BlockState {
  kind: 'text' | 'thinking' | 'tool' | 'other';
  /** Thinking blocks: position among reasoning blocks; tool_use blocks: position among tool calls. */
  ordinal: number;
  /** tool_use: whether any argument text was streamed. */
  sawArguments: boolean;
  /** tool_use: the `input` of content_block_start when it was not empty (sent if no delta follows). */
  startInput?: string;
  /** thinking: the text so far, carried whole on the signature's detail. */
  thinking?: string;
}

/**
 * Turns Anthropic's streaming events into canonical events, keeping the block and usage state it needs.
 *
 * Reasoning convention: thinking text is streamed as `reasoning-delta` events; the signature, which
 * Anthropic sends once at the end of a thinking block, becomes a `reasoning-detail` of type
 * `reasoning.text` that carries the signature and the block's whole text, indexed by the thinking block's
 * ordinal — so a client that keeps only the last reasoning detail (or only `reasoning_details`) can hand back
 * a block whose text matches its signature.
 * The OpenAI surface thus emits reasoning text through reasoning deltas and signatures through
 * `reasoning_details`; a client that hands both back is re-encoded into a signed thinking block (see
 * encode-messages.ts). Redacted thinking becomes one `reasoning.encrypted` detail.
 *
 * Tool calls are indexed by their position among the message's tool_use blocks, from 0. A tool call whose
 * input streams no JSON at all (a tool without arguments) gets `{}` as its arguments, as it does without
 * streaming, so that clients can always JSON.parse the arguments.
 */
export class AnthropicStreamDecoder {
  private started = false;
  private usage: RawUsage = {};
  private readonly blocks = new Map<number, BlockState>();
  private reasoningBlocks = 0;
  private toolBlocks = 0;
  /** A stop_reason arrived: the answer is whole even if message_stop never comes. */
  sawFinish = false;
  /** message_stop arrived: nothing after it is read. */
  complete = false;

  constructor(
    private readonly providerId: string,
    private readonly redact: (text: string) => string,
    private readonly requestId?: string,
  ) {}

  private malformed(message: string): StreamEvent {
    return { type: 'error', error: new GatewayError('upstream_malformed', `provider ${this.providerId} ${message}`, { provider: this.providerId }) };
  }

  private ensureStart(out: StreamEvent[]): void {
    if (!this.started) {
      this.started = true;
      out.push({ type: 'start' });
    }
  }

  /** Decodes one event's JSON; `eventName` is the SSE event name, used when the JSON has no `type`. */
  decode(chunk: unknown, eventName: string | undefined, out: StreamEvent[]): void {
    if (this.complete) return;
    const root = asObject(chunk);
    if (!root) {
      out.push(this.malformed('sent a stream event that is not an object'));
      return;
    }
    switch (str(root.type) ?? eventName) {
      case 'message_start': {
        if (this.started) {
          // Two messages spliced into one stream: never concatenate them into one answer.
          out.push(this.malformed('sent a second message_start in one stream'));
          return;
        }
        this.started = true;
        const message = asObject(root.message);
        this.usage = readUsage(message?.usage, this.usage);
        out.push({ type: 'start', id: str(message?.id) || undefined, upstreamModel: str(message?.model) || undefined });
        // The input counts are known now; announcing them early lets clients that read usage at the start see them.
        // Output is left out: message_start's output_tokens is a placeholder.
        {
          const early = toUsage(this.usage);
          delete early.outputTokens;
          delete early.reasoningTokens;
          if (early.inputTokens !== undefined) out.push({ type: 'usage', usage: early });
        }
        return;
      }
      case 'content_block_start':
        this.ensureStart(out);
        this.blockStart(root, out);
        return;
      case 'content_block_delta':
        this.ensureStart(out);
        this.blockDelta(root, out);
        return;
      case 'content_block_stop': {
        const state = this.blocks.get(num(root.index) ?? -1);
        if (state?.kind === 'tool' && !state.sawArguments) {
          state.sawArguments = true;
          out.push({ type: 'tool-call-delta', index: state.ordinal, argumentsDelta: state.startInput ?? '{}' });
        }
        return;
      }
      case 'message_delta':
        this.ensureStart(out);
        this.messageDelta(root, out);
        return;
      case 'message_stop':
        this.complete = true;
        return;
      case 'error':
        out.push({ type: 'error', error: streamError(this.providerId, root, this.redact, this.requestId) });
        return;
      default:
        // ping, and event types newer than this adapter
        return;
    }
  }

  private blockStart(root: Json, out: StreamEvent[]): void {
    const index = num(root.index) ?? this.blocks.size;
    const block = asObject(root.content_block);
    switch (block?.type) {
      case 'text': {
        this.blocks.set(index, { kind: 'text', ordinal: 0, sawArguments: false });
        const text = str(block.text);
        if (text) out.push({ type: 'text-delta', text });
        return;
      }
      case 'thinking': {
        const ordinal = this.reasoningBlocks++;
        const thinking = str(block.thinking);
        this.blocks.set(index, { kind: 'thinking', ordinal, sawArguments: false, thinking: thinking ?? '' });
        if (thinking) out.push({ type: 'reasoning-delta', text: thinking });
        const signature = str(block.signature);
        if (signature) out.push({ type: 'reasoning-detail', detail: reasoningTextDetail(ordinal, thinking ?? '', signature) });
        return;
      }
      case 'redacted_thinking': {
        const ordinal = this.reasoningBlocks++;
        this.blocks.set(index, { kind: 'other', ordinal, sawArguments: false });
        const data = str(block.data);
        if (data) out.push({ type: 'reasoning-detail', detail: encryptedDetail(ordinal, data) });
        return;
      }
      case 'tool_use': {
        const ordinal = this.toolBlocks++;
        const input = asObject(block.input);
        const state: BlockState = { kind: 'tool', ordinal, sawArguments: false };
        if (input && Object.keys(input).length > 0) state.startInput = JSON.stringify(input);
        this.blocks.set(index, state);
        out.push({ type: 'tool-call-delta', index: ordinal, id: str(block.id) ?? '', name: str(block.name) ?? '', argumentsDelta: '' });
        return;
      }
      default:
        // `fallback`, server tool blocks and anything newer: their deltas are ignored too.
        this.blocks.set(index, { kind: 'other', ordinal: 0, sawArguments: false });
        return;
    }
  }

  private blockDelta(root: Json, out: StreamEvent[]): void {
    const state = this.blocks.get(num(root.index) ?? -1);
    const delta = asObject(root.delta);
    if (!state || !delta) return;
    switch (delta.type) {
      case 'text_delta': {
        const text = str(delta.text);
        if (state.kind === 'text' && text) out.push({ type: 'text-delta', text });
        return;
      }
      case 'thinking_delta': {
        const thinking = str(delta.thinking);
        if (state.kind === 'thinking' && thinking) {
          state.thinking = (state.thinking ?? '') + thinking;
          out.push({ type: 'reasoning-delta', text: thinking });
        }
        return;
      }
      case 'signature_delta': {
        const signature = str(delta.signature);
        if (state.kind === 'thinking' && signature) {
          out.push({ type: 'reasoning-detail', detail: reasoningTextDetail(state.ordinal, state.thinking ?? '', signature) });
        }
        return;
      }
      case 'input_json_delta': {
        const partial = str(delta.partial_json);
        if (state.kind === 'tool' && partial) {
          state.sawArguments = true;
          out.push({ type: 'tool-call-delta', index: state.ordinal, argumentsDelta: partial });
        }
        return;
      }
      default:
        // citations_delta and newer delta types
        return;
    }
  }

  private messageDelta(root: Json, out: StreamEvent[]): void {
    const delta = asObject(root.delta);
    // Usage here is cumulative and may restate input_tokens: merged over message_start's, later wins.
    this.usage = readUsage(root.usage, this.usage);
    const stopReason = str(delta?.stop_reason);
    if (stopReason && !this.sawFinish) {
      this.sawFinish = true;
      const refusal = refusalExplanation(stopReason, delta?.stop_details);
      if (refusal) out.push({ type: 'refusal-delta', text: refusal });
      const stopSequence = str(delta?.stop_sequence);
      out.push({ type: 'finish', reason: decodeStopReason(stopReason), raw: stopReason, ...(stopSequence ? { stopSequence } : {}) });
    }
    const usage = toUsage(this.usage);
    if (Object.keys(usage).length > 0) out.push({ type: 'usage', usage });
  }
}
