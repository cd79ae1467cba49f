import { readFileSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { CatalogueError, DEFAULT_CATALOGUE_PATH, parseCatalogue, type Catalogue } from '../catalog/catalogue.js';
import { formatChanges, formatModelDetail, formatModelList } from '../catalog/format.js';
import { applyChanges } from '../catalog/import/apply.js';
import { today, type ImportResult, type ImportSource } from '../catalog/import/common.js';
import { diffLiteLLM, LITELLM_SOURCE, litellmEntries } from '../catalog/import/litellm.js';
import { diffOpenRouter, OPENROUTER_SOURCE, openRouterModels } from '../catalog/import/openrouter.js';
import { capabilityNames, closeMatches, filterModels, summarizeModel, type CapabilityName } from '../catalog/query.js';
import { tiers, type CatalogModel } from '../catalog/schema.js';

/** `switchboard catalog (list | show ID | import --litellm FILE | import --openrouter FILE)`: reads and updates the model catalogue. */

class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/** Repeatable, comma-separable option values (no default, so help shows none). */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim()).filter((v) => v.length > 0)];
}

function oneOf<T extends string>(allowed: readonly T[]) {
  return (value: string, previous: T[] | undefined): T[] => {
    const values = collect(value, []);
    for (const v of values) if (!allowed.includes(v as T)) throw new InvalidArgumentError(`expected one of ${allowed.join(', ')}`);
    return [...(previous ?? []), ...(values as T[])];
  };
}

function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) throw new InvalidArgumentError('expected YYYY-MM-DD');
  return value;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 2);
  }
}

function readCatalogue(path: string): { text: string; catalogue: Catalogue } {
  const text = readText(path, 'catalogue');
  return { text, catalogue: parseCatalogue(text, path) };
}

/** Runs an action, turning expected failures into a message and an exit code. */
function guarded<A extends unknown[]>(action: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      action(...args);
    } catch (err) {
      if (err instanceof CliError) {
        console.error(`switchboard: ${err.message}`);
        process.exitCode = err.exitCode;
      } else if (err instanceof CatalogueError) {
        console.error(`switchboard: ${err.message}`);
        process.exitCode = 2;
      } else throw err;
    }
  };
}

interface ListOptions {
  catalog: string;
  origin?: string[];
  license?: string;
  openWeights?: boolean;
  closed?: boolean;
  capability?: CapabilityName[];
  tier?: string[];
  provider?: string;
  json?: boolean;
}

function list(opts: ListOptions): void {
  if (opts.openWeights && opts.closed) throw new CliError('--open-weights and --closed exclude each other', 2);
  const { catalogue } = readCatalogue(opts.catalog);
  const models = filterModels(catalogue, {
    origins: opts.origin,
    license: opts.license,
    openWeights: opts.openWeights ? true : opts.closed ? false : undefined,
    capabilities: opts.capability,
    tiers: opts.tier,
    provider: opts.provider,
  });
  const rows = models.map((m) => summarizeModel(m, opts.provider));
  console.log(opts.json ? JSON.stringify(rows, null, 2) : formatModelList(rows));
}

function showJson(catalogue: Catalogue, model: CatalogModel): unknown {
  const providers = Object.fromEntries(model.hosts.map((h) => [h.provider, catalogue.provider(h.provider) ?? null]));
  const keys = new Set([model.source, ...model.hosts.map((h) => h.source), ...Object.values(model.scores ?? {}).map((s) => s.source)]);
  for (const p of Object.values(providers)) if (p) keys.add(p.source);
  const sources = Object.fromEntries([...keys].map((k) => [k, catalogue.file.sources[k] ?? null]));
  return { model, providers, sources };
}

function show(id: string, opts: { catalog: string; json?: boolean }): void {
  const { catalogue } = readCatalogue(opts.catalog);
  const model = catalogue.model(id);
  if (!model) {
    const near = closeMatches(catalogue, id);
    throw new CliError(`unknown model '${id}'${near.length > 0 ? `; did you mean: ${near.join(', ')}?` : ''}`, 1);
  }
  console.log(opts.json ? JSON.stringify(showJson(catalogue, model), null, 2) : formatModelDetail(catalogue, model));
}

interface ImportOptions {
  catalog: string;
  litellm?: string;
  openrouter?: string;
  dryRun?: boolean;
  write?: string;
  asOf?: string;
  verbose?: boolean;
}

