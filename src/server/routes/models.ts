import type { FastifyInstance } from 'fastify';
import type { ModelInfo } from '../../catalog/types.js';
import type { GatewayContext } from '../context.js';
import { checkModelAccess } from '../auth.js';

function priceString(value: number | undefined): string | null {
  return value === undefined ? null : String(value);
}

/** OpenRouter's model shape plus provenance (`origin`, `license`, `open_weights`) and the hosts serving it. */
export function encodeModel(model: ModelInfo): Record<string, unknown> {
  // The model's headline price is its cheapest priced host, as OpenRouter shows for open models.
  const priced = model.hosts.filter((h) => h.pricing?.prompt !== undefined && h.pricing.completion !== undefined);
  const cheapest = priced.sort((a, b) => a.pricing!.prompt! + a.pricing!.completion! - (b.pricing!.prompt! + b.pricing!.completion!))[0];
  const contextLength = model.contextLength ?? Math.max(0, ...model.hosts.map((h) => h.contextLength ?? 0));
  return {
    id: model.id,
    name: model.name,
    object: 'model',
    created: 0,
    owned_by: model.id.split('/')[0] ?? model.id,
    context_length: contextLength > 0 ? contextLength : null,
    pricing: {
      prompt: priceString(cheapest?.pricing?.prompt),
      completion: priceString(cheapest?.pricing?.completion),
    },
    origin: model.origin ?? null,
    license: model.license ?? null,
    open_weights: model.openWeights ?? null,
    hosts: model.hosts.map((host) => ({
      provider: host.provider.id,
      model: host.upstreamModel,
      jurisdiction: host.provider.jurisdiction ?? null,
      self_hosted: host.provider.selfHosted,
      pricing: {
        prompt: priceString(host.pricing?.prompt),
        completion: priceString(host.pricing?.completion),
        ...(host.pricing?.cachedPrompt !== undefined ? { cached_prompt: String(host.pricing.cachedPrompt) } : {}),
        ...(host.pricing?.cacheWrite !== undefined ? { cache_write: String(host.pricing.cacheWrite) } : {}),
      },
      ...(host.contextLength !== undefined ? { context_length: host.contextLength } : {}),
    })),
  };
}

export function registerModelRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/v1/models', async (req) => {
    checkModelAccess(ctx.auth, req.headers);
    return { object: 'list', data: ctx.registry.list().map(encodeModel) };
  });
}
