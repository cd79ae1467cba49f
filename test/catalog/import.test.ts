import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseCatalogue } from '../../src/catalog/catalogue.js';
import { applyChanges, nextVersion } from '../../src/catalog/import/apply.js';
import { perTokenToPerMillion, type Change } from '../../src/catalog/import/common.js';
import { catalogueProviderFor, diffLiteLLM, hostNameFor, LITELLM_SOURCE } from '../../src/catalog/import/litellm.js';
import { diffOpenRouter, OPENROUTER_SOURCE } from '../../src/catalog/import/openrouter.js';
import { tempDir } from '../support/temp-dir.js';

const MINI = fileURLToPath(new URL('../fixtures/catalog/mini.yaml', import.meta.url));
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/catalog/${name}`, import.meta.url), 'utf8'));

/** A copy of mini.yaml in a fresh temp dir. */
function miniCopy(transform: (text: string) => string = (t) => t): string {
  const path = join(tempDir('sb-catalog-'), 'catalog.yaml');
  copyFileSync(MINI, path);
  writeFileSync(path, transform(readFileSync(path, 'utf8')));
  return path;
}

const TOGETHER_LINE = '      - { provider: together, name: deepseek-ai/DeepSeek-V3.2, pricing: { input: 0.6, output: 1.7 }, source: test, asOf: 2026-01-01 }';
const MISTRAL_LINE = '      - { provider: mistral, name: mistral-medium-latest, pricing: { input: 0.4, output: 2 }, prefill: prefix, source: test, asOf: 2026-01-01 }';
const BEDROCK_LINE = '      - { provider: bedrock, name: anthropic.claude-sonnet-4-5-20250929-v1:0, pricing: { input: 3.3, output: 16.5 }, source: test, asOf: 2026-01-01 }';
const TEST_SOURCE_LINE = '  test: { name: Test data, url: "https://example.invalid/test", retrieved: 2026-01-01 }';
const OR_DEEPSEEK_LINE = '      - { provider: openrouter, name: deepseek/deepseek-v3.2, pricing: { input: 0.28, output: 0.42 }, contextLength: 131072, source: test, asOf: 2026-01-01 }';

/** mini.yaml plus an `openrouter` provider and openrouter hosts in flow and block style. */
function withOpenRouter(text: string): string {
  return text
    .replace('\nmodels:\n', '\n  - { id: openrouter, company: OpenRouter, dialect: openai-compatible, baseURL: "https://openrouter.ai/api/v1", apiKeyEnv: OPENROUTER_API_KEY, jurisdiction: US, routable: true, source: test, asOf: 2026-01-01 }\nmodels:\n')
    .replace(TOGETHER_LINE, `${TOGETHER_LINE}\n${OR_DEEPSEEK_LINE}`)
    .replace(MISTRAL_LINE, `${MISTRAL_LINE}\n      - { provider: openrouter, name: mistralai/mistral-medium-3, pricing: { input: 0.4, output: 2 }, source: test, asOf: 2026-01-01 }`)
    .replace(
      BEDROCK_LINE,
      [BEDROCK_LINE, '      - provider: openrouter', '        name: anthropic/claude-sonnet-4.5', '        pricing: { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 }', '        contextLength: 1000000', '        maxOutput: 64000', '        source: test', '        asOf: 2026-01-01'].join('\n'),
    );
}

const load = (path: string) => parseCatalogue(readFileSync(path, 'utf8'), path);

describe('price conversion', () => {
  it('writes per-million prices without float noise', () => {
    expect(0.0000004 * 1e6).toBe(0.39999999999999997);
    expect(perTokenToPerMillion(0.0000004)).toBe(0.4);
    expect(perTokenToPerMillion(0.00000028)).toBe(0.28);
    expect(String(perTokenToPerMillion(1.7e-7))).toBe('0.17');
    expect(String(perTokenToPerMillion(5.6e-7))).toBe('0.56');
    expect(String(perTokenToPerMillion(0.0000225))).toBe('22.5');
    expect(String(perTokenToPerMillion(1.25e-7))).toBe('0.125');
  });

  it('bumps the catalogue version', () => {
    expect(nextVersion('2026.01.01', '2026-02-01')).toBe('2026.02.01');
    expect(nextVersion('2026.02.01', '2026-02-01')).toBe('2026.02.01.1');
    expect(nextVersion('2026.02.01.1', '2026-02-01')).toBe('2026.02.01.2');
    expect(nextVersion('2026.03.01', '2026-02-01')).toBe('2026.03.01.1');
  });
});

describe('LiteLLM keys', () => {
  it('maps providers and strips routing prefixes', () => {
    expect(catalogueProviderFor('together_ai')).toBe('together');
    expect(catalogueProviderFor('gemini')).toBe('google');
    expect(catalogueProviderFor('bedrock_converse')).toBe('bedrock');
    expect(catalogueProviderFor('vertex_ai-anthropic_models')).toBe('vertex');
    expect(catalogueProviderFor('azure_ai')).toBeUndefined();
    expect(catalogueProviderFor('toString')).toBeUndefined();
    expect(hostNameFor('together_ai/deepseek-ai/DeepSeek-V3.2', 'together_ai')).toBe('deepseek-ai/DeepSeek-V3.2');
    expect(hostNameFor('gpt-4o', 'openai')).toBe('gpt-4o');
    expect(hostNameFor('claude-sonnet-4-5-20250929', 'anthropic')).toBe('claude-sonnet-4-5-20250929');
    expect(hostNameFor('bedrock/moonshotai.kimi-k2.5', 'bedrock')).toBe('moonshotai.kimi-k2.5');
    expect(hostNameFor('vertex_ai/claude-haiku-4-5', 'vertex_ai-anthropic_models')).toBe('claude-haiku-4-5');
    expect(hostNameFor('1024-x-1024/dall-e-2', 'openai')).toBe('1024-x-1024/dall-e-2');
  });
});

describe('import --litellm', () => {
  const tiny = {
    // same as the catalogue (4e-7 × 1e6 is 0.39999999999999997 in floating point: must count as equal to 0.4)
    'mistral/mistral-medium-latest': { litellm_provider: 'mistral', input_cost_per_token: 4e-7, output_cost_per_token: 0.000002 },
    // input differs: 0.6 → 0.45 (4.5e-7 × 1e6 = 0.44999999999999996, written as 0.45)
    'together_ai/deepseek-ai/DeepSeek-V3.2': { litellm_provider: 'together_ai', input_cost_per_token: 4.5e-7, output_cost_per_token: 0.0000017 },
    // no such host
    'mistral/mistral-large-latest': { litellm_provider: 'mistral', input_cost_per_token: 0.0000005, output_cost_per_token: 0.0000015 },
  };
  const expected: Change[] = [
    { model: 'deepseek/deepseek-v3.2', provider: 'together', host: 'deepseek-ai/DeepSeek-V3.2', field: 'pricing.input', old: 0.6, new: 0.45 },
  ];

  it('diffs, applies in place of the values only, and is idempotent', () => {
    const path = miniCopy();
    const before = readFileSync(path, 'utf8');
    const result = diffLiteLLM(tiny, load(path));
    expect(result.changes).toEqual(expected);
    expect(result).toMatchObject({ entries: 3, matchedHosts: 2, unmatched: ['mistral/mistral-large-latest (mistral mistral-large-latest)'] });

    const applied = applyChanges(before, result.changes, { source: LITELLM_SOURCE, asOf: '2026-02-01' });
    expect(applied.hostsChanged).toBe(1);
    writeFileSync(path, applied.text);
    const after = readFileSync(path, 'utf8');
    // Exactly three lines differ: the version, the new source, the changed host. Comments and every other byte stay.
    expect(after).toBe(
      before
        .replace('version: "2026.01.01"', 'version: "2026.02.01"')
        .replace(TEST_SOURCE_LINE, `${TEST_SOURCE_LINE}\n  litellm: { name: "LiteLLM model_prices_and_context_window.json", url: "${LITELLM_SOURCE.url}", retrieved: 2026-02-01 }`)
        .replace(TOGETHER_LINE, '      - { provider: together, name: deepseek-ai/DeepSeek-V3.2, pricing: { input: 0.45, output: 1.7 }, source: litellm, asOf: 2026-02-01 }'),
    );
    expect(after.startsWith('# A small catalogue for unit tests')).toBe(true);

    const catalogue = load(path);
    const host = catalogue.model('deepseek/deepseek-v3.2')!.hosts.find((h) => h.provider === 'together')!;
    expect(host).toMatchObject({ pricing: { input: 0.45, output: 1.7 }, source: 'litellm', asOf: '2026-02-01' });
    expect(catalogue.file.sources.litellm).toEqual({ name: LITELLM_SOURCE.name, url: LITELLM_SOURCE.url, retrieved: '2026-02-01' });
    expect(catalogue.version).toBe('2026.02.01');

    const again = diffLiteLLM(tiny, catalogue);
    expect(again.changes).toEqual([]);
    expect(applyChanges(after, again.changes, { source: LITELLM_SOURCE, asOf: '2026-02-02' }).text).toBe(after);
  });

  it('prefers the prefixed key when two keys name the same host, and never imports a price of 0', () => {
    const catalogue = load(miniCopy());
    const json = {
      'deepseek-chat': { litellm_provider: 'deepseek', input_cost_per_token: 9e-7, output_cost_per_token: 9e-7 },
      'deepseek/deepseek-chat': { litellm_provider: 'deepseek', input_cost_per_token: 2.8e-7, output_cost_per_token: 4.2e-7, cache_creation_input_token_cost: 0 },
    };
    const result = diffLiteLLM(json, catalogue);
    expect(result.changes).toEqual([]);
    expect(result.skipped).toEqual({ 'duplicate key for the same host': 1 });
  });

  it('imports the real LiteLLM entries (fixture copied from the shared litellm file)', () => {
    const path = miniCopy();
    const before = readFileSync(path, 'utf8');
    const result = diffLiteLLM(fixture('litellm-sample.json'), load(path));
    expect(result.entries).toBe(9);
    expect(result.skipped).toEqual({ 'provider not mapped to the catalogue': 1, 'duplicate key for the same host': 1 });
    expect(result.matchedHosts).toBe(4); // deepseek-chat, mistral-medium-latest, the Anthropic and the Bedrock Sonnet 4.5
    expect(result.unmatched.sort()).toEqual([
      'bedrock/eu-north-1/deepseek.v3.2 (bedrock eu-north-1/deepseek.v3.2)',
      'fireworks_ai/accounts/fireworks/models/deepseek-v3p2 (fireworks accounts/fireworks/models/deepseek-v3p2)',
      'gemini/gemini-2.5-pro (google gemini-2.5-pro)',
    ]);
    const sonnet = 'anthropic/claude-sonnet-4.5';
    const bedrock = { model: sonnet, provider: 'bedrock', host: 'anthropic.claude-sonnet-4-5-20250929-v1:0' };
    expect(result.changes).toEqual([
      // litellm's mistral-medium-latest has moved on to Medium 3.5: the import reports it, a person decides
      { model: 'mistralai/mistral-medium-3', provider: 'mistral', host: 'mistral-medium-latest', field: 'pricing.input', old: 0.4, new: 1.5 },
      { model: 'mistralai/mistral-medium-3', provider: 'mistral', host: 'mistral-medium-latest', field: 'pricing.output', old: 2, new: 7.5 },
      { ...bedrock, field: 'pricing.input', old: 3.3, new: 3 },
      { ...bedrock, field: 'pricing.cachedInput', old: undefined, new: 0.3 },
      { ...bedrock, field: 'pricing.cacheWrite', old: undefined, new: 3.75 },
      { ...bedrock, field: 'pricing.output', old: 16.5, new: 15 },
      { ...bedrock, field: 'tiers.200000.input', old: undefined, new: 6 },
      { ...bedrock, field: 'tiers.200000.cachedInput', old: undefined, new: 0.6 },
      { ...bedrock, field: 'tiers.200000.cacheWrite', old: undefined, new: 7.5 },
      { ...bedrock, field: 'tiers.200000.output', old: undefined, new: 22.5 },
    ]);
    const applied = applyChanges(before, result.changes, { source: LITELLM_SOURCE, asOf: '2026-07-24' });
    expect(applied.text).toContain(
      '      - { provider: bedrock, name: anthropic.claude-sonnet-4-5-20250929-v1:0, pricing: { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 }, tiers: [{ aboveInputTokens: 200000, input: 6, cachedInput: 0.6, cacheWrite: 7.5, output: 22.5 }], source: litellm, asOf: 2026-07-24 }\n',
    );
    const catalogue = parseCatalogue(applied.text);
    // the Anthropic host already agreed with litellm: untouched, provenance included
    const lines = before.split('\n');
    const start = lines.indexOf('      - provider: anthropic');
    const anthropicLines = lines.slice(start, start + 7);
    expect(anthropicLines.at(-1)).toBe('        asOf: 2026-01-01');
    for (const line of anthropicLines) expect(applied.text.split('\n')).toContain(line);
    expect(diffLiteLLM(fixture('litellm-sample.json'), catalogue).changes).toEqual([]);
  });
});

describe('import --openrouter', () => {
  const tiny = {
    data: [
      { id: 'deepseek/deepseek-v3.2', context_length: 131072, pricing: { prompt: '0.00000027', completion: '0.00000042' }, top_provider: { max_completion_tokens: 65536 } },
      {
        id: 'anthropic/claude-sonnet-4.5',
        context_length: 1000000,
        pricing: { prompt: '0.000003', completion: '0.000015', input_cache_read: '0.0000003', input_cache_write: '0.00000375' },
        top_provider: { max_completion_tokens: 64000 },
      },
      { id: 'qwen/qwen3-max', context_length: 262144, pricing: { prompt: '0.0000012', completion: '0.000006' }, top_provider: null },
      { id: 'openrouter/auto', context_length: 2000000, pricing: { prompt: '-1', completion: '-1' } },
      { id: 'qwen/qwen3-coder:free', context_length: 262144, pricing: { prompt: '0', completion: '0' } },
    ],
  };

  it('diffs, applies, keeps comments and other hosts, and is idempotent', () => {
    const path = miniCopy(withOpenRouter);
    const before = readFileSync(path, 'utf8');
    const result = diffOpenRouter(tiny, load(path));
    expect(result.changes).toEqual([
      { model: 'deepseek/deepseek-v3.2', provider: 'openrouter', host: 'deepseek/deepseek-v3.2', field: 'pricing.input', old: 0.28, new: 0.27 },
    ]);
    expect(result).toMatchObject({
      entries: 5,
      matchedHosts: 2,
      unmatched: ['qwen/qwen3-max'],
      skipped: { 'variable price (negative)': 1, 'free tier (price 0)': 1 },
    });

    writeFileSync(path, applyChanges(before, result.changes, { source: OPENROUTER_SOURCE, asOf: '2026-02-01' }).text);
    const after = readFileSync(path, 'utf8');
    expect(after).toBe(
      before
        .replace('version: "2026.01.01"', 'version: "2026.02.01"')
        .replace(TEST_SOURCE_LINE, `${TEST_SOURCE_LINE}\n  openrouter: { name: "OpenRouter /api/v1/models", url: "https://openrouter.ai/api/v1/models", retrieved: 2026-02-01 }`)
        .replace(OR_DEEPSEEK_LINE, OR_DEEPSEEK_LINE.replace('input: 0.28', 'input: 0.27').replace('source: test, asOf: 2026-01-01', 'source: openrouter, asOf: 2026-02-01')),
    );
    const catalogue = load(path);
    expect(diffOpenRouter(tiny, catalogue).changes).toEqual([]);
  });

  it('imports the real OpenRouter entries (fixture cut from a saved /api/v1/models response)', () => {
    const path = miniCopy(withOpenRouter);
    const result = diffOpenRouter(fixture('openrouter-sample.json'), load(path));
    const host = { model: 'deepseek/deepseek-v3.2', provider: 'openrouter', host: 'deepseek/deepseek-v3.2' };
    expect(result.changes).toEqual([
      { ...host, field: 'pricing.input', old: 0.28, new: 0.25 },
      { ...host, field: 'pricing.output', old: 0.42, new: 0.38 },
      { ...host, field: 'contextLength', old: 131072, new: 163840 },
    ]);
    expect(result).toMatchObject({ entries: 5, matchedHosts: 3, unmatched: [] });
    const text = applyChanges(readFileSync(path, 'utf8'), result.changes, { source: OPENROUTER_SOURCE, asOf: '2026-01-29' }).text;
    expect(load(writeAndReturn(path, text)).model('deepseek/deepseek-v3.2')!.hosts[2]).toMatchObject({ pricing: { input: 0.25, output: 0.38 }, contextLength: 163840 });
  });
});

function writeAndReturn(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}

describe('applyChanges on block-style YAML', () => {
  it('inserts new keys and tiers in the surrounding style, in canonical order', () => {
    const blockHost = [
      '      - provider: anthropic',
      '        name: claude-sonnet-4-5-20250929',
      '        # prices from the vendor page',
      '        pricing:',
      '          input: 3',
      '          output: 15 # list price',
      '        tiers:',
      '          - aboveInputTokens: 200000',
      '            input: 6',
      '            output: 22.5',
      '        prefill: trailing_assistant',
      '        source: test',
      '        asOf: 2026-01-01',
    ].join('\n');
    const text = readFileSync(MINI, 'utf8').replace(/ {6}- provider: anthropic\n(?: {8}.*\n)+/, `${blockHost}\n`);
    expect(text).toContain(blockHost);
    const base = { model: 'anthropic/claude-sonnet-4.5', provider: 'anthropic', host: 'claude-sonnet-4-5-20250929' };
    const changes: Change[] = [
      { ...base, field: 'pricing.input', old: 3, new: 2.5 },
      { ...base, field: 'pricing.cachedInput', old: undefined, new: 0.25 },
      { ...base, field: 'pricing.cacheWrite', old: undefined, new: 3.125 },
      { ...base, field: 'tiers.200000.cachedInput', old: undefined, new: 0.5 },
      { ...base, field: 'tiers.500000.input', old: undefined, new: 10 },
      { ...base, field: 'tiers.500000.output', old: undefined, new: 40 },
    ];
    const out = applyChanges(text, changes, { source: LITELLM_SOURCE, asOf: '2026-02-01' }).text;
    const expectedHost = [
      '      - provider: anthropic',
      '        name: claude-sonnet-4-5-20250929',
      '        # prices from the vendor page',
      '        pricing:',
      '          input: 2.5',
      '          cachedInput: 0.25',
      '          cacheWrite: 3.125',
      '          output: 15 # list price',
      '        tiers:',
      '          - aboveInputTokens: 200000',
      '            input: 6',
      '            cachedInput: 0.5',
      '            output: 22.5',
      '          - { aboveInputTokens: 500000, input: 10, output: 40 }',
      '        prefill: trailing_assistant',
      '        source: litellm',
      '        asOf: 2026-02-01',
    ].join('\n');
    expect(out).toContain(expectedHost);
    const host = parseCatalogue(out).model('claude-sonnet-4-5')!.hosts[0]!;
    expect(host.pricing).toEqual({ input: 2.5, cachedInput: 0.25, cacheWrite: 3.125, output: 15 });
    expect(host.tiers).toEqual([
      { aboveInputTokens: 200000, input: 6, cachedInput: 0.5, output: 22.5 },
      { aboveInputTokens: 500000, input: 10, output: 40 },
    ]);
    // everything outside the host is as it was, bar the version and the new source
    expect(parse(out.replace(expectedHost, blockHost))).toMatchObject({ models: (parse(text) as { models: unknown[] }).models });
  });

  it('adds a pricing block to an unpriced host', () => {
    const text = readFileSync(MINI, 'utf8').replace(TOGETHER_LINE, '      - { provider: together, name: deepseek-ai/DeepSeek-V3.2, source: test, asOf: 2026-01-01 }');
    const base = { model: 'deepseek/deepseek-v3.2', provider: 'together', host: 'deepseek-ai/DeepSeek-V3.2' };
    const catalogue = parseCatalogue(text);
    const result = diffLiteLLM({ 'together_ai/deepseek-ai/DeepSeek-V3.2': { litellm_provider: 'together_ai', input_cost_per_token: 6e-7, output_cost_per_token: 0.0000017 } }, catalogue);
    expect(result.changes).toEqual([
      { ...base, field: 'pricing.input', old: undefined, new: 0.6 },
      { ...base, field: 'pricing.output', old: undefined, new: 1.7 },
    ]);
    const out = applyChanges(text, result.changes, { source: LITELLM_SOURCE, asOf: '2026-02-01' }).text;
    expect(out).toContain('      - { provider: together, name: deepseek-ai/DeepSeek-V3.2, pricing: { input: 0.6, output: 1.7 }, source: litellm, asOf: 2026-02-01 }\n');
  });
});
