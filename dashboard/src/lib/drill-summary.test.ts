import { describe, expect, it } from 'vitest';
import type { Concentration, DrillResult, ProviderHost, UsageRow } from './api-types';
import { makeWithout, summarizeDrill, withoutLabel } from './drill-summary';
import { knownValuesFrom } from './known-values';

const none: Concentration = { threshold: 0.5, byDeveloper: [], byOrigin: [], byJurisdiction: [], byLicense: [], flags: [] };

function result(partial: Partial<DrillResult>): DrillResult {
  return {
    without: [{ origin: 'CN' }],
    window: { from: '2026-04-01T00:00:00.000Z', to: '2026-05-01T00:00:00.000Z', since: '30d' },
    total: { requests: 0, tokens: 0, costUsd: 0 },
    affected: { requests: 0, tokens: 0, costUsd: 0 },
    rerouted: [],
    unroutable: { requests: 0, tokens: 0, costUsd: 0, byModel: [] },
    breakdown: { byKey: [], byTeam: [], byModel: [] },
    concentration: none,
    concentrationAfter: none,
    ...partial,
  };
}

const reroute = (requests: number, costDeltaUsd: number, unpricedRequests = 0) => ({
  from: 'a@x',
  to: `b@y${requests}`,
  fromModel: 'a',
  fromProvider: 'x',
  toModel: 'b',
  toProvider: 'y',
  via: 'same-model' as const,
  requests,
  tokens: 0,
  costDeltaUsd,
  unpricedRequests,
});

describe('summarizeDrill', () => {
  it('splits the window into unaffected, rerouted and stranded traffic, and prices the move', () => {
    const s = summarizeDrill(
      result({
        total: { requests: 100, tokens: 0, costUsd: 10 },
        affected: { requests: 40, tokens: 0, costUsd: 6 },
        rerouted: [reroute(25, 1.5), reroute(5, -0.5, 2)],
        unroutable: { requests: 10, tokens: 0, costUsd: 2, byModel: [] },
      }),
    );
    expect(s).toEqual({
      totalRequests: 100,
      affectedRequests: 40,
      affectedShare: 0.4,
      reroutedRequests: 30,
      unroutableRequests: 10,
      unaffectedRequests: 60,
      costDeltaUsd: 1,
      reroutedCostBeforeUsd: 4,
      reroutedCostAfterUsd: 5,
      unpricedReroutes: 2,
    });
  });

  it('has no affected share over an empty window', () => {
    expect(summarizeDrill(result({})).affectedShare).toBeNull();
  });

  it('names removals the way the CLI does, upper-casing countries', () => {
    expect(makeWithout('origin', ' cn ')).toEqual({ origin: 'CN' });
    expect(makeWithout('provider', 'deepseek')).toEqual({ provider: 'deepseek' });
    expect(withoutLabel(makeWithout('model', 'deepseek/deepseek-v3.2'))).toBe('model deepseek/deepseek-v3.2');
  });
});

describe('knownValuesFrom', () => {
  it('merges configured hosts with the dependencies seen in traffic, sorted and without duplicates', () => {
    const host = (provider: string, model: string, origin: string | null) => ({ provider, model, origin }) as ProviderHost;
    const used = (group: string | null) => ({ group }) as UsageRow;
    const known = knownValuesFrom([host('deepseek', 'deepseek/deepseek-v3.2', 'CN'), host('together', 'deepseek/deepseek-v3.2', 'CN'), host('sim', 'acme/demo', null)], {
      origin: [used('US'), used(null)],
      provider: [used('retired')],
      model: [used('acme/demo')],
    });
    expect(known).toEqual({ origin: ['CN', 'US'], provider: ['deepseek', 'retired', 'sim', 'together'], model: ['acme/demo', 'deepseek/deepseek-v3.2'] });
  });
});
