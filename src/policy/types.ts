import type { PolicyConfig } from '../config/schema.js';

/**
 * Sovereignty: which models and hosts a request may use (policies, data classes), what is switched off at run
 * time (blocks), who changed either (the audit log), and what leaving a dependency would cost (exit drills).
 */

/** A policy as the config file and `PUT /admin/policies/:name` write it. */
export type Policy = PolicyConfig;

/** Where a layer of the effective policy comes from. */
export type LayerScope = 'global' | 'team' | 'key' | 'data-class';

/** One policy applied to a request, with the name its refusals cite. */
export interface PolicyLayer {
  scope: LayerScope;
  /** The policy's name (`no-cn`), or the data class's (`confidential`). */
  name: string;
  rules: Policy;
}

/**
 * The policies a request is under: global ∩ team ∩ key ∩ data class. A host must satisfy every layer, so a layer
 * can only narrow what the others allow, never widen it: a request cannot escape its key's or its team's rules.
 */
export interface EffectivePolicy {
  layers: readonly PolicyLayer[];
}

export const NO_POLICY: EffectivePolicy = Object.freeze({ layers: Object.freeze([]) as readonly PolicyLayer[] });

/** Which rule of which layer a host breaks. */
export interface PolicyViolation {
  /** `policy no-cn` or `data class confidential`. */
  layer: string;
  /** The rule's key in the policy, e.g. `denyOrigins`, `maxPricePerMillion.prompt`. */
  rule: string;
  /** The planner's exclusion reason: `policy no-cn: model origin CN is denied (denyOrigins)`. */
  reason: string;
}

export type BlockKind = 'origin' | 'provider' | 'model';

/** What a block switches off: a developer country (EU = every member state), a provider id, or a canonical model id. */
export type BlockSelector = { kind: BlockKind; value: string };

export interface Block {
  /** `blk_…` */
  id: string;
  selector: BlockSelector;
  reason?: string;
  /** ISO time the block lapses by itself; absent = until removed. */
  until?: string;
  createdAt: string;
  createdBy: string;
  removedAt?: string;
  removedBy?: string;
}

/** A policy stored in the database (config policies are read-only and never stored). */
export interface StoredPolicy {
  name: string;
  policy: Policy;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}
