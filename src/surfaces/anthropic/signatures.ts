import type { ReasoningDetail } from '../../canonical/index.js';

/**
 * Anthropic clients hand back thinking blocks exactly as they received them, and nothing else. Reasoning state from
 * other hosts (a Gemini thought signature tied to a tool call) therefore travels inside a thinking block's
 * signature, wrapped so the gateway can recognise and unwrap it on the next turn. Real Anthropic signatures are
 * passed through untouched.
 */
const WRAP_PREFIX = 'sbx1.';

export function wrapForeignDetail(detail: ReasoningDetail): string {
  const payload = { f: detail.format ?? 'unknown', t: detail.type, d: detail.data ?? detail.signature ?? '', i: detail.id };
  return WRAP_PREFIX + Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** The reasoning detail a thinking block stands for. */
export function detailFromThinking(text: string, signature: string | undefined, index: number): ReasoningDetail | undefined {
  if (signature?.startsWith(WRAP_PREFIX)) {
    try {
      const payload = JSON.parse(Buffer.from(signature.slice(WRAP_PREFIX.length), 'base64url').toString('utf8')) as { f: string; t: ReasoningDetail['type']; d: string; i?: string };
      return { type: payload.t, data: payload.d, format: payload.f, ...(payload.i ? { id: payload.i } : {}), index };
    } catch {
      return undefined;
    }
  }
  // No signature: reasoning text from a host that does not sign it; there is nothing to hand back.
  if (!signature) return undefined;
  return { type: 'reasoning.text', text, signature, format: 'anthropic-claude-v1', index };
}

export function isAnthropicDetail(detail: ReasoningDetail): boolean {
  return detail.format === undefined || detail.format === 'anthropic-claude-v1' || detail.format === 'unknown';
}
