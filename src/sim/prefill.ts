/**
 * Assistant prefills: a request whose final assistant turn the host is asked to continue (how the gateway
 * resumes a stream that broke after content). Each dialect decodes the prefill into `ChatInput.prefill` and
 * words its own refusal; this module plans the continuation (see `continuationOf` in answer.ts), records the
 * prefill in the request log, and applies the scenario's `prefill` policy.
 */
import { planAnswer, type AnswerPlan, type ChatInput } from './answer.js';
import type { SimContext } from './context.js';
import type { Scenario } from './scenario.js';

/**
 * For a prefill request: the continuation's plan, with the prefill recorded in the request log (also when the
 * host goes on to refuse it). Undefined for a request without a prefill.
 */
export function planPrefill(ctx: SimContext, input: ChatInput, scenario: Scenario): AnswerPlan | undefined {
  const prefill = input.prefill;
  if (prefill === undefined) return undefined;
  const plan = planAnswer(input, scenario);
  ctx.annotate({ prefill: { mode: prefill.mode, text: prefill.text, matched: plan.prefill?.matched ?? false } });
  return plan;
}

/** True when the host refuses this request's prefill (`prefill: 'reject'`). */
export function refusesPrefill(input: ChatInput, scenario: Scenario): boolean {
  return input.prefill !== undefined && scenario.prefill === 'reject';
}
