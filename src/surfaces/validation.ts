import { Ajv, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import { GatewayError } from '../canonical/errors.js';

/** `messages[0].content` from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Parses a request body or throws a 400 that names the first offending field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError('invalid_request', 'the request body must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = formatPath(issue.path);
  const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
  const message = missing ? `missing required field '${path}'` : `invalid field '${path || '(body)'}': ${issue.message}`;
  throw new GatewayError('invalid_request', message, { param: path || undefined });
}

let ajv: Ajv | undefined;

/**
 * The schema's JSON Schema compiled by ajv, or undefined when zod cannot express the schema as one (then zod alone
 * decides).
 */
export function compiledCheck(schema: z.ZodType): ValidateFunction | undefined {
  let jsonSchema: object;
  try {
    jsonSchema = z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'throw' });
  } catch {
    return undefined;
  }
  ajv ??= new Ajv({ allErrors: false, strict: true });
  return ajv.compile(jsonSchema);
}

/** The compilations still to do, of every `fastBodyParser` made so far. */
const unprepared: (() => void)[] = [];

/**
 * `parseBody` for a schema checked on every model request. A body that ajv's validator accepts is returned as it is
 * (the validator is compiled from the schema's own JSON Schema when the gateway starts, see `prepareBodyParsers`, or
 * else on first use): ajv checks without allocating, where zod's parse built a copy of every object on the way (its
 * parse was ~8% of a request's allocation and ~2.5% of its CPU). Whatever ajv refuses goes to zod, so errors name
 * the field exactly as before, and zod's verdict stands where the two differ.
 *
 * Only for schemas whose output is their input, i.e. without defaults, transforms or pipes (zod's output would
 * differ from the body returned here); test/unit/validation.test.ts checks the two verdicts and outputs agree.
 */
export function fastBodyParser<T extends z.ZodType>(schema: T): (body: unknown) => z.output<T> {
  let check: ValidateFunction | undefined | null = null;
  const prepare = () => {
    if (check === null) check = compiledCheck(schema);
  };
  unprepared.push(prepare);
  return (body) => {
    if (check === null) prepare();
    if (check && body !== null && typeof body === 'object' && !Array.isArray(body) && check(body)) return body as z.output<T>;
    return parseBody(schema, body);
  };
}

/**
 * Compiles the checks of every parser made so far (~0.2 s in all, ajv's code generation): the gateway does it as it
 * starts, so that no request waits for it.
 */
export function prepareBodyParsers(): void {
  for (const prepare of unprepared.splice(0)) prepare();
}
