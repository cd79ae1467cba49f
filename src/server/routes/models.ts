import type { FastifyInstance } from 'fastify';
import { hostFromCatalogue, modelFromCatalogue } from '../../catalog/registry.js';
import { formatUsdPerToken } from '../../catalog/cost.js';
import type { HostPricing, HostRoute, ModelInfo, ResolvedProvider } from '../../catalog/types.js';
import { DEFAULT_TIMEOUTS } from '../../catalog/types.js';
import type { Catalogue } from '../../catalog/catalogue.js';
import type { GatewayContext } from '../context.js';
import { blockProblem } from '../../policy/blocks.js';
import { policyProblem } from '../../policy/rules.js';
import { modelPrincipal } from '../principal.js';

function usd(micro: number | undefined): string | null {
  return micro === undefined ? null : formatUsdPerToken(micro);
}

/** OpenRouter's pricing object: USD per token, as strings. */
function encodePricing(pricing: HostPricing | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { prompt: usd(pricing?.input), completion: usd(pricing?.output) };
  if (pricing?.cachedInput !== undefined) out.input_cache_read = usd(pricing.cachedInput);
  if (pricing?.cacheWrite !== undefined) out.input_cache_write = usd(pricing.cacheWrite);
  if (pricing?.tiers) {
    out.tiers = pricing.tiers.map((t) => ({ above_input_tokens: t.aboveInputTokens, prompt: usd(t.input), completion: usd(t.output) }));
  }
  return out;
}

/** The model's headline price: its cheapest priced host (input + output), as OpenRouter shows for open models. */
function cheapest(hosts: readonly HostRoute[]): HostPricing | undefined {
  let best: HostPricing | undefined;
  for (const host of hosts) {
    const p = host.pricing;
    if (p && (!best || p.input + p.output < best.input + best.output)) best = p;
  }
  return best;
}

/** OpenRouter's model shape plus provenance (`origin`, `license`, `open_weights`) and the hosts serving it. */
export function encodeModel(model: ModelInfo, configured: (providerId: string) => boolean = () => true): Record<string, unknown> {
  const contextLength = model.contextLength ?? Math.max(0, ...model.hosts.map((h) => h.contextLength ?? 0));
  return {
    id: model.id,
    name: model.name,
    object: 'model',
    created: model.released ? Math.floor(Date.parse(model.released) / 1000) : 0,
    owned_by: model.id.split('/')[0] ?? model.id,
    context_length: contextLength > 0 ? contextLength : null,
    max_output: model.maxOutput ?? null,
    pricing: encodePricing(cheapest(model.hosts)),
    origin: model.origin ?? null,
    developer: model.developer ?? null,
    license: model.license ?? null,
    license_url: model.licenseUrl ?? null,
    open_weights: model.openWeights ?? null,
    tier: model.tier ?? null,
    capabilities: model.capabilities ?? null,
    architecture: { input_modalities: model.inputModalities ?? ['text'], output_modalities: model.outputModalities ?? ['text'] },
    aliases: model.aliases,
    hosts: model.hosts.map((host) => ({
      provider: host.provider.id,
      model: host.upstreamModel,
      jurisdiction: host.provider.jurisdiction ?? null,
      self_hosted: host.provider.selfHosted,
      configured: configured(host.provider.id),
      pricing: encodePricing(host.pricing),
      context_length: host.contextLength ?? null,
      ...(host.quantization !== undefined ? { quantization: host.quantization } : {}),
    })),
  };
}

/** Every catalogue model with every catalogue host, configured or not (`?all=1`). */
function wholeCatalogue(catalogue: Catalogue, configuredIds: ReadonlySet<string>): Record<string, unknown>[] {
  return catalogue.models().map((model) => {
    const info = modelFromCatalogue(model);
    info.hosts = model.hosts.map((host) => {
      const facts = catalogue.provider(host.provider)!;
      const provider: ResolvedProvider = {
        id: facts.id,
        type: 'openai-compatible',
        baseURL: facts.baseURL,
        apiKeys: [],
        headers: {},
        jurisdiction: facts.jurisdiction,
        selfHosted: facts.selfHosted ?? false,
        timeouts: DEFAULT_TIMEOUTS,
        maxConnections: 0,
      };
      return hostFromCatalogue(provider, host);
    });
    return encodeModel(info, (id) => configuredIds.has(id));
  });
}

export function registerModelRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/v1/models', async (req) => {
    const principal = await modelPrincipal(ctx, req);
    const all = (req.query as Record<string, string | undefined>).all;
    const configured = new Set(ctx.registry.providers.keys());
    if ((all === '1' || all === 'true') && ctx.registry.catalogue) {
      const served = new Map(ctx.registry.list().map((m) => [m.id, m]));
      const data = wholeCatalogue(ctx.registry.catalogue, configured);
      // Models a config adds that the catalogue lacks are part of "everything" too.
      for (const model of served.values()) if (!model.inCatalogue) data.push(encodeModel(model));
      return { object: 'list', data };
    }
    // The models the caller may use: its key's allowed models, with only the hosts its policies and the blocks leave.
    const constraints = ctx.sovereignty?.constraints(principal, req.headers['x-switchboard-data-class']);
    const allowed = principal.kind === 'key' && principal.key.models && principal.key.models.length > 0 ? principal.key.models : undefined;
    const data: Record<string, unknown>[] = [];
    for (const model of ctx.registry.list()) {
      if (allowed && !allowed.includes(model.id)) continue;
      const hosts = constraints ? model.hosts.filter((h) => !policyProblem(model, h, constraints.policy) && !blockProblem(model, h, constraints.blocks)) : model.hosts;
      if (hosts.length > 0) data.push(encodeModel(hosts === model.hosts ? model : { ...model, hosts }));
    }
    return { object: 'list', data };
  });
}
