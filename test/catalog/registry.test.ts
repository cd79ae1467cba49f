import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { buildRegistry } from '../../src/catalog/registry.js';
import { miniCatalogue } from '../support/catalogue.js';

const catalogue = miniCatalogue();
const hasAdapter = (d: string) => d === 'openai-compatible';

function registry(yaml: string, env: Record<string, string> = {}) {
  return buildRegistry({ config: parseConfigText(yaml, 'test', env), env, catalogue, detectFromEnv: false, hasAdapter });
}

describe('registry from catalogue and config', () => {
  it('a catalogue provider id inherits its models, prices and jurisdiction', () => {
    const { registry: r } = registry('providers: { deepseek: {} }', { DEEPSEEK_API_KEY: 'k' });
    const model = r.resolve('deepseek/deepseek-v3.2')!;
    expect(model.origin).toBe('CN');
    expect(model.hosts).toHaveLength(1);
    expect(model.hosts[0]!.provider.jurisdiction).toBe('CN');
    expect(model.hosts[0]!.pricing).toEqual({ input: 280_000, cachedInput: 28_000, output: 420_000 });
    expect(model.hosts[0]!.prefill).toBe('prefix');
  });

  it('resolves catalogue aliases, host names and case variants to the canonical id', () => {
    const { registry: r } = registry('providers: { deepseek: {}, together: {} }', { DEEPSEEK_API_KEY: 'k', TOGETHER_API_KEY: 't' });
    for (const name of ['deepseek-chat', 'deepseek-ai/DeepSeek-V3.2', 'DEEPSEEK/deepseek-v3.2']) expect(r.resolve(name)?.id).toBe('deepseek/deepseek-v3.2');
    expect(r.resolve('deepseek/deepseek-v3.2')!.hosts.map((h) => h.provider.id)).toEqual(['deepseek', 'together']);
  });

  it('a self-hosted vLLM becomes one more host of a catalogue model, unpriced unless it declares a price', () => {
    const yaml = `providers:
  my-vllm:
    type: openai-compatible
    baseURL: http://127.0.0.1:8000/v1
    selfHosted: true
    jurisdiction: DE
    models:
      deepseek-chat: deepseek-ai/DeepSeek-V3.2
  my-free:
    type: openai-compatible
    baseURL: http://127.0.0.1:8001/v1
    selfHosted: true
    models:
      deepseek/deepseek-v3.2: { name: ds, pricing: { prompt: 0, completion: 0 } }`;
    const { registry: r } = registry(yaml);
    const hosts = r.resolve('deepseek/deepseek-v3.2')!.hosts;
    expect(hosts.map((h) => [h.provider.id, h.upstreamModel, h.provider.selfHosted])).toEqual([
      ['my-vllm', 'deepseek-ai/DeepSeek-V3.2', true],
      ['my-free', 'ds', true],
    ]);
    expect(hosts[0]!.pricing).toBeUndefined();
    expect(hosts[1]!.pricing).toEqual({ input: 0, output: 0 });
    expect(r.resolve('deepseek/deepseek-v3.2')!.origin).toBe('CN');
  });

  it('a config may override a catalogue price', () => {
    const { registry: r } = registry('providers:\n  deepseek:\n    models:\n      deepseek/deepseek-v3.2: { name: deepseek-chat, pricing: { prompt: 0.0000001 } }', { DEEPSEEK_API_KEY: 'k' });
    expect(r.resolve('deepseek/deepseek-v3.2')!.hosts[0]!.pricing).toEqual({ input: 100_000, output: 420_000, cachedInput: 28_000 });
  });

  it('a model the catalogue lacks is served but unpriced, with the facts the config gives', () => {
    const { registry: r } = registry(
      'providers:\n  lab:\n    type: openai-compatible\n    baseURL: http://127.0.0.1:9/v1\n    selfHosted: true\n    models:\n      acme/house-7b: { name: house-7b, contextLength: 32768, origin: DE, openWeights: true }',
    );
    const model = r.resolve('acme/house-7b')!;
    expect(model.inCatalogue).toBe(false);
    expect(model.hosts[0]!.pricing).toBeUndefined();
    expect(model.origin).toBe('DE');
    expect(model.contextLength).toBe(32768);
  });

  it('lists a non-routable provider (Bedrock) without routing to it', () => {
    const { registry: r, warnings } = registry('providers: { bedrock: {} }', { AWS_ACCESS_KEY_ID: 'x' });
    expect(r.providers.size).toBe(0);
    expect(warnings[0]!.message).toMatch(/no adapter/);
  });

  it('serves only models some configured provider hosts', () => {
    const { registry: r } = registry('providers: { mistral: {} }', { MISTRAL_API_KEY: 'm' });
    expect(r.list().map((m) => m.id)).toEqual(['mistralai/mistral-medium-3']);
    expect(r.resolve('deepseek/deepseek-v3.2')).toBeUndefined();
    expect(r.catalogue!.model('deepseek-chat')?.id).toBe('deepseek/deepseek-v3.2');
  });
});
