/**
 * `switchboard demo` in one call: the simulator as a fleet of providers, the gateway on a fresh SQLite file in
 * front of it, the apps' teams and keys, backfilled history and live traffic. Everything listens on 127.0.0.1.
 * The admin key is random for each run and reaches the gateway only through the env map, never the disk.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { startGateway, type Gateway } from '../server/gateway.js';
import { createLogger } from '../server/logger.js';
import { AUDIT_KEY_ENV } from '../policy/audit.js';
import { startSimulator, type Simulator } from '../sim/index.js';
import { adminClient } from './admin.js';
import { createTenants, DEMO_APPS, type DemoKey } from './apps.js';
import { ADMIN_KEY_ENV, demoConfig } from './config.js';
import { simProfiles, UPSTREAM_KEY_ENV } from './fleet.js';
import { HISTORY_TAG, writeHistory, type HistoryProgress } from './history.js';
import { TrafficGenerator, type TrafficStats } from './traffic.js';

export { HISTORY_TAG } from './history.js';
export type { HistoryProgress } from './history.js';
export type { TrafficStats } from './traffic.js';

export const DEFAULT_DEMO_PORT = 8080;
export const DEFAULT_DEMO_DATA_DIR = path.join('.switchboard', 'demo');
const DATABASE_FILE = 'demo.db';
const HOUR_MS = 3_600_000;

export interface DemoOptions {
  /** The gateway's port (default 8080; 0 = any free port). */
  port?: number;
  /** The simulator's port (default: any free port). */
  simPort?: number;
  /** Where the SQLite file lives (default ./.switchboard/demo); the demo's database there is replaced on each run. */
  dataDir?: string;
  /** Live requests per second on average (default 4). */
  rps?: number;
  /** Days of simulated history to backfill (default 14; 0 = none). */
  historyDays?: number;
  /** Occasional upstream failures on a few hosts (default true). */
  faults?: boolean;
  /** Stop the live traffic after this long (default: until close()). */
  trafficDurationMs?: number;
  /** No gateway log lines at all (tests). */
  quiet?: boolean;
  /** The gateway's logger (default: warnings and errors on stderr). */
  logger?: Logger;
  onHistoryProgress?: (progress: HistoryProgress) => void;
}

export interface Demo {
  /** The gateway, `http://127.0.0.1:<port>`. */
  url: string;
  dashboardUrl: string;
  /** Random for each run; sign in to the dashboard with it. */
  adminKey: string;
  simUrl: string;
  /** The virtual keys the demo created (secrets included: the demo's own apps use them). */
  keys: readonly DemoKey[];
  history: { records: number; days: number; until: string; tag: string };
  traffic: { stats(): TrafficStats; finished: Promise<void> };
  gateway: Gateway;
  close(): Promise<void>;
}

/** Removes the previous run's database (and its WAL and spool), so the new admin key is the one that works. */
function freshDatabase(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, DATABASE_FILE);
  for (const leftover of [file, `${file}-wal`, `${file}-shm`]) rmSync(leftover, { force: true });
  rmSync(path.join(dataDir, 'ledger-spool'), { recursive: true, force: true });
  return file;
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  };
  try {
    const faults = options.faults ?? true;
    const databaseFile = freshDatabase(path.resolve(options.dataDir ?? DEFAULT_DEMO_DATA_DIR));
    const adminKey = `sb-admin-${randomBytes(24).toString('hex')}`;
    const env: NodeJS.ProcessEnv = {
      [ADMIN_KEY_ENV]: adminKey,
      // The audit chain is keyed for this run only; the database does not outlive it.
      [AUDIT_KEY_ENV]: randomBytes(32).toString('hex'),
      // The simulator checks no credential; the adapters still want one to send.
      [UPSTREAM_KEY_ENV]: 'sim-demo-no-real-key',
    };

    const sim: Simulator = await startSimulator({ host: '127.0.0.1', port: options.simPort ?? 0, profiles: simProfiles(faults), logRequests: 0 });
    closers.push(() => sim.close());

    const config = demoConfig({ simUrl: sim.url, databaseFile, port: options.port ?? DEFAULT_DEMO_PORT, env });
    const logger = options.quiet ? createLogger('silent') : (options.logger ?? createLogger('warn', process.stderr));
    const gateway = await startGateway({ config, env, logger });
    closers.push(() => gateway.close(config.server.shutdownGraceMs));

    const keys = await createTenants(adminClient(gateway.url, adminKey), DEMO_APPS);

    const historyDays = options.historyDays ?? 14;
    const until = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    const written = historyDays > 0
      ? await writeHistory(
          gateway.ledger.store,
          { days: historyDays, endMs: until, apps: DEMO_APPS, keys, registry: gateway.registry, baselineModel: gateway.ledger.baseline.model, baselinePricing: gateway.ledger.baseline.pricing, faults },
          options.onHistoryProgress,
        )
      : { written: 0, total: 0 };

    const traffic = new TrafficGenerator({ gatewayUrl: gateway.url, apps: DEMO_APPS, keys, rps: options.rps ?? 4, durationMs: options.trafficDurationMs });
    // Stopped before the gateway closes, so no request of the demo's own is cut by the shutdown.
    closers.push(() => traffic.stop());
    traffic.start();

    let closing: Promise<void> | undefined;
    return {
      url: gateway.url,
      dashboardUrl: `${gateway.url}/ui/`,
      adminKey,
      simUrl: sim.url,
      keys,
      history: { records: written.written, days: historyDays, until: new Date(until).toISOString(), tag: HISTORY_TAG },
      traffic: { stats: () => traffic.stats(), finished: traffic.finished },
      gateway,
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
