import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/canonical/errors.js';
import { chooseDataClass, resolveEffectivePolicy } from '../../src/policy/resolve.js';
import { freeOverBudgetAllowed, policyProblem, ruleProblem } from '../../src/policy/rules.js';
import type { Policy } from '../../src/policy/types.js';
import type { KeyRecord, TeamRecord } from '../../src/tenancy/types.js';
import { KINDS, host, layer, model, pair, policyOf, provider, type Kind } from './fixtures.js';

/** Each rule, and the kinds of host it lets through (every other kind must be refused, naming the rule). */
const MATRIX: { name: string; rules: Policy; allowed: Kind[]; rule: string }[] = [
  { name: 'deny CN origin', rules: { denyOrigins: ['CN'] }, allowed: ['euHost', 'unknownOrigin'], rule: 'denyOrigins' },
  { name: 'EU origins only', rules: { allowOrigins: ['EU'] }, allowed: ['euHost'], rule: 'allowOrigins' },
  { name: 'US or FR origins only', rules: { allowOrigins: ['US', 'FR'] }, allowed: ['euHost'], rule: 'allowOrigins' },
  { name: 'deny unknown origin', rules: { denyUnknownOrigin: true }, allowed: ['firstPartyForeign', 'euHost', 'usHost', 'selfHosted'], rule: 'denyUnknownOrigin' },
  { name: 'EU jurisdictions only', rules: { allowJurisdictions: ['EU'] }, allowed: ['euHost', 'selfHosted'], rule: 'allowJurisdictions' },
  { name: 'deny CN jurisdiction', rules: { denyJurisdictions: ['CN'] }, allowed: ['euHost', 'usHost', 'selfHosted', 'unknownOrigin'], rule: 'denyJurisdictions' },
  { name: 'open weights only', rules: { openWeightsOnly: true }, allowed: ['firstPartyForeign', 'usHost', 'selfHosted'], rule: 'openWeightsOnly' },
  { name: 'licence allow-list', rules: { allowLicenses: ['MIT', 'apache-2.0'] }, allowed: ['firstPartyForeign', 'usHost', 'selfHosted'], rule: 'allowLicenses' },
  { name: 'self-hosted only', rules: { selfHostedOnly: true }, allowed: ['selfHosted'], rule: 'selfHostedOnly' },
  { name: 'zero data retention', rules: { zeroDataRetention: true }, allowed: ['euHost', 'selfHosted'], rule: 'zeroDataRetention' },
  { name: 'no training on prompts', rules: { noTrainingOnPrompts: true }, allowed: ['euHost', 'usHost', 'selfHosted'], rule: 'noTrainingOnPrompts' },
  { name: 'allowed models', rules: { allowModels: ['deepseek/*'] }, allowed: ['firstPartyForeign', 'usHost'], rule: 'allowModels' },
  { name: 'denied models', rules: { denyModels: ['deepseek/deepseek-v3.2'] }, allowed: ['euHost', 'selfHosted', 'unknownOrigin'], rule: 'denyModels' },
  { name: 'allowed providers', rules: { allowProviders: ['together', 'lab'] }, allowed: ['usHost', 'selfHosted'], rule: 'allowProviders' },
  { name: 'denied providers', rules: { denyProviders: ['deepseek'] }, allowed: ['euHost', 'usHost', 'selfHosted', 'unknownOrigin'], rule: 'denyProviders' },
  { name: 'max prompt price', rules: { maxPricePerMillion: { prompt: 0.5 } }, allowed: ['firstPartyForeign', 'euHost', 'selfHosted'], rule: 'maxPricePerMillion' },
  { name: 'max completion price', rules: { maxPricePerMillion: { completion: 1 } }, allowed: ['firstPartyForeign', 'selfHosted'], rule: 'maxPricePerMillion' },
];

