import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { findConfigFile, loadConfig, parseConfigText } from '../../src/config/load.js';
import { buildRegistry } from '../../src/catalog/registry.js';
import { resolveAuth, isLoopbackHost } from '../../src/server/auth.js';
import { miniCatalogue } from '../support/catalogue.js';
import { tempDir } from '../support/temp-dir.js';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration file', () => {
  it('applies the documented defaults to an empty file', () => {
    const config = parseConfigText('', 'x', {});
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8787, trustProxy: false, maxBodyBytes: 10485760 });
    expect(config.auth).toBe('keys');
    expect(config.storage).toEqual({ database: 'sqlite://.switchboard/switchboard.db', onRedisDown: 'fail-closed' });
    expect(config.ledger).toEqual({ baseline: 'anthropic/claude-sonnet-4.5', storePrompts: false, retentionDays: 400 });
    expect(config.routing.resumeStreams).toBe(true);
  });

  it('accepts the example from the contract', () => {
    const yaml = `
server: { host: 127.0.0.1, port: 8787, trustProxy: false, maxBodyBytes: 10485760 }
auth: keys
storage:
  database: sqlite://.switchboard/switchboard.db
  redis: redis://127.0.0.1:6379
  onRedisDown: fail-closed
admin: { apiKeyEnv: SWITCHBOARD_ADMIN_KEY }
ledger: { baseline: anthropic/claude-sonnet-4.5, storePrompts: false, retentionDays: 400 }
routing:
  resumeStreams: true
  aliases:
    fast: [qwen/qwen3-30b-a3b, deepseek/deepseek-v3.2]
    frontier: [anthropic/claude-sonnet-4.5, openai/gpt-5]
  substitutes:
    deepseek/deepseek-v3.2: [qwen/qwen3-235b-a22b, mistralai/mistral-medium-3]
  defaultPolicy: null
providers:
  deepseek:
    type: openai-compatible
    baseURL: https://api.deepseek.com/v1
    apiKeyEnv: DEEPSEEK_API_KEY
    headers: {}
    jurisdiction: CN
    selfHosted: false
    models:
      deepseek/deepseek-v3.2: deepseek-chat
      acme/house-7b: { name: house-7b, contextLength: 32768, prefill: true, pricing: { prompt: 0.0000002, completion: 0.0000006, cachedPrompt: 0.00000005, cacheWrite: 0 } }
    timeouts: { connectMs: 5000, firstTokenMs: 60000, idleMs: 30000, totalMs: 600000 }
policies:
  no-cn: { denyOrigins: [CN] }
  no-cn-hosting: { denyJurisdictions: [CN] }
  open-only: { openWeightsOnly: true }
dataClasses:
  confidential: { selfHostedOnly: true }
`;
    const config = parseConfigText(yaml, 'contract', {});
    expect(config.providers.deepseek!.jurisdiction).toBe('CN');
    expect(config.policies['no-cn']).toEqual({ denyOrigins: ['CN'] });
  });

  it('names the path of every unknown key and wrong type', () => {
    const found = problems(() =>
      parseConfigText(
        `
server: { port: "eighty", hots: x }
providers:
  deepseek: { baseURL: 12, modles: {} }
policies:
  p: { denyOrigin: [CN] }
colour: blue
`,
        'bad.yaml',
        {},
      ),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^server\.port: /),
        'server.hots: unknown key',
        expect.stringMatching(/^providers\.deepseek\.baseURL: /),
        'providers.deepseek.modles: unknown key',
        'policies.p.denyOrigin: unknown key',
        'colour: unknown key',
      ]),
    );
  });

  it('rejects a jurisdiction that is not a country code', () => {
    expect(problems(() => parseConfigText('providers: { x: { type: openai-compatible, baseURL: "http://h", jurisdiction: china } }', 'x', {}))[0]).toMatch(
      /^providers\.x\.jurisdiction: /,
    );
  });

  it('interpolates ${VAR} and ${VAR:-default}, and names unset variables', () => {
    const config = parseConfigText('storage: { database: "postgres://u:${PGPASS}@h/db", redis: "${REDIS_URL:-redis://127.0.0.1:6379}" }', 'x', { PGPASS: 's3cret' });
    expect(config.storage.database).toBe('postgres://u:s3cret@h/db');
    expect(config.storage.redis).toBe('redis://127.0.0.1:6379');
    expect(problems(() => parseConfigText('ledger: { baseline: "${NOPE}" }', 'x', {}))).toEqual(['ledger.baseline: environment variable NOPE is not set']);
  });

  it('reports YAML syntax errors', () => {
    expect(problems(() => parseConfigText('server: [1, 2', 'x', {}))[0]).toMatch(/^YAML: /);
  });

  it('finds the file: --config, then $SWITCHBOARD_CONFIG, then ./switchboard.yaml', () => {
    const dir = tempDir('sb-config-');
    expect(findConfigFile(undefined, {}, dir)).toBeUndefined();
    writeFileSync(join(dir, 'switchboard.yaml'), 'auth: keys\n');
    expect(findConfigFile(undefined, {}, dir)).toBe(join(dir, 'switchboard.yaml'));
    expect(findConfigFile(undefined, { SWITCHBOARD_CONFIG: 'other.yaml' }, dir)).toBe(join(dir, 'other.yaml'));
    expect(findConfigFile('cli.yaml', { SWITCHBOARD_CONFIG: 'other.yaml' }, dir)).toBe(join(dir, 'cli.yaml'));
    const loaded = loadConfig({ cwd: dir, env: {} });
    expect(loaded.builtInDefaults).toBe(false);
    expect(Object.isFrozen(loaded.config.server)).toBe(true);
    expect(loadConfig({ cwd: tempDir('sb-empty-'), env: {} }).builtInDefaults).toBe(true);
  });
});

