import type { ChatRequest } from '../canonical/index.js';

/** Characters of each opening message that go into the hash: enough to tell conversations apart, bounded in cost. */
const HASHED_CHARS = 4096;

/**
 * A stable number in [0, 1) for a conversation: the same caller with the same opening messages (system prompt and
 * first user turn) gets the same number on every turn, so the planner keeps the conversation on one host and its
 * prompt cache stays warm. Different conversations spread over hosts by their weights.
 *
 * FNV-1a over the text, not a cryptographic hash: nothing here is secret or adversarial (a caller choosing its own
 * host gains nothing it could not get with `provider.order`), and it runs on every request.
 */
export function conversationAffinity(request: ChatRequest, caller: string): number {
  let h = fnv(OFFSET, caller);
  h = fnv(h, '\u0000');
  h = fnv(h, request.model);
  let seenUser = false;
  for (const message of request.messages) {
    if (message.role === 'system' || message.role === 'developer' || (message.role === 'user' && !seenUser)) {
      h = fnv(h, message.role);
      const content = typeof message.content === 'string' ? message.content : JSON.stringify(message.content);
      h = fnv(h, content.length > HASHED_CHARS ? content.slice(0, HASHED_CHARS) : content);
      h = fnv(h, String(content.length));
      if (message.role === 'user') seenUser = true;
    }
    if (seenUser) break;
  }
  // A final avalanche, so that conversations differing only in their last characters still spread evenly.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

const OFFSET = 0x811c9dc5;
const PRIME = 0x01000193;

function fnv(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, PRIME);
  }
  return h;
}
