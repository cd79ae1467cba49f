import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { catalogSchema, type CatalogFile, type CatalogHost, type CatalogModel } from '../../src/catalog/schema.js';

const raw: unknown = parse(readFileSync(new URL('../../catalog/catalog.yaml', import.meta.url), 'utf8'));
const parsed = catalogSchema.safeParse(raw);
const catalog: CatalogFile | undefined = parsed.success ? parsed.data : undefined;

function data(): CatalogFile {
  if (!catalog) throw new Error(`catalog/catalog.yaml does not match the schema: ${JSON.stringify(parsed.error?.issues, null, 2)}`);
  return catalog;
}

function model(id: string): CatalogModel {
  const found = data().models.find((m) => m.id === id);
  if (!found) throw new Error(`model ${id} is not in the catalogue`);
  return found;
}

function host(modelId: string, provider: string): CatalogHost {
  const found = model(modelId).hosts.find((h) => h.provider === provider);
  if (!found) throw new Error(`model ${modelId} has no host on ${provider}`);
  return found;
}

const priced = (h: CatalogHost): boolean => h.pricing !== undefined;

/** The open models the gateway leans on; each must be buyable from at least three places. */
const MAJOR_OPEN_MODELS = [
  'deepseek/deepseek-v3.2',
  'deepseek/deepseek-r1',
  'deepseek/deepseek-r1-0528',
  'qwen/qwen3-235b-a22b',
  'qwen/qwen3-235b-a22b-2507',
  'qwen/qwen3-235b-a22b-thinking-2507',
  'qwen/qwen3-coder',
  'z-ai/glm-4.6',
  'moonshotai/kimi-k2',
  'moonshotai/kimi-k2-0905',
  'moonshotai/kimi-k2-thinking',
  'minimax/minimax-m2',
  'openai/gpt-oss-120b',
  'openai/gpt-oss-20b',
  'meta-llama/llama-3.1-8b-instruct',
  'meta-llama/llama-3.3-70b-instruct',
  'meta-llama/llama-4-maverick',
  'meta-llama/llama-4-scout',
];

