import type { CacheControl, ContentPart, Message, ReasoningDetail } from '../../canonical/index.js';

/** The `format` tag of reasoning details this host produced and can read back. */
export const ANTHROPIC_REASONING_FORMAT = 'anthropic-claude-v1';

export type WireBlock = Record<string, unknown>;

export interface WireTurn {
  role: 'user' | 'assistant';
  content: WireBlock[];
}

export interface EncodedMessages {
  /** Top-level `system` text blocks (system and developer messages, in order). */
  system: WireBlock[];
  /** Strictly alternating user/assistant turns. */
  messages: WireTurn[];
}

type Warn = (message: string) => void;

export function encodeCacheControl(cacheControl: CacheControl | undefined): Record<string, unknown> | undefined {
  if (!cacheControl) return undefined;
  return cacheControl.ttl ? { type: 'ephemeral', ttl: cacheControl.ttl } : { type: 'ephemeral' };
}

function withCache(block: WireBlock, cacheControl: CacheControl | undefined): WireBlock {
  const wire = encodeCacheControl(cacheControl);
  if (wire) block.cache_control = wire;
  return block;
}

/** `data:<media type>[;param…];base64,<data>` → base64 source; http(s) → url source; anything else is dropped. */
function encodeImage(url: string, warn: Warn): WireBlock | undefined {
  if (url.startsWith('data:')) {
    const match = /^data:([^;,]+)((?:;[^;,]*)*),(.*)$/s.exec(url);
    const params = match?.[2]?.split(';') ?? [];
    if (!match || !params.includes('base64')) {
      warn('an image data: URL that is not base64-encoded is not supported by Anthropic; the image was dropped');
      return undefined;
    }
    return { type: 'image', source: { type: 'base64', media_type: match[1]!.toLowerCase(), data: match[3]! } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  warn('an image URL that is neither http(s) nor a data: URL is not supported by Anthropic; the image was dropped');
  return undefined;
}

/**
 * Content as Anthropic blocks. Empty text is left out: Anthropic rejects empty text blocks, and they carry
 * nothing. The `detail` of an image has no Anthropic equivalent and is not sent.
 */
function encodeParts(content: string | ContentPart[] | null, warn: Warn, where: 'system' | 'message'): WireBlock[] {
  if (content === null) return [];
  if (typeof content === 'string') return content.length > 0 ? [{ type: 'text', text: content }] : [];
  const blocks: WireBlock[] = [];
  for (const part of content) {
    if (part.type === 'text') {
      if (part.text.length > 0) blocks.push(withCache({ type: 'text', text: part.text }, part.cacheControl));
    } else if (where === 'system') {
      warn('images in system or developer messages are not supported by Anthropic; the image was dropped');
    } else {
      const image = encodeImage(part.url, warn);
      if (image) blocks.push(withCache(image, part.cacheControl));
    }
  }
  return blocks;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Tool-call arguments as Anthropic's `input` object. Empty arguments are a call without arguments: `{}`. */
function parseArguments(args: string, toolName: string, warn: Warn): Record<string, unknown> {
  if (args.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(args);
    if (isObject(value)) return value;
  } catch {
    // reported below
  }
  warn(`the arguments of an earlier call to tool "${toolName}" are not a JSON object; they were sent to Anthropic as {}`);
  return {};
}

/**
 * Reasoning details as thinking blocks. Only details this host wrote (format `anthropic-claude-v1`, or no
 * format) are sent back; others belong to other hosts and are dropped without a word. Text details that share
 * an index are one thinking block split across stream events (text pieces, then the signature) and are
 * joined. A signed detail without text takes the turn's plain `reasoning`, when it is the only one: that is
 * what a client holds after a stream that carried the text as reasoning deltas and the signature as a detail.
 */
function encodeReasoning(message: Message): WireBlock[] {
  const merged: ReasoningDetail[] = [];
  for (const detail of message.reasoningDetails ?? []) {
    if (detail.format !== undefined && detail.format !== ANTHROPIC_REASONING_FORMAT) continue;
    const prev = merged[merged.length - 1];
    if (detail.type === 'reasoning.text' && prev?.type === 'reasoning.text' && detail.index !== undefined && prev.index === detail.index) {
      prev.text = (prev.text ?? '') + (detail.text ?? '');
      if (detail.signature) prev.signature = detail.signature;
      continue;
    }
    merged.push({ ...detail });
  }
  const signed = merged.filter((d) => d.type === 'reasoning.text' && d.signature);
  const fallbackText = signed.length === 1 && !signed[0]!.text && typeof message.reasoning === 'string' ? message.reasoning : undefined;
  const blocks: WireBlock[] = [];
  for (const detail of merged) {
    if (detail.type === 'reasoning.encrypted' && detail.data) {
      blocks.push({ type: 'redacted_thinking', data: detail.data });
    } else if (detail.type === 'reasoning.text' && detail.signature) {
      // Unsigned reasoning text cannot be handed back: Anthropic verifies every thinking block's signature.
      blocks.push({ type: 'thinking', thinking: detail.text || fallbackText || '', signature: detail.signature });
    }
  }
  return blocks;
}

interface PendingTurn {
  role: 'user' | 'assistant';
  /** tool_result blocks, which Anthropic wants before anything else in a user turn. */
  results: WireBlock[];
  blocks: WireBlock[];
}

/**
 * Canonical messages as Anthropic's `system` and `messages`: system and developer messages become system
 * blocks, tool results become `tool_result` blocks of the next user turn, consecutive turns of one role are
 * merged, and assistant thinking blocks precede the text and tool calls of their turn. Plain assistant
 * `reasoning` without a signed detail is not sent: Anthropic cannot take unsigned thinking.
 */
export function encodeMessages(messages: readonly Message[], warn: Warn): EncodedMessages {
  const system: WireBlock[] = [];
  const turns: PendingTurn[] = [];
  let conversationStarted = false;
  let namesDropped = false;

  const turn = (role: 'user' | 'assistant'): PendingTurn => {
    const last = turns[turns.length - 1];
    if (last && last.role === role) return last;
    const next: PendingTurn = { role, results: [], blocks: [] };
    turns.push(next);
    return next;
  };

  for (const message of messages) {
    if (message.name !== undefined && !namesDropped) {
      namesDropped = true;
      warn('message names are not supported by Anthropic; dropped');
    }
    switch (message.role) {
      case 'system':
      case 'developer': {
        if (conversationStarted) warn('a system or developer message inside the conversation was moved to Anthropic\'s top-level system prompt');
        system.push(...encodeParts(message.content, warn, 'system'));
        break;
      }
      case 'user': {
        conversationStarted = true;
        const blocks = encodeParts(message.content, warn, 'message');
        if (blocks.length > 0) turn('user').blocks.push(...blocks);
        break;
      }
      case 'tool': {
        conversationStarted = true;
        const result: WireBlock = { type: 'tool_result', tool_use_id: message.toolCallId ?? '' };
        if (typeof message.content === 'string') {
          if (message.content.length > 0) result.content = message.content;
        } else {
          const blocks = encodeParts(message.content, warn, 'message');
          if (blocks.length > 0) result.content = blocks;
        }
        if (message.isError) result.is_error = true;
        turn('user').results.push(result);
        break;
      }
      case 'assistant': {
        conversationStarted = true;
        const blocks = [...encodeReasoning(message), ...encodeParts(message.content, warn, 'message')];
        for (const call of message.toolCalls ?? []) {
          blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: parseArguments(call.arguments, call.name, warn) });
        }
        if (blocks.length > 0) turn('assistant').blocks.push(...blocks);
        break;
      }
    }
  }

  const wire: WireTurn[] = turns.map((t) => ({ role: t.role, content: [...t.results, ...t.blocks] }));
  // A final assistant turn is a prefill, and Anthropic rejects a prefill that ends in whitespace.
  const last = wire[wire.length - 1];
  if (last?.role === 'assistant') {
    const tail = last.content[last.content.length - 1];
    if (tail?.type === 'text' && typeof tail.text === 'string') {
      const trimmed = tail.text.trimEnd();
      if (trimmed.length > 0) tail.text = trimmed;
      else last.content.pop();
      if (last.content.length === 0) wire.pop();
    }
  }
  return { system, messages: wire };
}
