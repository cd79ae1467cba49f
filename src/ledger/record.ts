import type { Usage } from '../canonical/usage.js';
import { computeCost } from '../catalog/cost.js';
import type { ModelRegistry } from '../catalog/registry.js';
import type { HostPricing, HostRoute, ModelInfo } from '../catalog/types.js';
import type { AttemptRecord } from '../routing/execute.js';
import type { DecisionRecord } from '../routing/decision.js';
import { countTextTokens, tokenizerFamilyFor, type TokenizerFamily } from '../tokens/index.js';
import type { Redactor } from '../util/redact.js';
import { isoTimestamp } from '../util/iso-time.js';
import type { Baseline } from './baseline.js';
import type { DeliveredText } from './tap.js';
import type { LedgerAttempt, LedgerRecord } from './types.js';

/** What the ledger needs of a finished request (the accounting's outcome, reduced to plain data). */
export interface FinishedRequest {
  id: string;
  /** Epoch ms the request started, and how long it took. */
  startedAtMs: number;
  latencyMs: number;
  route: LedgerRecord['route'];
  stream: boolean;
  requestedModel: string;
  /** Canonical id of the model that answered (or was asked for), and the host ('' = none). */
  model: string;
  provider: string;
  status: number;
  attempts: readonly AttemptRecord[];
  usage?: Usage;
  /** The cost the client was told (usage.cost), nano-dollars; undefined = unpriced. */
  costNano?: number;
  errorCode?: string;
  decision?: DecisionRecord;
  outcome: LedgerRecord['outcome'];
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** Who made the request, as far as the ledger cares. */
export interface Attribution {
  /** Keys are required and the request presented none that exists: it belongs to no tenant. */
  unknown?: boolean;
  keyId?: string;
  teamId?: string;
  storePrompts?: boolean;
  minDataClass?: string;
  policy?: string;
}

export interface RecordContext {
  registry: ModelRegistry;
  baseline: Baseline;
  redactor: Redactor;
  /** `ledger.storePrompts`: the default for keys that do not say. */
  storePrompts: boolean;
  defaultPolicy?: string | null;
}

const MAX_TAGS = 10;
const MAX_TAG_LENGTH = 64;
/** Stored prompts and completions are cut at this many characters. */
export const MAX_STORED_TEXT = 256 * 1024;

function cleanTag(tag: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const t = tag.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return t.length > 0 && t.length <= MAX_TAG_LENGTH ? t : undefined;
}

/**
 * Spend tags: `metadata.tags` in the body (a list, or a comma-separated string as OpenAI's string-valued metadata
 * carries it) and the header `x-switchboard-tags: a,b`. At most 10 distinct tags of at most 64 characters; others
 * are ignored. Tags are grouping labels in the ledger only, never metric labels.
 */
export function requestTags(body: unknown, headers: Record<string, string | string[] | undefined>): string[] | undefined {
  const found: string[] = [];
  const metadata = body && typeof body === 'object' ? (body as { metadata?: unknown }).metadata : undefined;
  const fromBody = metadata && typeof metadata === 'object' ? (metadata as { tags?: unknown }).tags : undefined;
  if (Array.isArray(fromBody)) for (const t of fromBody) if (typeof t === 'string') found.push(t);
  if (typeof fromBody === 'string') found.push(...fromBody.split(','));
  const header = headers['x-switchboard-tags'];
  for (const h of Array.isArray(header) ? header : header === undefined ? [] : [header]) found.push(...h.split(','));
  const tags: string[] = [];
  for (const raw of found) {
    const t = cleanTag(raw);
    if (t && !tags.includes(t)) tags.push(t);
    if (tags.length >= MAX_TAGS) break;
  }
  return tags.length > 0 ? tags : undefined;
}

type Json = Record<string, unknown>;

function partsText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const part of content as Json[]) {
    if (typeof part?.text === 'string') out += `${part.text}\n`;
    else if (part?.type === 'tool_use') out += JSON.stringify(part.input ?? {});
    else if (part?.type === 'tool_result') out += partsText(part.content);
  }
  return out;
}

/** Every piece of text a request body sends (OpenAI or Anthropic form): for estimates and for stored prompts. */
export function promptText(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const b = body as Json;
  let out = '';
  if (b.system !== undefined) out += `${partsText(b.system)}\n`;
  if (Array.isArray(b.messages)) {
    for (const m of b.messages as Json[]) {
      out += `${partsText(m?.content)}\n`;
      if (Array.isArray(m?.tool_calls)) for (const c of m.tool_calls as Json[]) out += JSON.stringify(c?.function ?? {});
    }
  }
  if (Array.isArray(b.tools)) out += JSON.stringify(b.tools);
  if (typeof b.input === 'string') out += b.input;
  else if (Array.isArray(b.input)) out += (b.input as unknown[]).filter((x) => typeof x === 'string').join('\n');
  return out;
}

/** Template tokens per message assumed by the estimate (roles, separators). */
const TOKENS_PER_MESSAGE = 4;