describe('catalog/catalog.yaml', () => {
  it('matches the catalogue schema', () => {
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    expect(data().version).toBe('2026.11.29');
  });

  it('gives every model an origin, a licence, a context length and at least one priced host', () => {
    for (const m of data().models) {
      expect(m.origin, m.id).toMatch(/^([A-Z]{2}|EU)$/);
      expect(m.license.id, m.id).not.toBe('');
      expect(m.license.url, m.id).toMatch(/^https:\/\//);
      expect(m.contextLength, m.id).toBeGreaterThan(0);
      expect(m.hosts.filter(priced).length, `${m.id} has no priced host`).toBeGreaterThanOrEqual(1);
    }
  });

  it('hosts only on declared providers, and cites only declared sources', () => {
    const providers = new Set(data().providers.map((p) => p.id));
    const sources = new Set(Object.keys(data().sources));
    for (const p of data().providers) expect(sources.has(p.source), `provider ${p.id} cites ${p.source}`).toBe(true);
    for (const m of data().models) {
      expect(sources.has(m.source), `model ${m.id} cites ${m.source}`).toBe(true);
      for (const s of Object.values(m.scores ?? {})) expect(sources.has(s.source), `score of ${m.id} cites ${s.source}`).toBe(true);
      for (const h of m.hosts) {
        expect(providers.has(h.provider), `${m.id} is hosted on unknown provider ${h.provider}`).toBe(true);
        expect(sources.has(h.source), `${m.id} on ${h.provider} cites ${h.source}`).toBe(true);
      }
    }
  });

  it('dates no fact after the release it ships in', () => {
    const release = data().version.slice(0, 10).replaceAll('.', '-');
    const dates = [
      ...Object.values(data().sources).map((s) => s.retrieved),
      ...data().providers.map((p) => p.asOf),
      ...data().models.flatMap((m) => [m.asOf, m.released, ...m.hosts.map((h) => h.asOf)]),
    ];
    for (const d of dates) expect(d <= release, d).toBe(true);
  });

  it('lists each major open model with at least three priced hosts', () => {
    for (const id of MAJOR_OPEN_MODELS) {
      const m = model(id);
      expect(m.openWeights, id).toBe(true);
      expect(new Set(m.hosts.filter(priced).map((h) => h.provider)).size, id).toBeGreaterThanOrEqual(3);
    }
  });

  it('has unique model ids and aliases that name exactly one model', () => {
    const ids = data().models.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    // The registry falls back to case-insensitive lookups, so names must be unique ignoring case.
    const owner = new Map<string, string>();
    for (const m of data().models) {
      for (const name of new Set([m.id, ...m.aliases].map((n) => n.toLowerCase()))) {
        const other = owner.get(name);
        expect(other === undefined || other === m.id, `"${name}" names both ${other} and ${m.id}`).toBe(true);
        owner.set(name, m.id);
      }
    }
    // A host's own model name is also resolvable; it must not point at a different model.
    for (const m of data().models) {
      for (const h of m.hosts) {
        const other = owner.get(h.name.toLowerCase());
        expect(other === undefined || other === m.id, `${h.provider} name "${h.name}" of ${m.id} is ${other}'s name`).toBe(true);
      }
    }
  });

  it('never prices cached input above input, and lists no free tier as a price', () => {
    for (const m of data().models) {
      for (const h of m.hosts) {
        const prices = [...(h.pricing ? [h.pricing] : []), ...(h.tiers ?? [])];
        for (const p of prices) {
          if (p.cachedInput !== undefined) expect(p.cachedInput, `${m.id} on ${h.provider}`).toBeLessThanOrEqual(p.input);
          expect(p.input + p.output, `${m.id} on ${h.provider} is priced at zero`).toBeGreaterThan(0);
        }
        if (h.tiers) {
          expect(h.pricing, `${m.id} on ${h.provider} has tiers without a base price`).toBeDefined();
          const thresholds = h.tiers.map((t) => t.aboveInputTokens);
          expect(thresholds, `${m.id} on ${h.provider}`).toEqual([...thresholds].sort((a, b) => a - b));
        }
      }
    }
  });

  it('marks embedding models with an embedding output', () => {
    for (const id of ['openai/text-embedding-3-small', 'qwen/qwen3-embedding-8b']) {
      expect(model(id).modalities.output).toEqual(['embedding']);
    }
  });

  it('has every provider id of the contract, with its usual key variable and dialect', () => {
    // The public contract names these ids and the key variables `serve` detects with no config file.
    const contract: [string, string, string][] = [
      ['deepseek', 'DEEPSEEK_API_KEY', 'openai-compatible'],
      ['dashscope-intl', 'DASHSCOPE_API_KEY', 'openai-compatible'],
      ['moonshot', 'MOONSHOT_API_KEY', 'openai-compatible'],
      ['zai', 'ZAI_API_KEY', 'openai-compatible'],
      ['minimax', 'MINIMAX_API_KEY', 'openai-compatible'],
      ['mistral', 'MISTRAL_API_KEY', 'openai-compatible'],
      ['openai', 'OPENAI_API_KEY', 'openai-compatible'],
      ['anthropic', 'ANTHROPIC_API_KEY', 'anthropic'],
      ['google', 'GEMINI_API_KEY', 'gemini'],
      ['openrouter', 'OPENROUTER_API_KEY', 'openai-compatible'],
      ['together', 'TOGETHER_API_KEY', 'openai-compatible'],
      ['fireworks', 'FIREWORKS_API_KEY', 'openai-compatible'],
      ['deepinfra', 'DEEPINFRA_API_KEY', 'openai-compatible'],
      ['groq', 'GROQ_API_KEY', 'openai-compatible'],
    ];
    for (const [id, apiKeyEnv, dialect] of contract) {
      const p = data().providers.find((x) => x.id === id);
      expect(p, id).toBeDefined();
      expect({ apiKeyEnv: p?.apiKeyEnv, dialect: p?.dialect, routable: p?.routable }).toEqual({ apiKeyEnv, dialect, routable: true });
      expect(p!.baseURL).toMatch(/^https:\/\//);
    }
    for (const [id, dialect] of [['bedrock', 'bedrock'], ['vertex', 'vertex'], ['azure', 'azure']] as const) {
      const p = data().providers.find((x) => x.id === id);
      expect({ dialect: p?.dialect, routable: p?.routable }).toEqual({ dialect, routable: false });
    }
  });

  it('records the prefill mode of each first-party API', () => {
    expect(host('deepseek/deepseek-v3.2', 'deepseek').prefill).toBe('prefix');
    expect(host('mistralai/mistral-large-2512', 'mistral').prefill).toBe('prefix');
    expect(host('moonshotai/kimi-k2-thinking', 'moonshot').prefill).toBe('partial');
    expect(host('anthropic/claude-opus-4.5', 'anthropic').prefill).toBe('trailing_assistant');
    expect(host('openai/gpt-5', 'openai').prefill).toBe('none');
    expect(host('google/gemini-2.5-pro', 'google').prefill).toBe('none');
    for (const m of data().models) {
      for (const h of m.hosts) if (h.provider === 'anthropic') expect(h.prefill, m.id).toBe('trailing_assistant');
    }
  });

  describe('facts checked against the reference data', () => {
    it('DeepSeek V3.2 on DeepSeek: $0.28 in, $0.42 out, $0.028 cached; deepseek-chat and deepseek-reasoner alias it', () => {
      const h = host('deepseek/deepseek-v3.2', 'deepseek');
      expect(h.name).toBe('deepseek-chat');
      expect(h.pricing).toEqual({ input: 0.28, output: 0.42, cachedInput: 0.028 });
      expect(model('deepseek/deepseek-v3.2').aliases).toEqual(expect.arrayContaining(['deepseek-chat', 'deepseek-reasoner']));
    });

    it('Claude Sonnet 4.5: $3/$15, 200k context, $6/$22.50 above 200k prompt tokens', () => {
      const m = model('anthropic/claude-sonnet-4.5');
      expect(m.contextLength).toBe(200_000);
      expect(m.aliases).toEqual(expect.arrayContaining(['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5']));
      const h = host('anthropic/claude-sonnet-4.5', 'anthropic');
      expect(h.pricing).toEqual({ input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 });
      expect(h.tiers).toEqual([{ aboveInputTokens: 200_000, input: 6, output: 22.5, cachedInput: 0.6, cacheWrite: 7.5 }]);
    });

    it('GPT-5 on OpenAI: $1.25/$10, $0.125 cached, 400k context', () => {
      expect(host('openai/gpt-5', 'openai').pricing).toEqual({ input: 1.25, output: 10, cachedInput: 0.125 });
      expect(model('openai/gpt-5').contextLength).toBe(400_000);
      expect(model('openai/gpt-5').aliases).toContain('gpt-5-2025-08-07');
    });

    it('Gemini 2.5 Pro on Google: $1.25/$10, $2.50/$15 above 200k', () => {
      const h = host('google/gemini-2.5-pro', 'google');
      expect(h.pricing).toEqual({ input: 1.25, output: 10, cachedInput: 0.125 });
      expect(h.tiers).toEqual([{ aboveInputTokens: 200_000, input: 2.5, output: 15, cachedInput: 0.25 }]);
    });

    it('Qwen3 Max on DashScope international: tiered by prompt length', () => {
      const h = host('qwen/qwen3-max', 'dashscope-intl');
      expect(h.pricing).toEqual({ input: 1.2, output: 6 });
      expect(h.tiers).toEqual([
        { aboveInputTokens: 32_000, input: 2.4, output: 12 },
        { aboveInputTokens: 128_000, input: 3, output: 15 },
      ]);
    });

    it("Qwen3 235B 2507 on Together: output $0.60, not litellm's $6.00", () => {
      expect(host('qwen/qwen3-235b-a22b-2507', 'together').pricing).toEqual({ input: 0.2, output: 0.6 });
    });

    it('gpt-oss-120b on Groq: $0.15/$0.60 with $0.075 cached', () => {
      expect(host('openai/gpt-oss-120b', 'groq').pricing).toEqual({ input: 0.15, output: 0.6, cachedInput: 0.075 });
    });

    it('GLM-4.6 on Z.ai: $0.60/$2.20, $0.11 cached', () => {
      expect(host('z-ai/glm-4.6', 'zai').pricing).toEqual({ input: 0.6, output: 2.2, cachedInput: 0.11 });
    });
  });
});
