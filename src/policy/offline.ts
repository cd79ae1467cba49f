import { existsSync } from 'node:fs';
import pino from 'pino';
import { loadCatalogue } from '../catalog/catalogue.js';
import { buildRegistry, type ModelRegistry } from '../catalog/registry.js';
import type { Dialect } from '../catalog/types.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { openTenancyStore, storeKind } from '../store/index.js';
import type { TenancyStore } from '../tenancy/types.js';
import type { LedgerReader } from './drill.js';
import { SovereigntyService } from './service.js';
import { sovereigntyStoreFor, type SovereigntyStore } from './store.js';

/**
 * What the read-only commands (`drill --config`, `audit verify`) need without a running gateway: the config, the
 * database it names (opened without migrating it: a check must not change what it checks), and, for drills, the
 * served models and the ledger.
 */

export interface Offline {
  loaded: LoadedConfig;
  tenancy: TenancyStore;
  store: SovereigntyStore;
  close(): Promise<void>;
}

export async function openOffline(configFile: string | undefined): Promise<Offline> {
  const loaded = loadConfig({ file: configFile });
  const url = loaded.config.storage.database;
  if (storeKind(url) === 'sqlite') {
    const { sqlitePathFromUrl } = await import('../store/sqlite.js');
    const file = sqlitePathFromUrl(url);
    if (file === ':memory:' || !existsSync(file)) throw new Error(`there is no database at ${file} (storage.database of ${loaded.source})`);
  }
  const tenancy = await openTenancyStore(url, { migrate: false });
  const store = sovereigntyStoreFor(tenancy);
  try {
    await store.auditHead();
  } catch (err) {
    await tenancy.close();
    throw new Error(`the database has no sovereignty tables yet (start the gateway on it once to migrate it): ${(err as Error).message}`);
  }
  return { loaded, tenancy, store, close: () => tenancy.close() };
}

/**
 * The models the config serves, as the gateway would resolve them. Upstream API keys are never used offline, so a
 * provider whose key variable is unset here is resolved with a placeholder instead of failing.
 */
export function offlineRegistry(loaded: LoadedConfig): ModelRegistry {
  const env = new Proxy(process.env, { get: (target, name: string) => target[name] || 'unused-offline' });
  const dialects = new Set<Dialect>(['openai-compatible', 'anthropic', 'gemini']);
  return buildRegistry({ config: loaded.config, env, catalogue: loadCatalogue(), detectFromEnv: loaded.builtInDefaults, hasAdapter: (d) => dialects.has(d) }).registry;
}

/** A sovereignty service over an offline database: today's stored policies, for replaying traffic. */
export async function offlineSovereignty(offline: Offline, ledger: LedgerReader): Promise<SovereigntyService> {
  const service = new SovereigntyService({
    config: offline.loaded.config,
    store: offline.store,
    logger: pino({ level: 'silent' }),
    registry: offlineRegistry(offline.loaded),
    tenancy: offline.tenancy,
    ledger,
    pollMs: 3_600_000,
  });
  await service.start();
  return service;
}