function hostOf(model: ModelInfo | undefined, provider: string): HostRoute | undefined {
  return provider ? model?.hosts.find((h) => h.provider.id === provider) : undefined;
}

function priced(usage: Usage, pricing: HostPricing | undefined): number | undefined {
  const cost = computeCost(usage, pricing);
  return cost.status === 'priced' ? cost.nanoUsd : undefined;
}

function header(headers: FinishedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  // eslint-disable-next-line no-control-regex
  const t = s?.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return t && t.length <= 64 ? t : undefined;
}

function truncate(text: string): string {
  return text.length > MAX_STORED_TEXT ? `${text.slice(0, MAX_STORED_TEXT)}…[truncated]` : text;
}

function blockedFrom(decision: DecisionRecord | undefined): string[] | undefined {
  if (!decision || decision.exclusions.length === 0) return undefined;
  const out: string[] = [];
  for (const e of decision.exclusions) {
    const reason = `${e.provider ? `${e.provider}: ` : ''}${e.reason}`.slice(0, 200);
    if (!out.includes(reason)) out.push(reason);
    if (out.length >= 20) break;
  }
  return out;
}

/**
 * Builds the ledger record of a finished request. Tokens and cost are those the client was told; where the host
 * reported none because the stream ended early (the client went away, or the host broke after content), the output
 * is counted from the text actually delivered with the model's tokenizer and the prompt from the request's text,
 * and the record is marked `tokensEstimated`. An attempt that broke after content and was continued elsewhere is
 * priced the same way on its own host (`attempts[].costNano`, `estimated`), kept apart in `attemptsCostNano`.
 */