function summary(result: ImportResult, hosts: number): string {
  const skipped = Object.entries(result.skipped).map(([why, n]) => `${n} ${why}`);
  return [
    `${result.changes.length} change${result.changes.length === 1 ? '' : 's'} on ${hosts} host${hosts === 1 ? '' : 's'}`,
    `${result.matchedHosts} of ${result.entries} entries matched a catalogue host`,
    ...(skipped.length > 0 ? [`skipped: ${skipped.join(', ')}`] : []),
  ].join('; ');
}

function runImport(opts: ImportOptions): void {
  if ((opts.litellm === undefined) === (opts.openrouter === undefined)) throw new CliError('import needs exactly one of --litellm FILE or --openrouter FILE', 2);
  const file = (opts.litellm ?? opts.openrouter)!;
  const source: ImportSource = opts.litellm !== undefined ? LITELLM_SOURCE : OPENROUTER_SOURCE;
  const { text, catalogue } = readCatalogue(opts.catalog);

  process.stderr.write(`reading ${file}…`);
  let json: unknown;
  try {
    json = JSON.parse(readText(file, 'file'));
  } catch (err) {
    process.stderr.write('\n');
    throw err instanceof CliError ? err : new CliError(`${file} is not JSON: ${(err as Error).message}`, 2);
  }
  let result: ImportResult;
  try {
    process.stderr.write(` ${opts.litellm !== undefined ? litellmEntries(json).length : openRouterModels(json).length} entries\n`);
    result = opts.litellm !== undefined ? diffLiteLLM(json, catalogue) : diffOpenRouter(json, catalogue);
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`, 2);
  }

  if (result.changes.length > 0) console.log(formatChanges(result.changes));
  if (opts.verbose) for (const label of result.unmatched) console.log(`unmatched: ${label}`);
  const applied = applyChanges(text, result.changes, { source, asOf: opts.asOf ?? today() });
  for (const note of applied.notes) console.log(note);
  console.log(summary(result, applied.hostsChanged));

  const target = opts.write ?? opts.catalog;
  if (opts.dryRun) {
    console.log('dry run: nothing written');
    return;
  }
  if (result.changes.length === 0 && opts.write === undefined) return;
  parseCatalogue(applied.text, target); // never write an invalid catalogue
  writeFileSync(target, applied.text);
  parseCatalogue(readFileSync(target, 'utf8'), target);
  console.log(`wrote ${target}`);
}

export function registerCatalog(program: Command): void {
  const catalog = program.command('catalog').description('Reads and updates the model catalogue');
  const catalogOption = ['--catalog <file>', 'catalogue file', DEFAULT_CATALOGUE_PATH] as const;

  catalog
    .command('list')
    .description('list catalogue models (filters combine with AND)')
    .option(...catalogOption)
    .option('--config <file>', 'configuration file (accepted; not used yet)')
    .option('--origin <cc>', "developer's country, repeatable or comma-separated; EU = every EU member state", collect)
    .option('--license <id>', 'licence id, e.g. MIT, Apache-2.0')
    .option('--open-weights', 'open-weight models only')
    .option('--closed', 'closed-weight models only')
    .option('--capability <name>', `required capability, repeatable: ${capabilityNames.join('|')}`, oneOf(capabilityNames))
    .option('--tier <tier>', `tier, repeatable or comma-separated: ${tiers.join('|')}`, oneOf(tiers))
    .option('--provider <id>', 'models hosted by this provider (prices shown are its own)')
    .option('--json', 'machine-readable output')
    .action(guarded((opts: ListOptions) => list(opts)));

  catalog
    .command('show')
    .description("one model's facts and hosts, with where each fact came from")
    .argument('<id>', 'model id or alias')
    .option(...catalogOption)
    .option('--config <file>', 'configuration file (accepted; not used yet)')
    .option('--json', 'machine-readable output')
    .action(guarded((id: string, opts: { catalog: string; json?: boolean }) => show(id, opts)));

  catalog
    .command('import')
    .description("update existing hosts' prices and limits from a LiteLLM price file or an OpenRouter models response")
    .option(...catalogOption)
    .option('--litellm <file>', "LiteLLM's model_prices_and_context_window.json")
    .option('--openrouter <file>', 'a saved GET https://openrouter.ai/api/v1/models response')
    .option('--dry-run', 'print the changes without writing')
    .option('--write <file>', 'write the result here instead of back to the catalogue file')
    .option('--as-of <date>', 'date the imported facts are valid for (default: today, UTC)', isoDate)
    .option('--verbose', 'also list source entries that match no catalogue host')
    .action(guarded((opts: ImportOptions) => runImport(opts)));
}
