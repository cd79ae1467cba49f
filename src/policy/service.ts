import type { Logger } from 'pino';
import { GatewayError } from '../canonical/errors.js';
import type { ModelRegistry } from '../catalog/registry.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../limits/pubsub.js';
import { newId } from '../tenancy/secrets.js';
import type { Principal } from '../tenancy/service.js';
import type { KeyRecord, TeamRecord, TenancyStore } from '../tenancy/types.js';
import { AuditVerifier, canonicalJson, type AuditEntry, type AuditRow, type AuditVerdict } from './audit.js';
import { blockActive, wireBlock } from './blocks.js';
import { runDrill, type DrillRequest, type DrillResult, type LedgerReader } from './drill.js';
import { resolveEffectivePolicy } from './resolve.js';
import { blockFromRow, policyFromRow, type SovereigntyStore } from './store.js';
import type { Block, BlockSelector, EffectivePolicy, Policy, StoredPolicy } from './types.js';

/** The bus channel on which a replica announces that policies or blocks changed. */
export const SOVEREIGNTY_CHANNEL = 'sovereignty:changed';

/** How often each replica checks the database for changes it may have missed on the bus. */
export const DEFAULT_POLL_MS = 500;

export interface SovereigntyOptions {
  config: Config;
  /** Policies, blocks and the audit log in the database; absent = config policies only (bare tests). */
  store?: SovereigntyStore;
  bus?: EventBus;
  logger: Logger;
  /** `SWITCHBOARD_AUDIT_KEY`: the audit chain's MAC key. Absent: rows are written unkeyed (verify: unverifiable). */
  auditKey?: string;
  pollMs?: number;
  /** The served models, to check block and drill selectors and to replay traffic. */
  registry?: ModelRegistry;
  /** Keys and teams, to refuse deleting a policy still attached and to replay requests under today's policies. */
  tenancy?: TenancyStore;
  /** The usage ledger, for exit drills. */
  ledger?: LedgerReader;
  now?: () => number;
}

/** What a request is held to: its effective policy and the blocks in force. */
export interface Constraints {
  policy: EffectivePolicy;
  blocks: Block[];
}

export interface BlockInput {
  selector: BlockSelector;
  reason?: string;
  until?: string;
}

const POLICY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Policies, data classes and blocks at run time, for every replica. The request path reads only memory: the
 * database's policies and blocks are cached here and refreshed (1) at once on this replica after its own change,
 * (2) on every other replica when the change is announced on the event bus, and (3) by a poll of the audit chain's
 * length every `pollMs` (500 ms), which catches anything the at-most-once bus lost. So a block is in force on every
 * replica within about half a second of its commit, even with the bus down. Expiry needs no refresh: `until` is
 * compared with the clock at each request.
 */
