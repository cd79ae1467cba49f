/**
 * The smallest value a JSON Schema accepts, built the way the simulator "answers" tool calls and structured
 * output: required properties filled (string → "sim", number/integer → 1, boolean → true, enum → first
 * value, array → [], object → recursively), optional ones left out. Good enough for the schemas clients
 * send in practice; anything exotic (patterns, minItems) is not honoured.
 */

const MAX_DEPTH = 12;

export function sampleFromSchema(schema: unknown): unknown {
  return sample(schema, schema, 0);
}

function sample(schema: unknown, root: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH || schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    return depth === 0 ? {} : null;
  }
  const s = schema as Record<string, unknown>;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (typeof s.$ref === 'string') return sample(resolvePointer(root, s.$ref), root, depth + 1);
  const branch = firstBranch(s.anyOf) ?? firstBranch(s.oneOf);
  if (branch !== undefined) return sample(branch, root, depth + 1);
  if (Array.isArray(s.allOf)) return sampleAllOf(s.allOf, root, depth);

  switch (typeOf(s)) {
    case 'string':
      return 'sim';
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'null':
      return null;
    default:
      return sampleObject(s, root, depth);
  }
}

function sampleObject(s: Record<string, unknown>, root: unknown, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const props = (s.properties ?? {}) as Record<string, unknown>;
  const required = Array.isArray(s.required) ? s.required : [];
  for (const name of required) {
    if (typeof name === 'string') out[name] = sample(props[name] ?? {}, root, depth + 1);
  }
  return out;
}

function sampleAllOf(parts: unknown[], root: unknown, depth: number): unknown {
  let merged: Record<string, unknown> = {};
  for (const part of parts) {
    const value = sample(part, root, depth + 1);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    merged = { ...merged, ...(value as Record<string, unknown>) };
  }
  return merged;
}

/** The declared type; a list such as ["string","null"] yields its first non-null member. */
function typeOf(s: Record<string, unknown>): string {
  const t = s.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const first = t.find((x) => x !== 'null');
    if (typeof first === 'string') return first;
    if (t.length > 0) return 'null';
  }
  if (s.items !== undefined) return 'array';
  return 'object';
}

/** The first branch that is not `{type:"null"}`, so nullable unions still produce a real value. */
function firstBranch(list: unknown): unknown {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const real = list.find((b) => !(b !== null && typeof b === 'object' && (b as Record<string, unknown>).type === 'null'));
  return real ?? list[0];
}

/** Local `#/…` JSON pointers only; remote refs resolve to an empty schema. */
function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return {};
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return {};
    node = (node as Record<string, unknown>)[key];
  }
  return node ?? {};
}
