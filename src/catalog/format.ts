import type { Catalogue } from './catalogue.js';
import type { Change } from './import/common.js';
import type { ModelSummary } from './query.js';
import type { CatalogHost, CatalogModel, CatalogProvider } from './schema.js';

/** Plain-text rendering for `switchboard catalog`: aligned columns, no colours, lines kept within ~160 characters. */

const DASH = '—';

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Columns separated by two spaces; `right` lists the columns aligned right; `max` caps column widths. */
export function renderTable(headers: string[], rows: string[][], options: { right?: number[]; max?: (number | undefined)[] } = {}): string {
  const cells = [headers, ...rows].map((row) => row.map((cell, i) => truncate(cell, options.max?.[i] ?? Infinity)));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (options.right?.includes(i) ? cell.padStart(widths[i]!) : i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** 131072 → 131k, 1048576 → 1.05M. */
export function formatTokens(n: number | undefined): string {
  if (n === undefined) return DASH;
  if (n >= 1_000_000) return `${Number((n / 1_000_000).toFixed(2))}M`;
  if (n >= 1_000) return `${Math.round(n / 1_000)}k`;
  return String(n);
}

/** USD per 1M tokens as written in the catalogue (no float noise: values there have at most 6 decimals). */
export function formatUsd(n: number | undefined): string {
  return n === undefined ? DASH : `$${Number(n.toFixed(6))}`;
}

function yesNo(value: boolean | undefined, unknown = 'unknown'): string {
  return value === undefined ? unknown : value ? 'yes' : 'no';
}

export function formatModelList(rows: readonly ModelSummary[]): string {
  if (rows.length === 0) return 'no models match';
  const table = renderTable(
    ['ID', 'ORIGIN', 'OPEN', 'LICENCE', 'TIER', 'CONTEXT', 'IN $/M', 'OUT $/M', 'HOSTS'],
    rows.map((r) => [
      r.id,
      r.origin,
      r.openWeights ? 'yes' : 'no',
      r.license,
      r.tier,
      formatTokens(r.contextLength),
      formatUsd(r.cheapest?.input),
      formatUsd(r.cheapest?.output),
      String(r.hosts),
    ]),
    { right: [5, 6, 7, 8], max: [56, 6, 4, 24, 9, 8, 10, 10, 5] },
  );
  return `${table}\n${rows.length} model${rows.length === 1 ? '' : 's'} (prices: cheapest priced host, USD per 1M tokens)`;
}

function provenance(catalogue: Catalogue, source: string, asOf: string): string {
  const name = catalogue.file.sources[source]?.name;
  return `${name ? `${name} [${source}]` : source}, as of ${asOf}`;
}

const WIDTH = 160;

/** Word-wraps `text` to `width`, continuation lines indented by `hang` spaces. */
function wrap(text: string, width: number, hang: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line.length > 0 ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(hang)}`);
}

function field(label: string, value: string, indent = '  '): string {
  const prefix = `${indent}${label.padEnd(14)}`;
  return prefix + wrap(value, WIDTH - prefix.length, prefix.length);
}

function providerFacts(p: CatalogProvider | undefined, id: string): string {
  if (!p) return `${id} (not in providers)`;
  const facts = [`jurisdiction ${p.jurisdiction}`];
  if (p.headquarters && p.headquarters !== p.jurisdiction) facts.push(`HQ ${p.headquarters}`);
  facts.push(
    `retention ${p.dataRetentionDays === undefined ? 'unknown' : p.dataRetentionDays === 0 ? '0 days (ZDR)' : `${p.dataRetentionDays} days`}`,
    `trains on prompts: ${yesNo(p.trainsOnPrompts)}`,
  );
  if (!p.routable) facts.push('not routable');
  if (p.selfHosted) facts.push('self-hosted');
  return `${p.id} — ${p.company}; ${facts.join('; ')}`;
}

function priceLine(p: { input: number; output: number; cachedInput?: number; cacheWrite?: number }): string {
  const parts = [`input ${formatUsd(p.input)}`];
  if (p.cachedInput !== undefined) parts.push(`cached ${formatUsd(p.cachedInput)}`);
  if (p.cacheWrite !== undefined) parts.push(`cache write ${formatUsd(p.cacheWrite)}`);
  parts.push(`output ${formatUsd(p.output)}`);
  return parts.join(' · ');
}

function hostBlock(catalogue: Catalogue, model: CatalogModel, host: CatalogHost): string[] {
  const provider = catalogue.provider(host.provider);
  const lines = [`  ${host.provider}  ${host.name}`, field('provider', providerFacts(provider, host.provider), '    ')];
  lines.push(field('price $/1M', host.pricing ? priceLine(host.pricing) : 'unpriced (unknown, not free)', '    '));
  for (const tier of host.tiers ?? []) {
    lines.push(field('', `above ${tier.aboveInputTokens.toLocaleString('en-US')} input tokens: ${priceLine(tier)}`, '    '));
  }
  const limit = (own: number | undefined, inherited: number | undefined) =>
    own !== undefined ? own.toLocaleString('en-US') : inherited !== undefined ? `${inherited.toLocaleString('en-US')} (model's)` : 'unknown';
  lines.push(field('context', `${limit(host.contextLength, model.contextLength)}; max output ${limit(host.maxOutput, model.maxOutput)}`, '    '));
  if (host.quantization) lines.push(field('quantization', host.quantization, '    '));
  lines.push(field('prefill', host.prefill ?? 'unknown', '    '));
  if (host.supportedParameters?.length) lines.push(field('parameters', host.supportedParameters.join(', '), '    '));
  lines.push(field('source', provenance(catalogue, host.source, host.asOf), '    '));
  if (host.note) lines.push(field('note', host.note, '    '));
  return lines;
}

export function formatModelDetail(catalogue: Catalogue, model: CatalogModel): string {
  const caps = Object.entries(model.capabilities);
  const lines = [
    `${model.id} — ${model.name}`,
    field('developer', `${model.developer} (origin ${model.origin})`),
    field('open weights', `${model.openWeights ? 'yes' : 'no'}; licence ${model.license.id} <${model.license.url}>`),
    field('released', model.released),
    field('tier', model.tier),
    field('context', `${model.contextLength.toLocaleString('en-US')} tokens; max output ${model.maxOutput?.toLocaleString('en-US') ?? 'unknown'}`),
    field('modalities', `in ${model.modalities.input.join(', ')}; out ${model.modalities.output.join(', ')}`),
    field('capabilities', caps.map(([name, on]) => (on ? name : `no ${name}`)).join(', ')),
    field('aliases', model.aliases.length > 0 ? model.aliases.join(', ') : DASH),
  ];
  const scores = Object.entries(model.scores ?? {});
  if (scores.length > 0) lines.push(field('scores', scores.map(([name, s]) => `${name} ${s.value} [${s.source}]`).join(', ')));
  lines.push(field('source', provenance(catalogue, model.source, model.asOf)), '', `hosts (${model.hosts.length}):`);
  for (const host of model.hosts) lines.push(...hostBlock(catalogue, model, host), '');
  return lines.join('\n').trimEnd();
}

/** One line per change, `model  provider  field  old → new`, aligned; `—` for a field being added. */
export function formatChanges(changes: readonly Change[]): string {
  const rows = changes.map((c) => [c.model, c.provider, c.field, `${c.old === undefined ? DASH : String(c.old)} → ${String(c.new)}`]);
  return renderTable(['', '', '', ''], rows).split('\n').slice(1).join('\n');
}
