import { GatewayError } from '../canonical/errors.js';
import { computeCost } from '../catalog/cost.js';
import { matchesCountry } from '../catalog/regions.js';
import type { ModelRegistry } from '../catalog/registry.js';
import type { HostRoute, ModelInfo } from '../catalog/types.js';
import type { LedgerRecord } from '../ledger/types.js';
import { selectorMatches } from './blocks.js';
import { policyProblem } from './rules.js';
import type { BlockKind, BlockSelector, EffectivePolicy } from './types.js';

/**
 * The exit drill: "what if we had to stop using X tomorrow?", answered from recorded traffic. Each served request of
 * the window is replayed against the current catalogue and policies with the named origins, providers and models
 * removed: a request that used one of them goes, in this order, to the same model on another allowed host, else to
 * the first configured substitute (`routing.substitutes`) with an allowed host, else to the cheapest allowed model
 * of the same tier; otherwise it has no route. A moved request is priced with its recorded tokens at the new host's
 * prices, without prompt-cache discounts (a moved workload starts with a cold cache). Pure: no clock, no I/O besides
 * the reader.
 */

/** A half-open window [from, to) of ISO times. */
export interface LedgerWindow {
  from: string;
  to: string;
}

/**
 * What the drill needs from the usage ledger: the records whose `at` falls in a window, in any order. The ledger
 * (`src/ledger/`) provides one over its store; tests use `MemoryLedgerReader`.
 */
export interface LedgerReader {
  records(window: LedgerWindow): AsyncIterable<LedgerRecord>;
}

/** A reader over records held in memory. */
export class MemoryLedgerReader implements LedgerReader {
  constructor(private readonly all: readonly LedgerRecord[]) {}

  async *records(window: LedgerWindow): AsyncIterable<LedgerRecord> {
    const from = Date.parse(window.from);
    const to = Date.parse(window.to);
    for (const r of this.all) {
      const at = Date.parse(r.at);
      if (at >= from && at < to) yield r;
    }
  }
}

/** The part of the ledger store a reader needs: records newest first, strictly older than `before` (its `list`). */
export interface LedgerListSource {
  list(query: { before?: string; limit?: number }): Promise<LedgerRecord[]>;
}

/**
 * A reader over the ledger store's `list` (newest first, paged by `before`). Each page restarts one millisecond
 * after the oldest time it reached and skips ids already seen, so records sharing a timestamp across a page
 * boundary are neither lost nor counted twice.
 */
export function ledgerReaderFromList(source: LedgerListSource, pageSize = 1000): LedgerReader {
  return {
    async *records(window: LedgerWindow): AsyncIterable<LedgerRecord> {
      const from = Date.parse(window.from);
      let before = new Date(Date.parse(window.to)).toISOString();
      let boundary = new Set<string>();
      let boundaryAt: number | undefined;
      for (;;) {
        const page = await source.list({ before, limit: pageSize });
        let fresh = 0;
        let oldest: number | undefined;
        const atOldest = new Set<string>();
        for (const r of page) {
          const at = Date.parse(r.at);
          if (oldest === undefined || at < oldest) {
            oldest = at;
            atOldest.clear();
          }
          if (at === oldest) atOldest.add(r.id);
          if (boundary.has(r.id)) continue;
          fresh++;
          if (at >= from) yield r;
        }
        if (page.length < pageSize || oldest === undefined || oldest < from || fresh === 0) return;
        boundary = oldest === boundaryAt ? new Set([...boundary, ...atOldest]) : atOldest;
        boundaryAt = oldest;
        before = new Date(oldest + 1).toISOString();
      }
    },
  };
}

/** The wire form of one removed dependency: `{"origin": "CN"}`, `{"provider": "deepseek"}`, `{"model": "…"}`. */
export type DrillWithout = { origin: string } | { provider: string } | { model: string };

export interface DrillRequest {
  without: readonly DrillWithout[];
  /** Window length back from `now`: `30d`, `12h`, `90m`, `2w` (default 30d). */
  since?: string;
  /** Share above which a single dependency is flagged (default 0.5). */
  threshold?: number;
}

