import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, isSeq, parse, parseDocument, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { PRICE_KEYS, type Change, type ImportSource } from './common.js';

/**
 * Writes an import's changes into the catalogue's YAML text. The file is parsed with the yaml Document API and each
 * change is spliced into the source text at the node's own range, so everything else — comments, key order, blank
 * lines, flow or block style, quoting — stays byte for byte as it was. (Re-serialising the Document with toString()
 * would keep comments and order but normalise layout file-wide, e.g. `[a, b]` → `[ a, b ]` on every line.)
 * The result is checked: it must parse to exactly the old data plus the changes.
 */

export interface ApplyOptions {
  source: ImportSource;
  /** YYYY-MM-DD: each changed host's new `asOf`, the source's `retrieved`, the catalogue's new version. */
  asOf: string;
}

export interface ApplyResult {
  text: string;
  hostsChanged: number;
  /** File-level edits besides the changes themselves (version bump, source added). */
  notes: string[];
}

interface Edit {
  at: number;
  end: number;
  text: string;
}

const HOST_ORDER = ['provider', 'name', 'pricing', 'tiers', 'contextLength', 'maxOutput', 'quantization', 'supportedParameters', 'prefill', 'source', 'asOf', 'note'];
const PRICE_ORDER: readonly string[] = PRICE_KEYS;
const TIER_ORDER = ['aboveInputTokens', ...PRICE_KEYS];

type Values = Partial<Record<string, number>>;
interface HostChanges {
  model: string;
  provider: string;
  host: string;
  pricing: Values;
  tiers: Map<number, Values>;
  limits: Values;
}

/** Groups changes by host, in order of first appearance. */
function groupByHost(changes: readonly Change[]): HostChanges[] {
  const groups = new Map<string, HostChanges>();
  for (const change of changes) {
    const id = `${change.model}\u0000${change.provider}\u0000${change.host}`;
    let group = groups.get(id);
    if (!group) {
      group = { model: change.model, provider: change.provider, host: change.host, pricing: {}, tiers: new Map(), limits: {} };
      groups.set(id, group);
    }
    const parts = change.field.split('.');
    if (parts[0] === 'pricing') group.pricing[parts[1]!] = change.new;
    else if (parts[0] === 'tiers') {
      const above = Number(parts[1]);
      const tier = group.tiers.get(above) ?? {};
      tier[parts[2]!] = change.new;
      group.tiers.set(above, tier);
    } else group.limits[change.field] = change.new;
  }
  return [...groups.values()];
}

/** `{ a: 1, b: 2 }` with keys in canonical order. */
function flowMap(values: Values, order: readonly string[]): string {
  const keys = Object.keys(values).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return `{ ${keys.map((k) => `${k}: ${String(values[k])}`).join(', ')} }`;
}

function keyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => keyOf(p) === key) as Pair | undefined;
}

class Splicer {
  readonly edits: Edit[] = [];
  constructor(readonly src: string) {}

  private range(node: Node | null | undefined): [number, number, number] {
    if (!node?.range) throw new Error('internal error: YAML node without a source range');
    return node.range;
  }

  private column(pos: number): number {
    return pos - (this.src.lastIndexOf('\n', pos - 1) + 1);
  }

  /** Start of the line after the one holding `pos` (or `pos` itself when it already starts a line). */
  private nextLine(pos: number): number {
    if (pos > 0 && this.src[pos - 1] === '\n') return pos;
    const nl = this.src.indexOf('\n', pos);
    return nl === -1 ? this.src.length : nl + 1;
  }

  private blockLines(at: number, lines: string[]): Edit {
    const lead = at === this.src.length && !this.src.endsWith('\n') ? '\n' : '';
    return { at, end: at, text: lead + lines.map((l) => `${l}\n`).join('') };
  }