describe('policy matrix: every rule × every kind of host', () => {
  for (const row of MATRIX) {
    for (const kind of KINDS) {
      const allowed = row.allowed.includes(kind);
      it(`${row.name}: ${kind} is ${allowed ? 'allowed' : 'refused'}`, () => {
        const { model: m, host: h } = pair(kind);
        const violation = policyProblem(m, h, policyOf(layer('p1', row.rules)));
        if (allowed) expect(violation).toBeUndefined();
        else {
          expect(violation?.rule.startsWith(row.rule)).toBe(true);
          expect(violation?.reason).toMatch(new RegExp(`^policy p1: .+ \\(${row.rule}`));
        }
      });
    }
  }

  it('names the rule the way the contract shows it', () => {
    const { model: m, host: h } = pair('firstPartyForeign');
    expect(policyProblem(m, h, policyOf(layer('no-cn', { denyOrigins: ['CN'] })))?.reason).toBe('policy no-cn: model origin CN is denied (denyOrigins)');
    expect(policyProblem(m, h, policyOf(layer('confidential', { selfHostedOnly: true }, 'data-class')))?.reason).toBe(
      'data class confidential: provider deepseek is not self-hosted (selfHostedOnly)',
    );
  });

  it('EU matches every member state, and a host recorded only as EU is denied by a member state (it might be there)', () => {
    const eu = provider('eu-cloud', { jurisdiction: 'EU' });
    const m = model('x/y', [host(eu, [1, 1])], { origin: 'DE' });
    expect(ruleProblem(m, m.hosts[0]!, { allowJurisdictions: ['EU'] })).toBeUndefined();
    expect(ruleProblem(m, m.hosts[0]!, { allowJurisdictions: ['DE'] })?.[0]).toBe('allowJurisdictions');
    expect(ruleProblem(m, m.hosts[0]!, { denyJurisdictions: ['DE'] })?.[0]).toBe('denyJurisdictions');
    expect(ruleProblem(m, m.hosts[0]!, { denyOrigins: ['EU'] })?.[1]).toBe('model origin DE is denied');
    expect(ruleProblem(m, m.hosts[0]!, { allowOrigins: ['EU'] })).toBeUndefined();
  });

  it('an empty policy allows everything', () => {
    for (const kind of KINDS) {
      const { model: m, host: h } = pair(kind);
      expect(policyProblem(m, h, policyOf(layer('empty', {})))).toBeUndefined();
    }
  });
});

describe('composition: global ∩ team ∩ key ∩ request', () => {
  it('a host must pass every layer; the first failing layer is named', () => {
    const p = policyOf(layer('global-eu', { allowJurisdictions: ['EU', 'US'] }, 'global'), layer('team-open', { openWeightsOnly: true }, 'team'), layer('key-cheap', { maxPricePerMillion: { prompt: 0.5 } }));
    const allowed = KINDS.filter((k) => {
      const { model: m, host: h } = pair(k);
      return !policyProblem(m, h, p);
    });
    expect(allowed).toEqual(['selfHosted']);
    const { model: m, host: h } = pair('euHost');
    expect(policyProblem(m, h, p)?.layer).toBe('policy team-open');
  });

  it('a request-level layer can narrow but never widen', () => {
    const key = layer('no-cn', { denyOrigins: ['CN'] });
    const widening = layer('anything', { allowOrigins: ['CN', 'FR', 'US'] }, 'data-class');
    for (const kind of KINDS) {
      const { model: m, host: h } = pair(kind);
      const alone = policyProblem(m, h, policyOf(key));
      const both = policyProblem(m, h, policyOf(key, widening));
      // Whatever the key refuses stays refused.
      if (alone) expect(both).toBeDefined();
    }
    const narrowing = layer('confidential', { selfHostedOnly: true }, 'data-class');
    const { model: m, host: h } = pair('euHost');
    expect(policyProblem(m, h, policyOf(key))).toBeUndefined();
    expect(policyProblem(m, h, policyOf(key, narrowing))?.layer).toBe('data class confidential');
  });

  it('allowZeroPriceOverBudget: any layer can forbid free hosts on a spent budget', () => {
    expect(freeOverBudgetAllowed(policyOf())).toBe(true);
    expect(freeOverBudgetAllowed(policyOf(layer('a', {}), layer('b', { allowZeroPriceOverBudget: false })))).toBe(false);
  });
});

