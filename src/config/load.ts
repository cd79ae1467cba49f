import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { ConfigError } from './errors.js';
import { interpolateEnv } from './interpolate.js';

export interface LoadedConfig {
  config: Config;
  /** Where it came from: a file path, or "built-in defaults". */
  source: string;
  /** True when no file was found and the built-in defaults apply (providers detected from the environment). */
  builtInDefaults: boolean;
}

/** Which file to read: --config, else $SWITCHBOARD_CONFIG, else ./switchboard.yaml if present, else none. */
export function findConfigFile(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  if (explicit) return resolve(cwd, explicit);
  if (env.SWITCHBOARD_CONFIG) return resolve(cwd, env.SWITCHBOARD_CONFIG);
  const local = resolve(cwd, 'switchboard.yaml');
  return existsSync(local) ? local : undefined;
}

export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = findConfigFile(options.file, env, cwd);
  if (!file) {
    return { config: deepFreeze(parseConfig({}, 'built-in defaults', env)), source: 'built-in defaults', builtInDefaults: true };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return { config: deepFreeze(parseConfigText(text, file, env)), source: file, builtInDefaults: false };
}

export function parseConfigText(text: string, source: string, env: NodeJS.ProcessEnv = process.env): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(source, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(source, ['(root): expected a mapping of settings']);
  }
  return parseConfig(raw, source, env);
}

export function parseConfig(raw: unknown, source: string, env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const interpolated = interpolateEnv(raw, env, '', problems);
  const result = configSchema.safeParse(interpolated);
  if (!result.success) {
    // A field that failed only because its variable is unset was already reported as such.
    const unsetPaths = new Set(problems.map((p) => p.slice(0, p.indexOf(':'))));
    for (const issue of result.error.issues) {
      const text = describeIssue(issue);
      if (!unsetPaths.has(text.slice(0, text.indexOf(':')))) problems.push(text);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(source, problems);
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${path ? `${path}.` : ''}${key}: unknown key`).join('\n  - ');
  }
  return `${path || '(root)'}: ${issue.message}`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
