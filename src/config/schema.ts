import { z } from 'zod';

/**
 * The configuration file's schema. Every object is strict: an unknown key is an error that names its path,
 * because a silently ignored typo (say `denyOrigin` for `denyOrigins`) is a policy that never applies.
 */

const countryCode = z.string().regex(/^([A-Z]{2}|EU)$/, 'expected an ISO 3166 alpha-2 country code or EU');

const timeouts = z.strictObject({
  connectMs: z.number().int().positive().optional(),
  firstTokenMs: z.number().int().positive().optional(),
  idleMs: z.number().int().positive().optional(),
  totalMs: z.number().int().positive().optional(),
});

/** USD per token, as OpenRouter and the contract write prices. */
const pricing = z.strictObject({
  prompt: z.number().nonnegative().optional(),
  completion: z.number().nonnegative().optional(),
  cachedPrompt: z.number().nonnegative().optional(),
  cacheWrite: z.number().nonnegative().optional(),
});

const hostModelLong = z.strictObject({
  name: z.string().min(1),
  contextLength: z.number().int().positive().optional(),
  maxOutput: z.number().int().positive().optional(),
  prefill: z.boolean().optional(),
  pricing: pricing.optional(),
  origin: countryCode.optional(),
  openWeights: z.boolean().optional(),
  license: z.string().optional(),
  capabilities: z
    .strictObject({
      tools: z.boolean().optional(),
      jsonSchema: z.boolean().optional(),
      reasoning: z.boolean().optional(),
      vision: z.boolean().optional(),
      embeddings: z.boolean().optional(),
    })
    .optional(),
});

export const providerTypes = ['openai-compatible', 'anthropic', 'gemini'] as const;

const provider = z.strictObject({
  type: z.enum(providerTypes).optional(),
  baseURL: z.url({ protocol: /^https?$/ }).optional(),
  apiKeyEnv: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  jurisdiction: countryCode.optional(),
  selfHosted: z.boolean().optional(),
  models: z.record(z.string().min(1), z.union([z.string().min(1), hostModelLong])).optional(),
  timeouts: timeouts.optional(),
  /** Upstream connections kept open per origin. */
  maxConnections: z.number().int().positive().optional(),
  enabled: z.boolean().optional(),
});

export const policySchema = z.strictObject({
  allowOrigins: z.array(countryCode).optional(),
  denyOrigins: z.array(countryCode).optional(),
  allowJurisdictions: z.array(countryCode).optional(),
  denyJurisdictions: z.array(countryCode).optional(),
  openWeightsOnly: z.boolean().optional(),
  allowLicenses: z.array(z.string()).optional(),
  selfHostedOnly: z.boolean().optional(),
  zeroDataRetention: z.boolean().optional(),
  noTrainingOnPrompts: z.boolean().optional(),
  allowModels: z.array(z.string()).optional(),
  allowProviders: z.array(z.string()).optional(),
  denyModels: z.array(z.string()).optional(),
  denyProviders: z.array(z.string()).optional(),
  maxPricePerMillion: z.strictObject({ prompt: z.number().nonnegative().optional(), completion: z.number().nonnegative().optional() }).optional(),
  denyUnknownOrigin: z.boolean().optional(),
  allowZeroPriceOverBudget: z.boolean().optional(),
});

const aliasTarget = z.union([
  z.array(z.string().min(1)).min(1),
  z.record(z.string().min(1), z.number().positive()),
]);

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8787),
      trustProxy: z.boolean().default(false),
      maxBodyBytes: z.number().int().positive().default(10 * 1024 * 1024),
      /** How long SIGTERM waits for in-flight requests and streams before closing them. */
      shutdownGraceMs: z.number().int().nonnegative().default(30_000),
      /** While a stream waits for its first token, an SSE comment is sent this often so proxies keep it open. */
      streamKeepAliveMs: z.number().int().positive().default(15_000),
      logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  auth: z.enum(['keys', 'none']).default('keys'),
  storage: z
    .strictObject({
      database: z.string().min(1).default('sqlite://.switchboard/switchboard.db'),
      redis: z.string().min(1).optional(),
      onRedisDown: z.enum(['fail-closed', 'fail-open']).default('fail-closed'),
    })
    .prefault({}),
  // No default here on purpose: naming a variable that is unset must stop start-up, the implicit default must not.
  admin: z
    .strictObject({
      apiKeyEnv: z.string().min(1).optional(),
      /** Budget shares (percent) at which a log line and the webhook announce a key's or team's spend, once per period. */
      alertThresholds: z.array(z.number().positive().max(1000)).default([50, 80, 100]),
      /** Where budget alerts are POSTed (JSON); from the operator's config only. */
      alertWebhook: z.url({ protocol: /^https?$/ }).optional(),
    })
    .prefault({}),
  ledger: z
    .strictObject({
      baseline: z.string().min(1).default('anthropic/claude-sonnet-4.5'),
      storePrompts: z.boolean().default(false),
      retentionDays: z.number().int().positive().default(400),
      /** Where records the database cannot take are spooled (default: beside a SQLite file, else ./.switchboard). */
      spoolDir: z.string().min(1).optional(),
      /** A partial batch of records is written after this long (default 200 ms): the most a record waits in memory. */
      flushMs: z.number().int().positive().max(60_000).optional(),
      /** Records per write transaction at most (default: 1000 on SQLite, 5000 on PostgreSQL). */
      batchSize: z.number().int().positive().max(10_000).optional(),
      /** Records held in memory at most (default 20000); past it, records go to the spool file (never dropped). */
      queueCapacity: z.number().int().positive().optional(),
    })
    .prefault({}),
  /** OpenTelemetry traces (GenAI semantic conventions) over OTLP/HTTP JSON; off unless an endpoint is set. */
  telemetry: z
    .strictObject({
      otlpEndpoint: z.url({ protocol: /^https?$/ }).optional(),
      serviceName: z.string().min(1).default('switchboard'),
    })
    .prefault({}),
  routing: z
    .strictObject({
      resumeStreams: z.boolean().default(true),
      /** Passes over the plan after the first, for hosts whose failure a retry may fix. */
      retries: z.number().int().min(0).max(5).default(2),
      /** Overall deadline of one request, every attempt and wait included. */
      deadlineMs: z.number().int().positive().default(600_000),
      aliases: z.record(z.string().min(1), aliasTarget).default({}),
      substitutes: z.record(z.string().min(1), z.array(z.string().min(1))).default({}),
      defaultPolicy: z.string().nullable().default(null),
    })
    .prefault({}),
  providers: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'provider ids are lower-case letters, digits, ".", "_" or "-"'), provider).default({}),
  /** Image URLs fetched for hosts that need bytes (Gemini): only from these hosts, never internal addresses. */
  images: z
    .strictObject({
      fetch: z
        .strictObject({
          allow: z.array(z.string().regex(/^(\*\.)?[a-z0-9.-]+$/i, 'a host name, or *.suffix')).default([]),
          maxBytes: z.number().int().positive().default(5 * 1024 * 1024),
          timeoutMs: z.number().int().positive().default(5_000),
        })
        .prefault({}),
    })
    .prefault({}),
  policies: z.record(z.string().min(1), policySchema).default({}),
  dataClasses: z.record(z.string().min(1), policySchema).default({}),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type ProviderConfig = z.output<typeof provider>;
export type HostModelConfig = z.output<typeof hostModelLong>;
export type PricingConfig = z.output<typeof pricing>;
export type TimeoutsConfig = z.output<typeof timeouts>;
export type PolicyConfig = z.output<typeof policySchema>;