const key = (extra: Partial<KeyRecord> = {}): KeyRecord => ({ id: 'key_1', name: 'k', hash: 'h', createdAt: '2026-01-01T00:00:00Z', createdBy: 'admin-key', ...extra });
const team = (extra: Partial<TeamRecord> = {}): TeamRecord => ({ id: 'team_1', name: 't', createdAt: '2026-01-01T00:00:00Z', createdBy: 'admin-key', ...extra });
const policies: Record<string, Policy> = { global: { denyJurisdictions: ['CN'] }, 'team-p': { openWeightsOnly: true }, 'key-p': { denyOrigins: ['CN'] } };
const dataClasses: Record<string, Policy> = { public: {}, internal: { noTrainingOnPrompts: true }, confidential: { selfHostedOnly: true } };

describe('resolving the effective policy of a request', () => {
  const resolve = (principal: Parameters<typeof resolveEffectivePolicy>[0]['principal'], header?: string | string[], defaultPolicy: string | null = 'global') =>
    resolveEffectivePolicy({ defaultPolicy, dataClasses, lookup: (n) => policies[n], principal, dataClassHeader: header });

  it('layers global, team, key, then data class', () => {
    const p = resolve({ kind: 'key', key: key({ policy: 'key-p', teamId: 'team_1' }), team: team({ policy: 'team-p' }) }, 'internal');
    expect(p.layers.map((l) => `${l.scope}:${l.name}`)).toEqual(['global:global', 'team:team-p', 'key:key-p', 'data-class:internal']);
  });

  it('open and admin callers get the global policy and their data class', () => {
    expect(resolve({ kind: 'open' }, 'confidential').layers.map((l) => l.name)).toEqual(['global', 'confidential']);
    expect(resolve({ kind: 'admin' }, undefined, null).layers).toEqual([]);
  });

  it('an unknown data class is a 400 naming the header', () => {
    const err = (() => {
      try {
        resolve({ kind: 'open' }, 'secret');
      } catch (e) {
        return e as GatewayError;
      }
    })();
    expect(err).toBeInstanceOf(GatewayError);
    expect(err?.status).toBe(400);
    expect(err?.message).toContain("unknown data class 'secret' in x-switchboard-data-class");
  });

  it("a key's minimum applies whatever the header says; the stricter of the two wins", () => {
    const k = { kind: 'key' as const, key: key({ minDataClass: 'internal' }) };
    expect(resolve(k, undefined, null).layers.map((l) => l.name)).toEqual(['internal']);
    expect(resolve(k, 'public', null).layers.map((l) => l.name)).toEqual(['internal']);
    expect(resolve(k, 'confidential', null).layers.map((l) => l.name)).toEqual(['confidential']);
    expect(chooseDataClass(dataClasses, undefined, undefined)).toBeUndefined();
    expect(chooseDataClass(dataClasses, '  ', undefined)).toBeUndefined();
  });

  it('a policy attached but not defined fails closed with 403, naming only the caller’s attachment', () => {
    expect(() => resolve({ kind: 'key', key: key({ policy: 'gone' }) }, undefined, null)).toThrow(/policy 'gone' attached to this key is not defined/);
    expect(() => resolve({ kind: 'open' }, undefined, 'missing')).toThrowError(expect.objectContaining({ code: 'policy_denied', status: 403 }));
    expect(() => resolve({ kind: 'key', key: key({ minDataClass: 'top-secret' }) }, undefined, null)).toThrowError(expect.objectContaining({ code: 'policy_denied' }));
  });
});