  /** Overwrites scalar values and inserts new keys (YAML text) in canonical order, in the map's own style. */
  setValues(map: YAMLMap, values: [string, string][], order: readonly string[]): void {
    const fresh: [string, string][] = [];
    for (const [key, text] of values) {
      const pair = findPair(map, key);
      if (!pair) fresh.push([key, text]);
      else if (!isScalar(pair.value)) throw new Error(`cannot overwrite '${key}': not a plain value`);
      else this.edits.push({ at: this.range(pair.value)[0], end: this.range(pair.value)[1], text });
    }
    const byAnchor = new Map<Pair | undefined, [string, string][]>();
    for (const entry of fresh.sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]))) {
      const rank = order.indexOf(entry[0]);
      let anchor: Pair | undefined;
      for (const pair of map.items as Pair[]) {
        const r = order.indexOf(String(keyOf(pair)));
        if (rank === -1 || (r !== -1 && r < rank)) anchor = pair;
      }
      byAnchor.set(anchor, [...(byAnchor.get(anchor) ?? []), entry]);
    }
    for (const [anchor, entries] of byAnchor) this.insertPairs(map, anchor, entries);
  }

  private insertPairs(map: YAMLMap, anchor: Pair | undefined, entries: [string, string][]): void {
    const pairs = entries.map(([k, v]) => `${k}: ${v}`);
    const first = map.items[0] as Pair | undefined;
    if (map.flow) {
      if (anchor) this.edits.push({ at: this.range(anchor.value as Node)[1], end: this.range(anchor.value as Node)[1], text: pairs.map((p) => `, ${p}`).join('') });
      else if (first) this.edits.push({ at: this.range(first.key as Node)[0], end: this.range(first.key as Node)[0], text: pairs.map((p) => `${p}, `).join('') });
      else this.edits.push({ at: this.range(map)[0] + 1, end: this.range(map)[0] + 1, text: ` ${pairs.join(', ')} ` });
      return;
    }
    if (!anchor) throw new Error(`cannot insert '${entries[0]![0]}' into this block mapping`);
    const indent = ' '.repeat(this.column(this.range(anchor.key as Node)[0]));
    this.edits.push(this.blockLines(this.nextLine(this.range(anchor.value as Node)[1]), pairs.map((p) => indent + p)));
  }

  /** Appends an item (YAML flow text) to a sequence, in the sequence's own style. */
  appendItem(seq: YAMLSeq, text: string): void {
    const last = seq.items[seq.items.length - 1] as Node | undefined;
    if (seq.flow || !last) {
      const at = last ? this.range(last)[1] : this.range(seq)[0] + 1;
      this.edits.push({ at, end: at, text: last ? `, ${text}` : text });
      return;
    }
    const dash = this.src.lastIndexOf('-', this.range(last)[0]);
    this.edits.push(this.blockLines(this.nextLine(this.range(last)[1]), [`${' '.repeat(this.column(dash))}- ${text}`]));
  }

  apply(): string {
    const ordered = this.edits.map((e, i) => ({ ...e, i })).sort((a, b) => b.at - a.at || b.i - a.i);
    let out = this.src;
    let floor = Infinity;
    for (const edit of ordered) {
      if (edit.end > floor) throw new Error('internal error: overlapping edits');
      out = out.slice(0, edit.at) + edit.text + out.slice(edit.end);
      floor = edit.at;
    }
    return out;
  }
}

function stringText(value: string, like: Node | undefined): string {
  if (isScalar(like) && like.type === 'QUOTE_DOUBLE') return JSON.stringify(value);
  if (isScalar(like) && like.type === 'QUOTE_SINGLE') return `'${value.replaceAll("'", "''")}'`;
  return value;
}

/** The next catalogue version after `current` for data dated `asOf`: `YYYY.MM.DD`, or `.N` bumped on the same day. */
export function nextVersion(current: string, asOf: string): string {
  const date = asOf.replaceAll('-', '.');
  const [, currentDate = current, n] = /^(\d{4}\.\d{2}\.\d{2})(?:\.(\d+))?$/.exec(current) ?? [];
  if (date > currentDate) return date;
  return `${currentDate}.${Number(n ?? 0) + 1}`;
}

function sourceEntry(options: ApplyOptions): string {
  const { name, url } = options.source;
  return `{ name: ${JSON.stringify(name)}, url: ${JSON.stringify(url)}, retrieved: ${options.asOf} }`;
}

