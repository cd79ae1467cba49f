import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { loadCatalogue, type Catalogue } from '../catalog/catalogue.js';
import { buildRegistry, type ModelRegistry } from '../catalog/registry.js';
import type { Dialect } from '../catalog/types.js';
import { AnthropicAdapter } from '../providers/anthropic/adapter.js';
import { GeminiAdapter } from '../providers/gemini/adapter.js';
import { ImageFetcher } from '../providers/shared/image-fetch.js';
import { OpenAICompatibleAdapter } from '../providers/openai-compatible/adapter.js';
import { UpstreamHttp } from '../providers/shared/http.js';
import { Executor, type AdapterSet } from '../routing/execute.js';
import { HostHealth } from '../routing/health.js';
import { createRateLimiter } from '../limits/index.js';
import { createEventBus } from '../limits/pubsub.js';
import { AUDIT_KEY_ENV } from '../policy/audit.js';
import { ledgerReaderFromList, type LedgerReader } from '../policy/drill.js';
import { SovereigntyService } from '../policy/service.js';
import { sovereigntyStoreFor } from '../policy/store.js';
import { openTenancyStore } from '../store/index.js';
import { Ledger } from '../ledger/index.js';
import { defaultSpoolDir, ledgerStoreFor } from '../ledger/open.js';
import { databaseGuard, guardStore } from '../tenancy/guarded-store.js';
import { TenancyService } from '../tenancy/service.js';
import type { TenancyStore } from '../tenancy/types.js';
import { Redactor } from '../util/redact.js';
import { Accounting } from './accounting.js';
import { buildApp } from './app.js';
import { GatewayMetrics } from './metrics.js';
import { resolveAuth } from './auth.js';
import { createLogger } from './logger.js';

export interface GatewayOptions {
  config: Config;
  env?: NodeJS.ProcessEnv;
  /** Detect providers from API-key variables (built-in defaults, no config file). */
  detectProviders?: boolean;
  host?: string;
  port?: number;
  logger?: Logger;
  metrics?: GatewayMetrics;
  /** An already open tenancy store (tests); default: opened from `storage.database`. */
  store?: TenancyStore;
  /** The model catalogue; default: the one shipped with the project. */
  catalogue?: Catalogue;
  /** Where exit drills read recorded traffic; default: the usage ledger on `storage.database`. */
  ledgerReader?: LedgerReader;
}

export interface Gateway {
  app: FastifyInstance;
  registry: ModelRegistry;
  /** The usage ledger (tests flush it; routes read it through the accounting). */
  ledger: Ledger;
  url: string;
  /** Stops accepting, lets in-flight requests and streams finish within the grace period, then closes. */
  close(graceMs?: number): Promise<void>;
}

/** Dialects this build has an adapter for. */
const ADAPTED_DIALECTS = new Set<Dialect>(['openai-compatible', 'anthropic', 'gemini']);