export interface DrillEnvironment {
  registry: ModelRegistry;
  substitutes: Readonly<Record<string, readonly string[]>>;
  /** The policy a recorded request would be under today (its key's, team's, data class's); throws if unresolvable. */
  policyFor(record: LedgerRecord): EffectivePolicy;
  now: number;
}

export interface ConcentrationRow {
  name: string;
  requests: number;
  requestShare: number;
  tokens: number;
  tokenShare: number;
  costUsd: number;
  costShare: number;
  /** A share of requests, tokens or spend above the threshold. */
  flagged: boolean;
}

export interface Concentration {
  threshold: number;
  byDeveloper: ConcentrationRow[];
  byOrigin: ConcentrationRow[];
  byJurisdiction: ConcentrationRow[];
  byLicense: ConcentrationRow[];
  /** One line per flagged dependency, e.g. `origin CN: 72% of requests`. */
  flags: string[];
}

export interface ReroutedRow {
  from: string;
  to: string;
  fromModel: string;
  fromProvider: string;
  toModel: string;
  toProvider: string;
  via: 'same-model' | 'substitute' | 'same-tier';
  requests: number;
  tokens: number;
  /** New cost minus recorded cost, over the requests whose both costs are known. */
  costDeltaUsd: number;
  /** Requests whose old or new cost is unknown (unpriced), left out of costDeltaUsd. */
  unpricedRequests: number;
}

export interface BreakdownRow {
  name: string;
  requests: number;
  tokens: number;
  costUsd: number;
  rerouted: number;
  unroutable: number;
  costDeltaUsd: number;
}

export interface DrillResult {
  without: DrillWithout[];
  window: LedgerWindow & { since: string };
  /** Served requests in the window. */
  total: { requests: number; tokens: number; costUsd: number };
  affected: { requests: number; tokens: number; costUsd: number };
  rerouted: ReroutedRow[];
  unroutable: { requests: number; tokens: number; costUsd: number; byModel: { model: string; requests: number; reason: string }[] };
  breakdown: { byKey: BreakdownRow[]; byTeam: BreakdownRow[]; byModel: BreakdownRow[] };
  /** Dependencies of the recorded traffic. */
  concentration: Concentration;
  /** The same, had the drill's removals been in force (rerouted traffic counted where it would go). */
  concentrationAfter: Concentration;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `30d` → milliseconds. */
export function parseSince(since: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$/i.exec(since);
  if (!m) throw new GatewayError('invalid_request', `since must look like 30d, 12h, 90m or 2w (got '${since}')`, { param: 'since' });
  const ms = Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  if (!(ms > 0)) throw new GatewayError('invalid_request', 'since must be a positive duration', { param: 'since' });
  return ms;
}

/** `origin=CN`, `provider=deepseek`, `model=deepseek/deepseek-v3.2` (the CLI's form) → the wire form. */
export function parseWithout(text: string): DrillWithout {
  const m = /^(origin|provider|model)=(.+)$/.exec(text.trim());
  if (!m) throw new GatewayError('invalid_request', `--without takes origin=CC, provider=ID or model=ID (got '${text}')`, { param: 'without' });
  const kind = m[1] as BlockKind;
  const value = m[2]!.trim();
  return kind === 'origin' ? { origin: value.toUpperCase() } : kind === 'provider' ? { provider: value } : { model: value };
}

export function toSelector(w: DrillWithout): BlockSelector {
  if ('origin' in w) return { kind: 'origin', value: w.origin };
  if ('provider' in w) return { kind: 'provider', value: w.provider };
  return { kind: 'model', value: w.model };
}

interface Choice {
  model: ModelInfo;
  host: HostRoute;
  costNano: number | undefined;
}

function costOn(host: HostRoute, r: LedgerRecord): number | undefined {
  const cost = computeCost({ inputTokens: r.inputTokens, outputTokens: r.outputTokens }, host.pricing);
  return cost.status === 'priced' ? cost.nanoUsd : undefined;
}

/** Cheapest first; unpriced after every priced one; ties by model id then provider id, so results are stable. */
function cheaper(a: Choice, b: Choice): number {
  if (a.costNano === undefined || b.costNano === undefined) {
    if (a.costNano !== b.costNano) return a.costNano === undefined ? 1 : -1;
  } else if (a.costNano !== b.costNano) return a.costNano - b.costNano;
  const pa = a.host.pricing ? a.host.pricing.input + a.host.pricing.output : Number.MAX_SAFE_INTEGER;
  const pb = b.host.pricing ? b.host.pricing.input + b.host.pricing.output : Number.MAX_SAFE_INTEGER;
  if (pa !== pb) return pa - pb;
  return a.model.id.localeCompare(b.model.id) || a.host.provider.id.localeCompare(b.host.provider.id);
}

interface Tally {
  requests: number;
  tokens: number;
  nano: number;
}

const tally = (): Tally => ({ requests: 0, tokens: 0, nano: 0 });
const usd = (nano: number): number => nano / 1e9;
const tokensOf = (r: LedgerRecord): number => (r.inputTokens ?? 0) + (r.outputTokens ?? 0);

class Shares {
  private readonly rows = new Map<string, Tally>();
  add(name: string, tokens: number, nano: number): void {
    let t = this.rows.get(name);
    if (!t) {
      t = tally();
      this.rows.set(name, t);
    }
    t.requests++;
    t.tokens += tokens;
    t.nano += nano;
  }
  rowsWith(threshold: number, total: Tally): ConcentrationRow[] {
    const share = (x: number, of: number) => (of > 0 ? x / of : 0);
    return [...this.rows.entries()]
      .map(([name, t]) => {
        const requestShare = share(t.requests, total.requests);
        const tokenShare = share(t.tokens, total.tokens);
        const costShare = share(t.nano, total.nano);
        return {
          name,
          requests: t.requests,
          requestShare,
          tokens: t.tokens,
          tokenShare,
          costUsd: usd(t.nano),
          costShare,
          flagged: name !== 'unknown' && (requestShare > threshold || tokenShare > threshold || costShare > threshold),
        };
      })
      .sort((a, b) => b.requests - a.requests || b.costUsd - a.costUsd || a.name.localeCompare(b.name));
  }
}

class ConcentrationBuilder {
  private readonly total = tally();
  private readonly developer = new Shares();
  private readonly origin = new Shares();
  private readonly jurisdiction = new Shares();
  private readonly license = new Shares();

