import { createHash } from 'node:crypto';
import type { ChatRequest } from '../canonical/index.js';

/**
 * A stable number in [0, 1) for a conversation: the same caller with the same opening messages (system prompt and
 * first user turn) gets the same number on every turn, so the planner keeps the conversation on one host and its
 * prompt cache stays warm. Different conversations spread over hosts by their weights.
 */
export function conversationAffinity(request: ChatRequest, caller: string): number {
  const hash = createHash('sha1');
  hash.update(caller);
  hash.update('\u0000');
  hash.update(request.model);
  let seenUser = false;
  for (const message of request.messages) {
    if (message.role === 'system' || message.role === 'developer' || (message.role === 'user' && !seenUser)) {
      hash.update(message.role);
      hash.update(typeof message.content === 'string' ? message.content : JSON.stringify(message.content));
      if (message.role === 'user') seenUser = true;
    }
    if (seenUser) break;
  }
  return hash.digest().readUInt32BE(0) / 2 ** 32;
}