/** The composition root: builds every piece from the config and wires them together. It owns no logic. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const env = options.env ?? process.env;
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  const logger = options.logger ?? createLogger(config.server.logLevel);
  const auth = resolveAuth(config, env, host);

  const http = new UpstreamHttp();
  const adapters: AdapterSet = {};
  const { registry, warnings } = buildRegistry({
    config,
    env,
    catalogue: options.catalogue ?? loadCatalogue(),
    detectFromEnv: options.detectProviders ?? false,
    hasAdapter: (dialect: Dialect) => ADAPTED_DIALECTS.has(dialect),
  });
  for (const warning of warnings) logger.warn({ provider: warning.provider }, warning.message);

  const secrets = [...registry.providers.values()].flatMap((p) => p.apiKeys);
  if (auth.adminKey) secrets.push(auth.adminKey);
  const redactor = new Redactor(secrets);
  Object.assign(adapters, {
    'openai-compatible': new OpenAICompatibleAdapter(http, redactor),
    anthropic: new AnthropicAdapter(http, redactor),
    gemini: new GeminiAdapter(http, redactor, new ImageFetcher(config.images.fetch)),
  });

  const rawStore = options.store ?? (await openTenancyStore(config.storage.database));
  const guard = databaseGuard();
  const store = guardStore(rawStore, guard);
  const limiter = createRateLimiter({ redisUrl: config.storage.redis, onRedisDown: config.storage.onRedisDown, logger });
  const bus = createEventBus({ redisUrl: config.storage.redis, logger });
  const tenancy = new TenancyService({
    store,
    limiter,
    bus,
    logger,
    alerts: { thresholds: config.admin.alertThresholds, webhook: config.admin.alertWebhook },
    notify: postJson,
  });
  await tenancy.start();
  const metrics = options.metrics ?? new GatewayMetrics();
  // The usage ledger on the same database (docs/ledger.md): written in batches off the request path.
  const ledger = new Ledger({
    store: ledgerStoreFor(rawStore),
    registry,
    baselineModel: config.ledger.baseline,
    storePrompts: config.ledger.storePrompts,
    retentionDays: config.ledger.retentionDays,
    defaultPolicy: config.routing.defaultPolicy,
    redactor,
    logger,
    metricsRegistry: metrics.registry,
    openModelAccess: auth.openModelAccess,
    adminKey: auth.adminKey,
    lookupKey: async (hash) => {
      const key = await store.keyByHash(hash);
      return key && { key, team: key.teamId ? await store.team(key.teamId) : undefined };
    },
    spoolDir: config.ledger.spoolDir ?? defaultSpoolDir(config.storage.database),
    writer: { batchSize: config.ledger.batchSize, flushMs: config.ledger.flushMs, capacity: config.ledger.queueCapacity },
    otlpEndpoint: config.telemetry.otlpEndpoint,
    serviceName: config.telemetry.serviceName,
  });
  ledger.start();
  const sovereignty = new SovereigntyService({
    config,
    store: sovereigntyStoreFor(rawStore),
    bus,
    logger,
    auditKey: env[AUDIT_KEY_ENV] || undefined,
    registry,
    tenancy: store,
    ledger: options.ledgerReader ?? ledgerReaderFromList(ledger.store),
  });
  await sovereignty.start();
  if (!env[AUDIT_KEY_ENV]) logger.warn(`${AUDIT_KEY_ENV} is not set: audit rows are written unkeyed, and 'switchboard audit verify' will report them as unverifiable`);
  if (config.storage.redis && !(await limiter.ready(3000))) logger.warn('Redis is not reachable yet: rate limits count locally until it is');
  // Reservations of a replica that died mid-request are released once they are surely stale.
  const sweeper = setInterval(() => {
    const olderThan = new Date(Date.now() - config.routing.deadlineMs - 60_000).toISOString();
    store.sweepReservations(olderThan).catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'reservation sweep failed'));
  }, 60_000);
  sweeper.unref();

  let draining = false;
  const accounting = new Accounting(metrics, ledger, logger);
  const health = new HostHealth();
  const app = buildApp({
    config,
    registry,
    executor: new Executor(adapters, {
      retryRounds: config.routing.retries,
      deadlineMs: config.routing.deadlineMs,
      resumeStreams: config.routing.resumeStreams,
      health,
    }),
    health,
    tenancy,
    sovereignty,
    readiness: () => [guard.health(), ...(limiter.redisHealth() ? [limiter.redisHealth()!] : [])],
    auth,
    logger,
    redactor,
    accounting,
    draining: () => draining,
  });
  await app.listen({ host, port });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${boundPort}`;
  if (!auth.adminKey) {
    logger.warn(
      config.auth === 'none' && !isLoopbackOnly(host)
        ? 'running open (auth: none) on a non-loopback address: anyone who can reach it may use its providers'
        : 'no admin key configured: model requests are open on loopback, and the admin API is off',
    );
  }

  let closing: Promise<void> | undefined;
  const close = (graceMs = config.server.shutdownGraceMs): Promise<void> => {
    closing ??= (async () => {
      draining = true;
      const force = setTimeout(() => {
        logger.warn({ graceMs }, 'grace period over: closing the connections still open');
        app.server.closeAllConnections();
      }, graceMs);
      force.unref();
      // Connections that finish their last response while draining go idle; close them as they do,
      // rather than waiting for each client's keep-alive to lapse.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
      try {
        await app.close();
      } finally {
        // Every request has ended: their records are written (or spooled) before the database closes.
        await ledger.close().catch((err: unknown) => logger.error({ err: (err as Error).message }, 'ledger: could not flush on close'));
        accounting.flushLog();
        clearInterval(sweep);
        clearInterval(sweeper);
        clearTimeout(force);
        await sovereignty.close();
        await http.close();
        await Promise.allSettled([limiter.close(), bus.close()]);
        if (!options.store) await rawStore.close();
      }
    })();
    return closing;
  };

  return { app, registry, ledger, url, close };
}

/** Budget alert webhook: a bounded POST to the operator's configured URL. */
async function postJson(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000), redirect: 'error' });
  if (!res.ok) throw new Error(`webhook answered ${res.status}`);
}

function isLoopbackOnly(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost';
}