export function buildRecord(ctx: RecordContext, req: FinishedRequest, who: Attribution, delivered: (() => DeliveredText | undefined) | undefined): LedgerRecord {
  const info = ctx.registry.resolve(req.model);
  const model = info?.id ?? req.model;
  const host = hostOf(info, req.provider);
  // Only an estimate needs the tokenizer family, and nearly no record is estimated: found when first asked for.
  let familyOf: TokenizerFamily | undefined;
  const family = (): TokenizerFamily => (familyOf ??= tokenizerFamilyFor(info ?? { id: model }));
  let usage: Usage | undefined = req.usage ? { ...req.usage } : undefined;
  let costNano = req.costNano;
  let tokensEstimated = false;

  let text: DeliveredText | undefined;
  let textRead = false;
  const deliveredText = (): DeliveredText | undefined => {
    if (!textRead) {
      textRead = true;
      text = delivered?.();
    }
    return text;
  };

  let promptTokens: number | undefined;
  const estimatePrompt = (): number => {
    if (promptTokens === undefined) {
      const messages = Array.isArray((req.body as Json | undefined)?.messages) ? ((req.body as Json).messages as unknown[]).length : 1;
      promptTokens = countTextTokens(promptText(req.body), family()) + TOKENS_PER_MESSAGE * messages;
    }
    return promptTokens;
  };

  // The attempt whose output is the answer: the last that succeeded, else the last that broke after content.
  const answerIndex = (() => {
    for (let i = req.attempts.length - 1; i >= 0; i--) if (req.attempts[i]!.outcome === 'ok') return i;
    for (let i = req.attempts.length - 1; i >= 0; i--) if (req.attempts[i]!.deliveredChars !== undefined) return i;
    return -1;
  })();

  const endedEarly = req.stream && (req.outcome === 'aborted' || req.outcome === 'broken') && answerIndex >= 0;
  if (endedEarly && usage?.outputTokens === undefined) {
    const got = deliveredText();
    const answer = req.attempts[answerIndex]!;
    const previous = req.attempts.slice(0, answerIndex).reduce((m, a) => Math.max(m, a.deliveredChars ?? 0), 0);
    let outputTokens: number;
    let reasoningTokens: number | undefined;
    if (got) {
      // Only what this host wrote: text continued from a broken host starts after what that host delivered.
      const own = got.text.slice(previous);
      outputTokens = countTextTokens(own + got.reasoning + got.toolArguments, family());
      reasoningTokens = got.reasoning ? countTextTokens(got.reasoning, family()) : undefined;
    } else {
      outputTokens = Math.ceil(Math.max(0, (answer.deliveredChars ?? 0) - previous) / 4);
    }
    usage = { ...usage, inputTokens: usage?.inputTokens ?? estimatePrompt(), outputTokens };
    if (reasoningTokens !== undefined) usage.reasoningTokens = reasoningTokens;
    tokensEstimated = true;
    costNano = priced(usage, host?.pricing);
  }

  let attemptsCostNano: number | undefined;
  let before = 0;
  const attempts: LedgerAttempt[] = req.attempts.map((a, i) => {
    const out: LedgerAttempt = { provider: a.provider, model: a.model, outcome: a.outcome, phase: a.phase, startMs: a.startMs, durationMs: a.durationMs };
    if (a.errorCode !== undefined) out.errorCode = a.errorCode;
    if (a.upstreamStatus !== undefined) out.upstreamStatus = a.upstreamStatus;
    if (a.message !== undefined) out.message = a.message;
    if (a.ttftMs !== undefined) out.ttftMs = a.ttftMs;
    if (a.deliveredChars !== undefined) {
      out.deliveredChars = a.deliveredChars;
      if (i === answerIndex) {
        if (costNano !== undefined) out.costNano = costNano;
        out.estimated = tokensEstimated || undefined;
      } else {
        // Broken after content, continued elsewhere: this host billed its part of the text.
        const attemptModel = ctx.registry.resolve(a.model);
        const attemptHost = hostOf(attemptModel, a.provider);
        const attemptFamily = tokenizerFamilyFor(attemptModel ?? { id: a.model });
        const got = deliveredText();
        const share = got ? countTextTokens(got.text.slice(before, a.deliveredChars), attemptFamily) : Math.ceil(Math.max(0, a.deliveredChars - before) / 4);
        const prefill = got && before > 0 ? countTextTokens(got.text.slice(0, before), attemptFamily) : Math.ceil(before / 4);
        const cost = priced({ inputTokens: estimatePrompt() + prefill, outputTokens: share }, attemptHost?.pricing);
        if (cost !== undefined) {
          out.costNano = cost;
          attemptsCostNano = (attemptsCostNano ?? 0) + cost;
        }
        out.estimated = true;
      }
      before = Math.max(before, a.deliveredChars);
    }
    return out;
  });

  const baselineCostNano = usage && ctx.baseline.pricing ? priced(usage, ctx.baseline.pricing) : undefined;

  // Time to first token as the client saw it: the first attempt that delivered content.
  let ttftMs: number | undefined;
  if (req.stream) {
    const first = req.attempts.find((a) => (a.outcome === 'ok' || a.deliveredChars !== undefined) && a.ttftMs !== undefined);
    if (first) ttftMs = (first.startMs ?? 0) + first.ttftMs!;
  }

  const record: LedgerRecord = {
    id: req.id,
    at: isoTimestamp(req.startedAtMs),
    route: req.route,
    stream: req.stream,
    requestedModel: req.requestedModel,
    model,
    attempts,
    latencyMs: Math.max(0, Math.round(req.latencyMs)),
    status: req.status,
    outcome: req.outcome,
  };
  if (who.keyId) record.keyId = who.keyId;
  if (who.teamId) record.teamId = who.teamId;
  if (req.provider) record.provider = req.provider;
  if (info?.origin) record.origin = info.origin;
  const jurisdiction = host?.provider.jurisdiction ?? (req.provider ? ctx.registry.providers.get(req.provider)?.jurisdiction : undefined);
  if (jurisdiction) record.jurisdiction = jurisdiction;
  if (info?.license) record.license = info.license;
  if (info?.openWeights !== undefined) record.openWeights = info.openWeights;
  if (info?.developer) record.developer = info.developer;
  if (usage?.inputTokens !== undefined) record.inputTokens = usage.inputTokens;
  if (usage?.cachedInputTokens !== undefined) record.cachedInputTokens = usage.cachedInputTokens;
  if (usage?.outputTokens !== undefined) record.outputTokens = usage.outputTokens;
  if (usage?.reasoningTokens !== undefined) record.reasoningTokens = usage.reasoningTokens;
  if (tokensEstimated) record.tokensEstimated = true;
  if (costNano !== undefined) record.costNano = costNano;
  if (attemptsCostNano !== undefined) record.attemptsCostNano = attemptsCostNano;
  if (baselineCostNano !== undefined) record.baselineCostNano = baselineCostNano;
  record.baselineModel = ctx.baseline.model;
  if (ttftMs !== undefined) record.ttftMs = ttftMs;
  if (req.errorCode) record.errorCode = req.errorCode;
  const dataClass = header(req.headers, 'x-switchboard-data-class') ?? who.minDataClass;
  if (dataClass) record.dataClass = dataClass;
  const policy = who.policy ?? ctx.defaultPolicy ?? undefined;
  if (policy) record.policy = policy;
  const blocked = blockedFrom(req.decision);
  if (blocked) record.blocked = blocked;
  const tags = requestTags(req.body, req.headers);
  if (tags) record.tags = tags;
  if (who.storePrompts ?? ctx.storePrompts) {
    const prompt = promptText(req.body);
    if (prompt) record.prompt = truncate(ctx.redactor.redact(prompt));
    const got = deliveredText();
    const completion = got ? [got.reasoning && `[reasoning]\n${got.reasoning}`, got.text, got.toolArguments && `[tool calls]\n${got.toolArguments}`].filter(Boolean).join('\n') : '';
    if (completion) record.completion = truncate(ctx.redactor.redact(completion));
  }
  if (req.decision) {
    const d = req.decision;
    record.decision = {
      candidates: d.candidates,
      exclusions: d.exclusions,
      plan: d.plan,
      ...(d.fallbackModels ? { fallbackModels: d.fallbackModels } : {}),
      ...(d.served ? { served: d.served } : {}),
      ...(d.warnings ? { warnings: d.warnings } : {}),
    };
  }
  return record;
}
