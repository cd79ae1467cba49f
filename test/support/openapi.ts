/**
 * Validates values against schemas of OpenAI's own OpenAPI document (a copy lives in
 * test/fixtures/conformance/openai/openapi.yaml so a fresh clone needs nothing outside the repo).
 * The document is 3 MB: it is parsed and registered once, on first use, and each schema is compiled once.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const SPEC_PATH = fileURLToPath(new URL('../fixtures/conformance/openai/openapi.yaml', import.meta.url));
const SPEC_ID = 'https://switchboard.test/openai-openapi.json';

// ajv-formats is CommonJS with a `default` export; under NodeNext the default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

/**
 * OpenAPI's `nullable: true` is not JSON Schema: left alone, Ajv would ignore it and reject the `null`s
 * OpenAI really sends (`finish_reason`, `logprobs`, `usage` on stream chunks). Rewrite each such schema as
 * `anyOf: [schema, {type: "null"}]`, which is what the keyword means.
 */
function rewriteNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteNullable);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key !== 'nullable') out[key] = rewriteNullable(value);
  }
  if ((node as Record<string, unknown>).nullable === true) return { anyOf: [out, { type: 'null' }] };
  return out;
}

function instance(): Ajv2020 {
  if (ajv) return ajv;
  const doc = parse(readFileSync(SPEC_PATH, 'utf8'), { maxAliasCount: -1 }) as { components: { schemas: Record<string, unknown> } };
  // strict: false ignores OpenAPI's own keywords (x-oaiMeta, discriminator, x-stainless-const, …) and
  // unknown formats such as `unixtime`; logger: false keeps the resulting warnings out of test output.
  const instance = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, logger: false });
  addFormats(instance);
  instance.addSchema({ $id: SPEC_ID, components: { schemas: rewriteNullable(doc.components.schemas) } });
  ajv = instance;
  return instance;
}

/** Errors of `value` against `#/components/schemas/<schemaName>`, as readable strings; empty when valid. */
export function validateOpenAI(schemaName: string, value: unknown): string[] {
  let validate = compiled.get(schemaName);
  if (!validate) {
    validate = instance().compile({ $ref: `${SPEC_ID}#/components/schemas/${schemaName}` });
    compiled.set(schemaName, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}
