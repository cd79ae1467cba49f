import { z } from 'zod';

/**
 * The shipped model catalogue (catalog/catalog.yaml). Prices are written in USD per million tokens, as people
 * read them, and converted once at load to integer micro-dollars per million. Every fact that can go stale
 * carries the source it came from and the date that source was read.
 */

const country = z.string().regex(/^([A-Z]{2}|EU)$/, 'ISO 3166 alpha-2 country code or EU');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');
const sourceRef = z.string().min(1);

/** Where a fact came from: a key of `sources`, and when that source said it. */
const provenance = { source: sourceRef, asOf: isoDate };

export const catalogSourceSchema = z.strictObject({
  name: z.string().min(1),
  url: z.string().min(1),
  retrieved: isoDate,
  license: z.string().optional(),
  note: z.string().optional(),
});

export const dialects = ['openai-compatible', 'anthropic', 'gemini', 'bedrock', 'vertex', 'azure'] as const;

export const catalogProviderSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  company: z.string().min(1),
  dialect: z.enum(dialects),
  baseURL: z.string().min(1),
  apiKeyEnv: z.string().min(1),
  /** Where inference runs. */
  jurisdiction: country,
  /** Company headquarters, when it differs from where inference runs. */
  headquarters: country.optional(),
  /** Days prompts are kept; 0 = zero data retention; omitted = unknown. */
  dataRetentionDays: z.number().int().nonnegative().optional(),
  trainsOnPrompts: z.boolean().optional(),
  /** Bedrock, Vertex and Azure are listed for drills and reports but have no adapter yet. */
  routable: z.boolean(),
  selfHosted: z.boolean().optional(),
  ...provenance,
  note: z.string().optional(),
});

/** USD per million tokens. Omitted = unknown (unpriced), never free. */
const priceSchema = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cachedInput: z.number().nonnegative().optional(),
  cacheWrite: z.number().nonnegative().optional(),
});

const priceTierSchema = priceSchema.extend({
  /** The tier applies when the prompt has more than this many tokens. */
  aboveInputTokens: z.number().int().positive(),
});

export const prefillModes = ['prefix', 'partial', 'continue_final_message', 'trailing_assistant', 'none'] as const;

export const catalogHostSchema = z.strictObject({
  provider: z.string().min(1),
  /** The host's own name for the model. */
  name: z.string().min(1),
  pricing: priceSchema.optional(),
  tiers: z.array(priceTierSchema).optional(),
  contextLength: z.number().int().positive().optional(),
  maxOutput: z.number().int().positive().optional(),
  quantization: z.string().optional(),
  supportedParameters: z.array(z.string()).optional(),
  /** How the host continues an assistant message placed last (used to resume broken streams). */
  prefill: z.enum(prefillModes).optional(),
  ...provenance,
  note: z.string().optional(),
});

export const tiers = ['frontier', 'strong', 'efficient', 'small'] as const;

export const catalogModelSchema = z.strictObject({
  /** OpenRouter's `author/model` form. */
  id: z.string().regex(/^[a-z0-9-]+\/[a-z0-9._:-]+$/),
  name: z.string().min(1),
  developer: z.string().min(1),
  /** The developer's country. */
  origin: country,
  openWeights: z.boolean(),
  license: z.strictObject({ id: z.string().min(1), url: z.string().min(1) }),
  released: isoDate,
  contextLength: z.number().int().positive(),
  maxOutput: z.number().int().positive().optional(),
  modalities: z.strictObject({
    input: z.array(z.enum(['text', 'image', 'audio', 'video', 'file'])).min(1),
    output: z.array(z.enum(['text', 'image', 'audio', 'embedding'])).min(1),
  }),
  capabilities: z.strictObject({
    tools: z.boolean(),
    jsonSchema: z.boolean(),
    reasoning: z.boolean(),
    vision: z.boolean(),
  }),
  tier: z.enum(tiers),
  /** Public benchmark scores, 0–100, where known: name -> { value, source }. */
  scores: z.record(z.string(), z.strictObject({ value: z.number(), source: sourceRef })).optional(),
  /** Other names clients and hosts use (dated ids, vendor ids). */
  aliases: z.array(z.string().min(1)).default([]),
  ...provenance,
  hosts: z.array(catalogHostSchema).min(1),
});

export const catalogSchema = z.strictObject({
  /** Bumped whenever the data changes: `YYYY.MM.DD` plus an optional `.N`. */
  version: z.string().regex(/^\d{4}\.\d{2}\.\d{2}(\.\d+)?$/),
  sources: z.record(z.string(), catalogSourceSchema),
  providers: z.array(catalogProviderSchema).min(1),
  models: z.array(catalogModelSchema).min(1),
});

export type CatalogFile = z.output<typeof catalogSchema>;
export type CatalogProvider = z.output<typeof catalogProviderSchema>;
export type CatalogModel = z.output<typeof catalogModelSchema>;
export type CatalogHost = z.output<typeof catalogHostSchema>;