/** The same edits on plain data, to check the spliced text against. */
function expectedData(data: Record<string, unknown>, groups: HostChanges[], options: ApplyOptions, version: string): void {
  type Obj = Record<string, unknown>;
  data.version = version;
  const sources = data.sources as Obj;
  sources[options.source.key] ??= { name: options.source.name, url: options.source.url, retrieved: options.asOf };
  for (const g of groups) {
    const model = (data.models as Obj[]).find((m) => m.id === g.model)!;
    const host = (model.hosts as Obj[]).find((h) => h.provider === g.provider && h.name === g.host)!;
    if (Object.keys(g.pricing).length > 0) host.pricing = { ...(host.pricing as Obj | undefined), ...g.pricing };
    for (const [above, values] of g.tiers) {
      const tiers = ((host.tiers as Obj[] | undefined) ?? (host.tiers = [])) as Obj[];
      const tier = tiers.find((t) => t.aboveInputTokens === above);
      if (tier) Object.assign(tier, values);
      else tiers.push({ aboveInputTokens: above, ...values });
    }
    Object.assign(host, g.limits, { source: options.source.key, asOf: options.asOf });
  }
}

/** Splices the changes into the catalogue text; see the module comment. */
export function applyChanges(text: string, changes: readonly Change[], options: ApplyOptions): ApplyResult {
  if (changes.length === 0) return { text, hostsChanged: 0, notes: [] };
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`catalogue is not valid YAML: ${doc.errors[0]!.message}`);
  const root = doc.contents;
  const models = isMap(root) ? root.get('models', true) : undefined;
  const sources = isMap(root) ? root.get('sources', true) : undefined;
  if (!isMap(root) || !isSeq(models) || !isMap(sources)) throw new Error('catalogue has no models list or sources map');
  const splicer = new Splicer(text);
  const groups = groupByHost(changes);

  for (const g of groups) {
    const model = models.items.find((m) => isMap(m) && m.get('id') === g.model);
    const hosts = isMap(model) ? model.get('hosts', true) : undefined;
    const host = isSeq(hosts) ? hosts.items.find((h) => isMap(h) && h.get('provider') === g.provider && h.get('name') === g.host) : undefined;
    if (!isMap(host)) throw new Error(`catalogue has no host ${g.provider} ${g.host} under ${g.model}`);
    const hostValues: [string, string][] = [];
    const pricing = host.get('pricing', true);
    const priceEntries = Object.entries(g.pricing).map(([k, v]): [string, string] => [k, String(v)]);
    if (isMap(pricing)) splicer.setValues(pricing, priceEntries, PRICE_ORDER);
    else if (priceEntries.length > 0) hostValues.push(['pricing', flowMap(g.pricing, PRICE_ORDER)]);
    const tiers = host.get('tiers', true);
    const newTiers: string[] = [];
    for (const [above, values] of [...g.tiers].sort((a, b) => a[0] - b[0])) {
      const tier = isSeq(tiers) ? tiers.items.find((t) => isMap(t) && t.get('aboveInputTokens') === above) : undefined;
      if (isMap(tier)) splicer.setValues(tier, Object.entries(values).map(([k, v]) => [k, String(v)]), TIER_ORDER);
      else if (isSeq(tiers)) splicer.appendItem(tiers, flowMap({ aboveInputTokens: above, ...values }, TIER_ORDER));
      else newTiers.push(flowMap({ aboveInputTokens: above, ...values }, TIER_ORDER));
    }
    if (newTiers.length > 0) hostValues.push(['tiers', `[${newTiers.join(', ')}]`]);
    for (const [k, v] of Object.entries(g.limits)) hostValues.push([k, String(v)]);
    if (host.get('source') !== options.source.key) hostValues.push(['source', stringText(options.source.key, host.get('source', true) as Node)]);
    if (host.get('asOf') !== options.asOf) hostValues.push(['asOf', stringText(options.asOf, host.get('asOf', true) as Node)]);
    splicer.setValues(host, hostValues, HOST_ORDER);
  }

  const notes: string[] = [];
  const currentVersion = String(root.get('version'));
  const version = nextVersion(currentVersion, options.asOf);
  splicer.setValues(root, [['version', stringText(version, root.get('version', true) as Node)]], []);
  notes.push(`version ${currentVersion} → ${version}`);
  if (!sources.has(options.source.key)) {
    splicer.setValues(sources, [[options.source.key, sourceEntry(options)]], []);
    notes.push(`sources: added ${options.source.key} (${options.source.name}, retrieved ${options.asOf})`);
  }

  const out = splicer.apply();
  const expected = parse(text) as Record<string, unknown>;
  expectedData(expected, groups, options, version);
  if (!isDeepStrictEqual(parse(out), expected)) throw new Error('internal error: the edited catalogue does not read back as intended; nothing written');
  return { text: out, hostsChanged: groups.length, notes };
}
