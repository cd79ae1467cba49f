/**
 * Vertex AI's streamed function-call arguments (`toolConfig.functionCallingConfig.streamFunctionCallArguments`):
 * a call opens with `{name, willContinue: true}`, its arguments then arrive as `partialArgs` entries, each a JSON
 * path and a scalar (`stringValue` pieces of one string are appended to each other), and an empty
 * `functionCall: {}` (or a part without `willContinue`) closes it. See the Vertex `PartialArg` reference and the
 * `Client_Tests_generateContentStream_partial_function_calling_*` recordings.
 */

type Json = Record<string, unknown>;

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const SEGMENT = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;

/** `$.a.b[0]['c d']` → `['a', 'b', 0, 'c d']`; undefined for anything else. */
export function parseJsonPath(path: string): (string | number)[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const keys: (string | number)[] = [];
  SEGMENT.lastIndex = 1;
  while (SEGMENT.lastIndex < path.length) {
    const match = SEGMENT.exec(path);
    if (!match) return undefined;
    keys.push(match[2] !== undefined ? Number(match[2]) : (match[1] ?? match[3] ?? match[4] ?? ''));
  }
  return keys;
}

function scalar(arg: Json): { value: unknown; append: boolean } | undefined {
  if (typeof arg.stringValue === 'string') return { value: arg.stringValue, append: true };
  if (typeof arg.numberValue === 'number') return { value: arg.numberValue, append: false };
  if (typeof arg.boolValue === 'boolean') return { value: arg.boolValue, append: false };
  if ('nullValue' in arg) return { value: null, append: false };
  return undefined;
}

/** Applies `partialArgs` entries to the arguments object being assembled. Malformed entries are skipped. */
export function applyPartialArgs(target: Json, partialArgs: unknown[]): void {
  for (const entry of partialArgs) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) continue;
    const arg = entry as Json;
    const value = scalar(arg);
    const path = typeof arg.jsonPath === 'string' ? parseJsonPath(arg.jsonPath) : undefined;
    if (!value || !path || path.length === 0) continue;
    if (path.some((key) => typeof key === 'string' && UNSAFE_KEYS.has(key))) continue;
    let current = target;
    for (let i = 0; i < path.length - 1; i++) {
      const key = String(path[i]);
      let child = current[key];
      if (child === null || typeof child !== 'object') {
        child = typeof path[i + 1] === 'number' ? [] : {};
        current[key] = child;
      }
      current = child as Json;
    }
    const last = String(path[path.length - 1]);
    const existing = current[last];
    current[last] = value.append && typeof existing === 'string' ? existing + (value.value as string) : value.value;
  }
}