describe('providers', () => {
  const hasAdapter = (d: string) => d === 'openai-compatible';
  const catalogue = miniCatalogue();

  it('detects providers from the usual API-key variables when no file exists', () => {
    const config = parseConfigText('', 'x', {});
    const { registry, warnings } = buildRegistry({
      config,
      env: { DEEPSEEK_API_KEY: 'sk-d', MISTRAL_API_KEY: 'm', ANTHROPIC_API_KEY: 'a', AWS_ACCESS_KEY_ID: 'x' },
      detectFromEnv: true,
      hasAdapter,
      catalogue,
    });
    expect([...registry.providers.keys()].sort()).toEqual(['deepseek', 'mistral']);
    expect(warnings.map((w) => w.provider)).toEqual(['anthropic']);
    expect(registry.resolve('deepseek-chat')?.id).toBe('deepseek/deepseek-v3.2');
    expect(registry.resolve('DeepSeek/DeepSeek-V3.2')?.id).toBe('deepseek/deepseek-v3.2');
  });

  it('lets a catalogue provider inherit its facts and a config override them', () => {
    const config = parseConfigText('providers:\n  deepseek: { baseURL: "http://127.0.0.1:9/v1", models: { acme/x: x-1 } }', 'x', {});
    const { registry } = buildRegistry({ config, env: { DEEPSEEK_API_KEY: 'k' }, detectFromEnv: false, hasAdapter, catalogue });
    const provider = registry.providers.get('deepseek')!;
    expect(provider.baseURL).toBe('http://127.0.0.1:9/v1');
    expect(provider.jurisdiction).toBe('CN');
    expect(registry.resolve('deepseek/deepseek-v3.2')!.hosts[0]!.upstreamModel).toBe('deepseek-chat');
    expect(registry.resolve('acme/x')!.hosts[0]!.upstreamModel).toBe('x-1');
  });

  it('stops start-up when a named key variable is unset, and needs type and baseURL for new providers', () => {
    const config = parseConfigText('providers:\n  mine: { apiKeyEnv: MINE_KEY }\n  vllm: { type: openai-compatible, baseURL: "http://127.0.0.1:8000/v1", selfHosted: true }', 'x', {});
    expect(problems(() => buildRegistry({ config, env: {}, detectFromEnv: false, hasAdapter, catalogue }))).toEqual([
      'providers.mine.type: required for a provider the catalogue does not know',
      'providers.mine.baseURL: required for a provider the catalogue does not know',
      'providers.mine.apiKeyEnv: environment variable MINE_KEY is not set',
    ]);
  });
});

describe('authentication rules', () => {
  const config = (yaml: string) => parseConfigText(yaml, 'x', {});

  it('runs open on loopback without an admin key', () => {
    expect(resolveAuth(config(''), {}, '127.0.0.1')).toEqual({ adminKey: undefined, openModelAccess: true });
    expect(resolveAuth(config(''), {}, '::1').openModelAccess).toBe(true);
  });

  it('refuses a non-loopback address without an admin key unless auth: none', () => {
    expect(problems(() => resolveAuth(config(''), {}, '0.0.0.0'))[0]).toMatch(/refusing to listen on 0\.0\.0\.0/);
    expect(resolveAuth(config('auth: none'), {}, '0.0.0.0').openModelAccess).toBe(true);
  });

  it('requires keys once an admin key is set', () => {
    const settings = resolveAuth(config(''), { SWITCHBOARD_ADMIN_KEY: 'sk-admin-1234' }, '0.0.0.0');
    expect(settings).toEqual({ adminKey: 'sk-admin-1234', openModelAccess: false });
  });

  it('stops start-up when admin.apiKeyEnv names an unset variable', () => {
    expect(problems(() => resolveAuth(config('admin: { apiKeyEnv: MY_ADMIN }'), {}, '127.0.0.1'))).toEqual(['admin.apiKeyEnv: environment variable MY_ADMIN is not set']);
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', 'example.com'].some(isLoopbackHost)).toBe(false);
  });
});
