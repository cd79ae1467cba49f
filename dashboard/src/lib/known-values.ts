import type { BlockKind, ProviderHost, UsageRow } from './api-types';
import { api } from './api';
import { useResource } from './use-resource';

/**
 * The origins, providers and models a block or a drill can name: those configured on the gateway
 * (GET /admin/providers) and those seen in the last 30 days of traffic (so a drill can name a dependency that
 * is no longer configured). Either source may be missing; the other still fills the lists.
 */

export type KnownValues = Record<BlockKind, string[]>;

const THIRTY_DAYS_MS = 30 * 24 * 3_600_000;

function sorted(values: Iterable<string | null | undefined>): string[] {
  return [...new Set([...values].filter((v): v is string => typeof v === 'string' && v !== ''))].sort((a, b) => a.localeCompare(b));
}

export function knownValuesFrom(hosts: readonly ProviderHost[], used: Record<BlockKind, readonly UsageRow[]>): KnownValues {
  return {
    origin: sorted([...hosts.map((h) => h.origin), ...used.origin.map((r) => r.group)]),
    provider: sorted([...hosts.map((h) => h.provider), ...used.provider.map((r) => r.group)]),
    model: sorted([...hosts.map((h) => h.model), ...used.model.map((r) => r.group)]),
  };
}

export function useKnownValues(): KnownValues {
  const known = useResource(async (signal) => {
    const from = new Date(Date.now() - THIRTY_DAYS_MS).toISOString();
    const usage = (groupBy: BlockKind) => api.usage({ groupBy, interval: 'total', from }, signal).then((r) => r.rows, () => []);
    const [hosts, origin, provider, model] = await Promise.all([api.providers('24h', signal).then((r) => r.data, () => []), usage('origin'), usage('provider'), usage('model')]);
    return knownValuesFrom(hosts, { origin, provider, model });
  }, []);
  return known.data ?? { origin: [], provider: [], model: [] };
}