  add(facts: { developer?: string; origin?: string; jurisdiction?: string; license?: string }, tokens: number, nano: number): void {
    this.total.requests++;
    this.total.tokens += tokens;
    this.total.nano += nano;
    this.developer.add(facts.developer ?? 'unknown', tokens, nano);
    this.origin.add(facts.origin ?? 'unknown', tokens, nano);
    this.jurisdiction.add(facts.jurisdiction ?? 'unknown', tokens, nano);
    this.license.add(facts.license ?? 'unknown', tokens, nano);
  }

  build(threshold: number): Concentration {
    const c: Concentration = {
      threshold,
      byDeveloper: this.developer.rowsWith(threshold, this.total),
      byOrigin: this.origin.rowsWith(threshold, this.total),
      byJurisdiction: this.jurisdiction.rowsWith(threshold, this.total),
      byLicense: this.license.rowsWith(threshold, this.total),
      flags: [],
    };
    const pct = (x: number) => `${Math.round(x * 100)}%`;
    for (const [label, rows] of [['developer', c.byDeveloper], ['origin', c.byOrigin], ['jurisdiction', c.byJurisdiction], ['licence', c.byLicense]] as const) {
      for (const row of rows) {
        if (!row.flagged) continue;
        const parts = [
          row.requestShare > threshold ? `${pct(row.requestShare)} of requests` : '',
          row.tokenShare > threshold ? `${pct(row.tokenShare)} of tokens` : '',
          row.costShare > threshold ? `${pct(row.costShare)} of spend` : '',
        ].filter(Boolean);
        c.flags.push(`${label} ${row.name}: ${parts.join(', ')}`);
      }
    }
    return c;
  }
}

class Breakdown {
  private readonly rows = new Map<string, Tally & { rerouted: number; unroutable: number; deltaNano: number }>();
  add(name: string, r: LedgerRecord, outcome: 'rerouted' | 'unroutable', deltaNano: number): void {
    let row = this.rows.get(name);
    if (!row) {
      row = { ...tally(), rerouted: 0, unroutable: 0, deltaNano: 0 };
      this.rows.set(name, row);
    }
    row.requests++;
    row.tokens += tokensOf(r);
    row.nano += r.costNano ?? 0;
    row[outcome]++;
    row.deltaNano += deltaNano;
  }
  build(): BreakdownRow[] {
    return [...this.rows.entries()]
      .map(([name, t]) => ({ name, requests: t.requests, tokens: t.tokens, costUsd: usd(t.nano), rerouted: t.rerouted, unroutable: t.unroutable, costDeltaUsd: usd(t.deltaNano) }))
      .sort((a, b) => b.requests - a.requests || a.name.localeCompare(b.name));
  }
}

/** Runs the drill over the window ending at `env.now`. */
export async function runDrill(reader: LedgerReader, request: DrillRequest, env: DrillEnvironment): Promise<DrillResult> {
  const since = request.since ?? '30d';
  const threshold = request.threshold ?? 0.5;
  if (!(threshold > 0 && threshold < 1)) throw new GatewayError('invalid_request', 'threshold must be between 0 and 1', { param: 'threshold' });
  if (request.without.length === 0) throw new GatewayError('invalid_request', 'name at least one origin, provider or model to go without', { param: 'without' });
  const window = { from: new Date(env.now - parseSince(since)).toISOString(), to: new Date(env.now).toISOString(), since };
  const selectors = request.without.map(toSelector);
  const removed = (model: Pick<ModelInfo, 'id' | 'origin'>, providerId: string) => selectors.some((s) => selectorMatches(s, model, providerId));
  /** Whether the recorded request itself used a removed dependency: judged on the facts recorded with it. */
  const used = (r: LedgerRecord) =>
    selectors.some((s) =>
      s.kind === 'origin' ? r.origin !== undefined && matchesCountry(s.value, r.origin) : s.kind === 'provider' ? s.value === r.provider : s.value.toLowerCase() === r.model!.toLowerCase(),
    );

  const models = env.registry.list();
  const tierOf = (id: string) => env.registry.resolve(id)?.tier ?? env.registry.catalogue?.model(id)?.tier;

  const allowedHosts = (model: ModelInfo, policy: EffectivePolicy, r: LedgerRecord): Choice[] =>
    model.hosts
      .filter((h) => !removed(model, h.provider.id) && !policyProblem(model, h, policy))
      .map((host) => ({ model, host, costNano: costOn(host, r) }))
      .sort(cheaper);

  const alternative = (r: LedgerRecord): { choice: Choice; via: ReroutedRow['via'] } | { reason: string } => {
    let policy: EffectivePolicy;
    try {
      policy = env.policyFor(r);
    } catch (err) {
      return { reason: `its policy cannot be resolved today (${(err as Error).message})` };
    }
    const current = env.registry.resolve(r.model!);
    if (current) {
      // Never back to the host it used: by the facts recorded with the request, that host is what is removed.
      const same = allowedHosts(current, policy, r).filter((c) => c.host.provider.id !== r.provider);
      if (same.length > 0) return { choice: same[0]!, via: 'same-model' };
    }
    const canonical = current?.id ?? r.model!;
    for (const name of env.substitutes[canonical] ?? env.substitutes[r.model!] ?? []) {
      const sub = env.registry.resolve(name);
      if (!sub || sub.id === canonical) continue;
      const hosts = allowedHosts(sub, policy, r);
      if (hosts.length > 0) return { choice: hosts[0]!, via: 'substitute' };
    }
    const tier = tierOf(canonical);
    if (tier) {
      const candidates = models.filter((m) => m.tier === tier && m.id !== canonical).flatMap((m) => allowedHosts(m, policy, r));
      candidates.sort(cheaper);
      if (candidates.length > 0) return { choice: candidates[0]!, via: 'same-tier' };
      return { reason: `no allowed host, substitute or other ${tier}-tier model` };
    }
    return { reason: 'no allowed host or substitute, and the model has no tier to compare with' };
  };

  const total = tally();
  const affected = tally();
  const unroutable = tally();
  const unroutableByModel = new Map<string, { requests: number; reason: string }>();
  const rerouted = new Map<string, ReroutedRow & { deltaNano: number }>();
  const byKey = new Breakdown();
  const byTeam = new Breakdown();
  const byModel = new Breakdown();
  const before = new ConcentrationBuilder();
  const after = new ConcentrationBuilder();

  for await (const r of reader.records(window)) {
    if (!r.model || !r.provider || r.status >= 400) continue;
    const tokens = tokensOf(r);
    const nano = r.costNano ?? 0;
    total.requests++;
    total.tokens += tokens;
    total.nano += nano;
    const facts = { developer: r.developer ?? env.registry.resolve(r.model)?.developer, origin: r.origin, jurisdiction: r.jurisdiction, license: r.license };
    before.add(facts, tokens, nano);
    if (!used(r)) {
      after.add(facts, tokens, nano);
      continue;
    }
    affected.requests++;
    affected.tokens += tokens;
    affected.nano += nano;
    const alt = alternative(r);
    if ('reason' in alt) {
      unroutable.requests++;
      unroutable.tokens += tokens;
      unroutable.nano += nano;
      const entry = unroutableByModel.get(r.model) ?? { requests: 0, reason: alt.reason };
      entry.requests++;
      unroutableByModel.set(r.model, entry);
      byKey.add(r.keyId ?? '(no key)', r, 'unroutable', 0);
      byTeam.add(r.teamId ?? '(no team)', r, 'unroutable', 0);
      byModel.add(r.model, r, 'unroutable', 0);
      continue;
    }
    const { choice, via } = alt;
    const from = `${r.model}@${r.provider}`;
    const to = `${choice.model.id}@${choice.host.provider.id}`;
    const known = r.costNano !== undefined && choice.costNano !== undefined;
    const deltaNano = known ? choice.costNano! - r.costNano! : 0;
    const row = rerouted.get(`${from}\u0000${to}`) ?? {
      from,
      to,
      fromModel: r.model,
      fromProvider: r.provider,
      toModel: choice.model.id,
      toProvider: choice.host.provider.id,
      via,
      requests: 0,
      tokens: 0,
      costDeltaUsd: 0,
      unpricedRequests: 0,
      deltaNano: 0,
    };
    row.requests++;
    row.tokens += tokens;
    row.deltaNano += deltaNano;
    if (!known) row.unpricedRequests++;
    rerouted.set(`${from}\u0000${to}`, row);
    byKey.add(r.keyId ?? '(no key)', r, 'rerouted', deltaNano);
    byTeam.add(r.teamId ?? '(no team)', r, 'rerouted', deltaNano);
    byModel.add(r.model, r, 'rerouted', deltaNano);
    after.add(
      { developer: choice.model.developer, origin: choice.model.origin, jurisdiction: choice.host.provider.jurisdiction, license: choice.model.license },
      tokens,
      choice.costNano ?? 0,
    );
  }

  return {
    without: request.without.map((w) => ({ ...w })),
    window,
    total: { requests: total.requests, tokens: total.tokens, costUsd: usd(total.nano) },
    affected: { requests: affected.requests, tokens: affected.tokens, costUsd: usd(affected.nano) },
    rerouted: [...rerouted.values()]
      .map(({ deltaNano, ...row }) => ({ ...row, costDeltaUsd: usd(deltaNano) }))
      .sort((a, b) => b.requests - a.requests || a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
    unroutable: {
      requests: unroutable.requests,
      tokens: unroutable.tokens,
      costUsd: usd(unroutable.nano),
      byModel: [...unroutableByModel.entries()].map(([model, v]) => ({ model, ...v })).sort((a, b) => b.requests - a.requests || a.model.localeCompare(b.model)),
    },
    breakdown: { byKey: byKey.build(), byTeam: byTeam.build(), byModel: byModel.build() },
    concentration: before.build(threshold),
    concentrationAfter: after.build(threshold),
  };
}
