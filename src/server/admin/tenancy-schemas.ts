import { z } from 'zod';

const budget = z.strictObject({ usd: z.number().positive(), period: z.enum(['day', 'month', 'total']) });
const limits = z.strictObject({ rpm: z.number().int().positive().optional(), tpm: z.number().int().positive().optional() });

export const createKeySchema = z.strictObject({
  name: z.string().min(1).max(200),
  team: z.string().min(1).max(200).optional(),
  budget: budget.optional(),
  limits: limits.optional(),
  policy: z.string().min(1).max(200).optional(),
  models: z.array(z.string().min(1)).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  storePrompts: z.boolean().optional(),
  minDataClass: z.string().min(1).optional(),
});

export const patchKeySchema = createKeySchema.partial().extend({
  budget: budget.nullable().optional(),
  limits: limits.nullable().optional(),
  policy: z.string().min(1).max(200).nullable().optional(),
  team: z.string().min(1).max(200).nullable().optional(),
});

export const createTeamSchema = z.strictObject({
  name: z.string().min(1).max(200),
  budget: budget.optional(),
  limits: limits.optional(),
  policy: z.string().min(1).max(200).optional(),
});

export const createTokenSchema = z.strictObject({
  name: z.string().min(1).max(200),
  role: z.enum(['admin', 'viewer']),
});