export class SovereigntyService {
  private policies = new Map<string, StoredPolicy>();
  private blocks: Block[] = [];
  private version = -1;
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private queued = false;
  private lastPollError = 0;
  private unsubscribe?: () => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: SovereigntyOptions) {
    this.now = options.now ?? Date.now;
  }

  get config(): Config {
    return this.options.config;
  }

  get auditKeyed(): boolean {
    return this.options.auditKey !== undefined;
  }

  /** Loads the stored state, subscribes to changes and starts the backstop poll. */
  async start(): Promise<void> {
    const { store, bus } = this.options;
    if (!store) return;
    await this.load();
    const global = this.options.config.routing.defaultPolicy;
    if (global && !this.policy(global)) {
      this.options.logger.error({ policy: global }, `routing.defaultPolicy names policy '${global}', which is neither in the config nor stored: every model request is refused until it exists`);
    }
    if (bus) {
      this.unsubscribe = await bus.subscribe(SOVEREIGNTY_CHANNEL, () => void this.refresh());
      bus.onReconnect(() => void this.refresh());
    }
    this.timer = setInterval(() => void this.poll(), this.options.pollMs ?? DEFAULT_POLL_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unsubscribe?.().catch(() => undefined);
    await this.chain;
  }

  private async load(): Promise<void> {
    const state = await this.options.store!.state();
    this.policies = new Map(state.policies.map((p) => [p.name, p]));
    this.blocks = state.blocks;
    this.version = state.version;
  }

  /** Re-reads the database; calls while one is queued share it, so reads never pile up. */
  refresh(): Promise<void> {
    if (!this.options.store) return Promise.resolve();
    if (this.queued) return this.chain;
    this.queued = true;
    this.chain = this.chain.then(async () => {
      this.queued = false;
      try {
        await this.load();
      } catch (err) {
        this.warnThrottled(err, 'could not refresh policies and blocks; keeping the last ones read');
      }
    });
    return this.chain;
  }

  private async poll(): Promise<void> {
    try {
      const version = await this.options.store!.version();
      if (version !== this.version) await this.refresh();
    } catch (err) {
      this.warnThrottled(err, 'could not poll for policy and block changes; keeping the last ones read');
    }
  }

  private warnThrottled(err: unknown, message: string): void {
    const now = Date.now();
    if (now - this.lastPollError < 30_000) return;
    this.lastPollError = now;
    this.options.logger.warn({ err: (err as Error).message }, message);
  }

  private async announce(): Promise<void> {
    await this.refresh();
    await this.options.bus?.publish(SOVEREIGNTY_CHANNEL, { version: this.version }).catch((err: unknown) => {
      this.options.logger.warn({ err: (err as Error).message }, 'could not announce a policy or block change; other replicas see it within their poll interval');
    });
  }

  private requireStore(): SovereigntyStore {
    if (!this.options.store) throw new GatewayError('admin_disabled', 'policies and blocks at run time need the database, which is not configured');
    return this.options.store;
  }

  // -- the request path ----------------------------------------------------------------------------------------

  /** A policy by name: the config file's first (they are read-only), then the database's. */
  policy(name: string): Policy | undefined {
    return Object.hasOwn(this.options.config.policies, name) ? this.options.config.policies[name] : this.policies.get(name)?.policy;
  }

  hasPolicy(name: string): boolean {
    return this.policy(name) !== undefined;
  }

  activeBlocks(at = this.now()): Block[] {
    return this.blocks.filter((b) => blockActive(b, at));
  }

  /** The effective policy and blocks for one request; throws 400 for an unknown data class, 403 for a dangling policy. */
  constraints(principal: Principal, dataClassHeader: string | readonly string[] | undefined): Constraints {
    const { config } = this.options;
    const policy = resolveEffectivePolicy({
      defaultPolicy: config.routing.defaultPolicy,
      dataClasses: config.dataClasses,
      lookup: (name) => this.policy(name),
      principal,
      dataClassHeader,
    });
    return { policy, blocks: this.activeBlocks() };
  }

  // -- policies ------------------------------------------------------------------------------------------------

  listPolicies(): { name: string; source: 'config' | 'database'; policy: Policy; updatedAt?: string; updatedBy?: string }[] {
    const out: { name: string; source: 'config' | 'database'; policy: Policy; updatedAt?: string; updatedBy?: string }[] = [];
    for (const [name, policy] of Object.entries(this.options.config.policies)) out.push({ name, source: 'config', policy });
    for (const p of this.policies.values()) {
      if (!Object.hasOwn(this.options.config.policies, p.name)) out.push({ name: p.name, source: 'database', policy: p.policy, updatedAt: p.updatedAt, updatedBy: p.updatedBy });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  policySource(name: string): 'config' | 'database' | undefined {
    if (Object.hasOwn(this.options.config.policies, name)) return 'config';
    return this.policies.has(name) ? 'database' : undefined;
  }

  private checkWritable(name: string): void {
    if (!POLICY_NAME.test(name)) throw new GatewayError('invalid_request', 'a policy name is 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit', { param: 'name' });
    if (Object.hasOwn(this.options.config.policies, name)) {
      throw new GatewayError('forbidden', `policy '${name}' is defined in the config file and is read-only at run time`);
    }
  }

  /** Creates or replaces a stored policy; returns whether it was created. */
  async putPolicy(name: string, policy: Policy, actor: string): Promise<{ created: boolean; policy: Policy }> {
    this.checkWritable(name);
    const store = this.requireStore();
    const at = new Date(this.now()).toISOString();
    const body = canonicalJson(policy);
    const result = await store.mutate(
      {
        read: { sql: 'SELECT * FROM policies WHERE name = ?', params: [name] },
        build: (rows) => {
          const before = rows[0] ? policyFromRow(rows[0]) : undefined;
          if (before && canonicalJson(before.policy) === body) return { statements: [], result: { created: false, changed: false } };
          return {
            statements: [
              {
                sql: `INSERT INTO policies (name, body, created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
                      ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
                params: [name, body, at, actor, at, actor],
              },
            ],
            audit: { actor, action: 'policy.put', target: { type: 'policy', id: name }, before: before?.policy, after: policy },
            result: { created: !before, changed: true },
          };
        },
      },
      at,
      this.options.auditKey,
    );
    if (result.changed) await this.announce();
    return { created: result.created, policy };
  }

  /** Deletes a stored policy; refuses while a key, a team or routing.defaultPolicy still names it. */
  async deletePolicy(name: string, actor: string): Promise<boolean> {
    this.checkWritable(name);
    const store = this.requireStore();
    if (this.options.config.routing.defaultPolicy === name) throw new GatewayError('invalid_request', `policy '${name}' is routing.defaultPolicy; change the config first`);
    if (this.options.tenancy && this.policies.has(name)) {
      const [keys, teams] = await Promise.all([this.options.tenancy.listKeys(), this.options.tenancy.listTeams()]);
      const k = keys.filter((key) => key.policy === name && !key.revokedAt).length;
      const t = teams.filter((team) => team.policy === name).length;
      if (k + t > 0) throw new GatewayError('invalid_request', `policy '${name}' is attached to ${k} key${k === 1 ? '' : 's'} and ${t} team${t === 1 ? '' : 's'}; detach it first`);
    }
    const at = new Date(this.now()).toISOString();
    const deleted = await store.mutate(
      {
        read: { sql: 'SELECT * FROM policies WHERE name = ?', params: [name] },
        build: (rows) => {
          if (!rows[0]) return { statements: [], result: false };
          return {
            statements: [{ sql: 'DELETE FROM policies WHERE name = ?', params: [name] }],
            audit: { actor, action: 'policy.delete', target: { type: 'policy', id: name }, before: policyFromRow(rows[0]).policy },
            result: true,
          };
        },
      },
      at,
      this.options.auditKey,
    );
    if (deleted) await this.announce();
    return deleted;
  }

  // -- blocks --------------------------------------------------------------------------------------------------

  /** Normalises and checks a selector: a country code, a configured or catalogued provider, a known model. */
  normaliseSelector(selector: BlockSelector): BlockSelector {
    const value = selector.value.trim();
    const registry = this.options.registry;
    switch (selector.kind) {
      case 'origin': {
        const code = value.toUpperCase();
        if (!/^([A-Z]{2}|EU)$/.test(code)) throw new GatewayError('invalid_request', 'origin is an ISO 3166 alpha-2 country code, or EU', { param: 'origin' });
        return { kind: 'origin', value: code };
      }
      case 'provider':
        if (registry && !registry.providers.has(value) && !registry.catalogue?.provider(value)) {
          throw new GatewayError('invalid_request', `unknown provider '${value}'`, { param: 'provider' });
        }
        return { kind: 'provider', value };
      case 'model': {
        if (!registry) return { kind: 'model', value };
        const id = registry.resolve(value)?.id ?? registry.catalogue?.model(value)?.id;
        if (!id) throw new GatewayError('invalid_request', `unknown model '${value}'`, { param: 'model' });
        return { kind: 'model', value: id };
      }
    }
  }

  async createBlock(input: BlockInput, actor: string): Promise<Block> {
    const store = this.requireStore();
    const now = this.now();
    if (input.until !== undefined && !(Date.parse(input.until) > now)) throw new GatewayError('invalid_request', 'until must be a time in the future', { param: 'until' });
    const at = new Date(now).toISOString();
    const block: Block = {
      id: newId('blk'),
      selector: this.normaliseSelector(input.selector),
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.until ? { until: new Date(Date.parse(input.until)).toISOString() } : {}),
      createdAt: at,
      createdBy: actor,
    };
    await store.mutate(
      {
        build: () => ({
          statements: [
            {
              sql: 'INSERT INTO blocks (id, kind, value, reason, until, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
              params: [block.id, block.selector.kind, block.selector.value, block.reason ?? null, block.until ?? null, block.createdAt, block.createdBy],
            },
          ],
          audit: { actor, action: 'block.create', target: { type: 'block', id: block.id }, after: wireBlock(block, now) },
          result: undefined,
        }),
      },
      at,
      this.options.auditKey,
    );
    await this.announce();
    return block;
  }

  /** Lifts one block (the row stays, marked removed); undefined if there is no such block in force or expired. */
  async removeBlock(id: string, actor: string): Promise<Block | undefined> {
    const store = this.requireStore();
    const now = this.now();
    const at = new Date(now).toISOString();
    const removed = await store.mutate(
      {
        read: { sql: 'SELECT * FROM blocks WHERE id = ? AND removed_at IS NULL', params: [id] },
        build: (rows) => {
          if (!rows[0]) return { statements: [], result: undefined };
          const before = blockFromRow(rows[0]);
          const after: Block = { ...before, removedAt: at, removedBy: actor };
          return {
            statements: [{ sql: 'UPDATE blocks SET removed_at = ?, removed_by = ? WHERE id = ?', params: [at, actor, id] }],
            audit: { actor, action: 'block.remove', target: { type: 'block', id }, before: wireBlock(before, now), after: wireBlock(after, now) },
            result: after,
          };
        },
      },
      at,
      this.options.auditKey,
    );
    if (removed) await this.announce();
    return removed;
  }

  /** Lifts every block with exactly this selector. */
  async removeBlocksMatching(selector: BlockSelector, actor: string): Promise<Block[]> {
    // A model or provider no longer configured can still be unblocked: fall back to the value as given.
    let wanted: BlockSelector;
    try {
      wanted = this.normaliseSelector(selector);
    } catch {
      wanted = { kind: selector.kind, value: selector.kind === 'origin' ? selector.value.trim().toUpperCase() : selector.value.trim() };
    }
    const ids = (await this.requireStore().blocks(false)).filter((b) => b.selector.kind === wanted.kind && b.selector.value === wanted.value).map((b) => b.id);
    const out: Block[] = [];
    for (const id of ids) {
      const removed = await this.removeBlock(id, actor);
      if (removed) out.push(removed);
    }
    return out;
  }

  async listBlocks(includeInactive: boolean): Promise<Block[]> {
    const now = this.now();
    const all = await this.requireStore().blocks(includeInactive);
    return includeInactive ? all : all.filter((b) => blockActive(b, now));
  }

  // -- audit ---------------------------------------------------------------------------------------------------

  /** Appends one audit row (key, team and token changes; policy and block changes record their own). */
  async audit(entry: AuditEntry): Promise<void> {
    const store = this.options.store;
    if (!store) return;
    const at = new Date(this.now()).toISOString();
    await store.mutate({ build: () => ({ statements: [], audit: entry, result: undefined }) }, at, this.options.auditKey);
  }

  /** Appends an audit row, logging instead of failing: for changes already committed elsewhere (keys, teams, tokens). */
  async auditAfter(entry: AuditEntry): Promise<void> {
    await this.audit(entry).catch((err: unknown) => {
      this.options.logger.error({ err: (err as Error).message, action: entry.action, target: entry.target }, 'a change was applied but its audit row could not be written');
    });
  }

  async auditRows(afterSeq: number, limit: number): Promise<AuditRow[]> {
    return this.requireStore().auditRows(afterSeq, limit);
  }

  async verifyAudit(): Promise<AuditVerdict> {
    return verifyAuditStore(this.requireStore(), this.options.auditKey);
  }

  // -- drills --------------------------------------------------------------------------------------------------

  async drill(request: DrillRequest): Promise<DrillResult> {
    const { ledger, registry } = this.options;
    if (!ledger) throw new GatewayError('admin_disabled', 'the exit drill reads the usage ledger, which this gateway does not have');
    if (!registry) throw new GatewayError('admin_disabled', 'the exit drill needs the model registry');
    const keys = new Map<string, KeyRecord>();
    const teams = new Map<string, TeamRecord>();
    if (this.options.tenancy) {
      for (const k of await this.options.tenancy.listKeys()) keys.set(k.id, k);
      for (const t of await this.options.tenancy.listTeams()) teams.set(t.id, t);
    }
    const { config } = this.options;
    return runDrill(ledger, request, {
      registry,
      substitutes: config.routing.substitutes,
      now: this.now(),
      policyFor: (r) => {
        const key = r.keyId ? keys.get(r.keyId) : undefined;
        const principal: Principal = key ? { kind: 'key', key, team: key.teamId ? teams.get(key.teamId) : undefined } : { kind: 'open' };
        return resolveEffectivePolicy({ defaultPolicy: config.routing.defaultPolicy, dataClasses: config.dataClasses, lookup: (n) => this.policy(n), principal, dataClassHeader: r.dataClass });
      },
    });
  }
}

/**
 * Reads the whole chain page by page and verifies it. Rows appended while it reads are followed (the head is read
 * again whenever a row past it shows up: a writer commits its row and the head together); a row past a head that
 * did not move was written around the writer, and breaks the chain.
 */
export async function verifyAuditStore(store: SovereigntyStore, key: string | undefined, pageSize = 1000): Promise<AuditVerdict> {
  let head = await store.auditHead();
  const verifier = new AuditVerifier(key);
  let after = 0;
  for (;;) {
    while (after < head.seq && !verifier.done) {
      const rows = await store.auditRows(after, Math.min(pageSize, head.seq - after));
      if (rows.length === 0) break;
      for (const row of rows) {
        verifier.push(row);
        if (verifier.done) break;
      }
      after = rows.at(-1)!.seq;
    }
    if (verifier.done) break;
    const beyond = await store.auditRows(head.seq, 1);
    if (beyond.length === 0) break;
    const again = await store.auditHead();
    if (again.seq <= head.seq) {
      verifier.push(beyond[0]!);
      break;
    }
    head = again;
  }
  return verifier.finish(head);
}
