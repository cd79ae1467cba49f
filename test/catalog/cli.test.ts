import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCatalogue } from '../../src/catalog/catalogue.js';
import { EU_MEMBERS, matchesCountry } from '../../src/catalog/regions.js';
import { miniCatalogue } from '../support/catalogue.js';
import { closeMatches, filterModels } from '../../src/catalog/query.js';
import { tempDir } from '../support/temp-dir.js';

// The CLI runs from dist/: `npm test` builds first; run `npm run build` before running this file alone.
const BIN = fileURLToPath(new URL('../../bin/switchboard.js', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/cli/catalog.js', import.meta.url));
const MINI = fileURLToPath(new URL('../fixtures/catalog/mini.yaml', import.meta.url));
const LITELLM = fileURLToPath(new URL('../fixtures/catalog/litellm-sample.json', import.meta.url));

function miniCopy(): string {
  const path = join(tempDir('sb-catalog-cli-'), 'catalog.yaml');
  copyFileSync(MINI, path);
  return path;
}

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, 'catalog', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    timeout: 15_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const ids = (stdout: string): string[] => (JSON.parse(stdout) as { id: string }[]).map((m) => m.id);

describe('regions', () => {
  it('matches countries and the EU', () => {
    expect(matchesCountry('EU', 'FR')).toBe(true);
    expect(matchesCountry('EU', 'US')).toBe(false);
    expect(matchesCountry('CN', 'CN')).toBe(true);
    expect(matchesCountry('eu', 'de')).toBe(true);
    expect(matchesCountry('EU', 'EU')).toBe(true);
    expect(matchesCountry('FR', 'EU')).toBe(false);
    expect(matchesCountry('EU', 'GB')).toBe(false);
    expect(EU_MEMBERS.size).toBe(27);
  });
});

describe('catalogue queries', () => {
  const catalogue = miniCatalogue();
  it('filters', () => {
    expect(filterModels(catalogue, { origins: ['EU'] }).map((m) => m.id)).toEqual(['mistralai/mistral-medium-3']);
    expect(filterModels(catalogue, { openWeights: false, capabilities: ['reasoning'] }).map((m) => m.id)).toEqual(['anthropic/claude-sonnet-4.5']);
    expect(filterModels(catalogue, { provider: 'together' }).map((m) => m.id)).toEqual(['deepseek/deepseek-v3.2']);
    expect(filterModels(catalogue, { license: 'mit', tiers: ['strong'] }).map((m) => m.id)).toEqual(['deepseek/deepseek-v3.2']);
  });
  it('suggests close matches', () => {
    expect(closeMatches(catalogue, 'deepseek-v3')).toEqual(['deepseek/deepseek-v3.2']);
    expect(closeMatches(catalogue, 'claude-sonet-4.5')).toEqual(['anthropic/claude-sonnet-4.5']);
    expect(closeMatches(catalogue, 'zzzz')).toEqual([]);
  });
});

describe('switchboard catalog', () => {
  beforeAll(() => {
    if (!existsSync(DIST)) throw new Error('dist/ has no catalog CLI: run `npm run build` first');
  });

  it('list: filters by origin, with EU expanding to member states', () => {
    const catalog = miniCopy();
    const cn = cli('list', '--catalog', catalog, '--origin', 'CN', '--json');
    expect(cn.status).toBe(0);
    expect(ids(cn.stdout)).toEqual(['deepseek/deepseek-v3.2']);
    expect(ids(cli('list', '--catalog', catalog, '--origin', 'EU', '--json').stdout)).toEqual(['mistralai/mistral-medium-3']);
    expect(ids(cli('list', '--catalog', catalog, '--origin', 'US', '--origin', 'FR', '--json').stdout)).toEqual(['mistralai/mistral-medium-3', 'anthropic/claude-sonnet-4.5']);
    expect(ids(cli('list', '--catalog', catalog, '--origin', 'CN,US', '--json').stdout)).toEqual(['deepseek/deepseek-v3.2', 'anthropic/claude-sonnet-4.5']);
  });

  it('list: other filters, JSON rows, and the table', () => {
    const catalog = miniCopy();
    expect(ids(cli('list', '--catalog', catalog, '--closed', '--capability', 'vision', '--capability', 'reasoning', '--json').stdout)).toEqual(['anthropic/claude-sonnet-4.5']);
    expect(ids(cli('list', '--catalog', catalog, '--open-weights', '--json').stdout)).toEqual(['deepseek/deepseek-v3.2']);
    expect(ids(cli('list', '--catalog', catalog, '--tier', 'frontier', '--json').stdout)).toEqual(['anthropic/claude-sonnet-4.5']);
    expect(ids(cli('list', '--catalog', catalog, '--license', 'MIT', '--json').stdout)).toEqual(['deepseek/deepseek-v3.2']);
    const bedrock = JSON.parse(cli('list', '--catalog', catalog, '--provider', 'bedrock', '--json').stdout) as unknown[];
    expect(bedrock).toEqual([expect.objectContaining({ id: 'anthropic/claude-sonnet-4.5', hosts: 2, cheapest: { provider: 'bedrock', host: 'anthropic.claude-sonnet-4-5-20250929-v1:0', input: 3.3, output: 16.5 } })]);

    const table = cli('list', '--catalog', catalog, '--config', 'ignored.yaml');
    expect(table.status).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+ORIGIN\s+OPEN\s+LICENCE\s+TIER\s+CONTEXT\s+IN \$\/M\s+OUT \$\/M\s+HOSTS$/);
    expect(lines[1]).toMatch(/^deepseek\/deepseek-v3\.2\s+CN\s+yes\s+MIT\s+strong\s+131k\s+\$0\.28\s+\$0\.42\s+2$/);
    expect(lines.at(-1)).toContain('3 models');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(160);
    expect(cli('list', '--catalog', catalog, '--capability', 'telepathy').status).not.toBe(0);
  });

  it('show: by alias, with provenance and one block per host', () => {
    const catalog = miniCopy();
    const out = cli('show', 'claude-sonnet-4-5', '--catalog', catalog);
    expect(out.status).toBe(0);
    expect(out.stdout).toContain('anthropic/claude-sonnet-4.5 — Claude Sonnet 4.5');
    expect(out.stdout).toContain('Test data [test], as of 2026-01-01');
    expect(out.stdout).toContain('hosts (2):');
    expect(out.stdout).toContain('input $3 · cached $0.3 · cache write $3.75 · output $15');
    expect(out.stdout).toContain('above 200,000 input tokens: input $6');
    expect(out.stdout).toMatch(/bedrock — AWS; jurisdiction US; .*not routable/);

    const json = JSON.parse(cli('show', 'deepseek-ai/DeepSeek-V3.2', '--catalog', catalog, '--json').stdout) as {
      model: { id: string; hosts: unknown[] };
      providers: Record<string, { jurisdiction: string }>;
      sources: Record<string, unknown>;
    };
    expect(json.model.id).toBe('deepseek/deepseek-v3.2');
    expect(json.model.hosts).toHaveLength(2);
    expect(json.providers.deepseek!.jurisdiction).toBe('CN');
    expect(Object.keys(json.sources)).toEqual(['test']);
  });

  it('show: an unknown id exits 1 and suggests close matches', () => {
    const out = cli('show', 'deepseek-v3', '--catalog', miniCopy());
    expect(out.status).toBe(1);
    expect(out.stderr).toContain("unknown model 'deepseek-v3'; did you mean: deepseek/deepseek-v3.2?");
  });

  it('a missing catalogue file exits 2', () => {
    const out = cli('list', '--catalog', join(tmpdir(), 'no-such-catalogue.yaml'));
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('cannot read catalogue');
  });

  it('import --litellm --dry-run prints the changes and leaves the file alone', () => {
    const catalog = miniCopy();
    const before = readFileSync(catalog, 'utf8');
    const out = cli('import', '--catalog', catalog, '--litellm', LITELLM, '--dry-run', '--as-of', '2026-07-24');
    expect(out.status).toBe(0);
    expect(out.stderr).toContain(`reading ${LITELLM}… 9 entries`);
    expect(out.stdout).toMatch(/^mistralai\/mistral-medium-3\s+mistral\s+pricing\.input\s+0\.4 → 1\.5$/m);
    expect(out.stdout).toMatch(/^anthropic\/claude-sonnet-4\.5\s+bedrock\s+tiers\.200000\.output\s+— → 22\.5$/m);
    expect(out.stdout).toContain('10 changes on 2 hosts');
    expect(out.stdout).toContain('dry run: nothing written');
    expect(readFileSync(catalog, 'utf8')).toBe(before);
  });

  it('import --write writes elsewhere, valid and up to date; a second run finds nothing', () => {
    const catalog = miniCopy();
    const before = readFileSync(catalog, 'utf8');
    const target = join(tempDir('sb-catalog-out-'), 'out.yaml');
    const out = cli('import', '--catalog', catalog, '--litellm', LITELLM, '--write', target, '--as-of', '2026-07-24', '--verbose');
    expect(out.status).toBe(0);
    expect(out.stdout).toContain(`wrote ${target}`);
    expect(out.stdout).toContain('unmatched: gemini/gemini-2.5-pro (google gemini-2.5-pro)');
    expect(readFileSync(catalog, 'utf8')).toBe(before);
    const written = parseCatalogue(readFileSync(target, 'utf8'));
    expect(written.model('mistral-medium-latest')!.hosts[0]).toMatchObject({ pricing: { input: 1.5, output: 7.5 }, source: 'litellm', asOf: '2026-07-24' });

    const again = cli('import', '--catalog', target, '--litellm', LITELLM, '--as-of', '2026-07-25');
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('0 changes on 0 hosts');
    expect(again.stdout).not.toContain('wrote');
  });

  it('import needs exactly one source', () => {
    expect(cli('import', '--catalog', miniCopy()).status).toBe(2);
    expect(cli('import', '--catalog', miniCopy(), '--litellm', LITELLM, '--openrouter', LITELLM).status).toBe(2);
    expect(cli('import', '--catalog', miniCopy(), '--litellm', LITELLM, '--as-of', '24/07/2026').status).not.toBe(0);
  });
});
