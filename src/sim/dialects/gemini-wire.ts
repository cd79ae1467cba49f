/**
 * Gemini API wire format: GenerateContentResponse bodies and stream chunks, Google's error bodies
 * (`{error:{code, message, status, details}}`) and headers. Shapes follow Google's public API reference;
 * the tests read them back through the official `@google/genai` SDK.
 *
 * Usage follows Gemini's accounting: promptTokenCount is the whole prompt (cached tokens included and also
 * reported as cachedContentTokenCount), candidatesTokenCount excludes thoughts, totalTokenCount adds
 * thoughtsTokenCount. Streams carry the running totals on every chunk.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { AnswerPlan } from '../answer.js';
import type { FaultFace, SimContext, SimError } from '../context.js';
import { signatureFor } from '../random.js';

export const JSON_TYPE = 'application/json; charset=UTF-8';
export const SSE_TYPE = 'text/event-stream';
/** The wait a 429 asks for (RetryInfo) when the scenario names none. */
const DEFAULT_RETRY_SECONDS = 1;
export const CONTEXT_WINDOW = 1_048_576;

export function geminiHeaders(contentType: string): OutgoingHttpHeaders {
  return {
    'content-type': contentType,
    server: 'scaffolding on HTTPServer2',
    'server-timing': 'gfet4t7; dur=1',
    vary: 'Origin, X-Origin, Referer',
    'x-content-type-options': 'nosniff',
  };
}

/** Google's canonical status name for an HTTP status. */
export function googleStatusFor(code: number): string {
  switch (code) {
    case 400:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'ABORTED';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 499:
      return 'CANCELLED';
    case 500:
      return 'INTERNAL';
    case 501:
      return 'UNIMPLEMENTED';
    case 503:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      return code >= 500 ? 'UNKNOWN' : 'FAILED_PRECONDITION';
  }
}

/** Google pretty-prints its JSON bodies (stream chunks excepted). */
function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function sendGeminiError(ctx: SimContext, error: SimError): void {
  const body: Record<string, unknown> = { code: error.status, message: error.message, status: error.type ?? googleStatusFor(error.status) };
  if (error.details) body.details = error.details;
  ctx.res.writeHead(error.status, geminiHeaders(JSON_TYPE)).end(pretty({ error: body }));
}

/** The error a `status` fault produces, worded like Google's own. */
export function statusFaultError(status: number, model: string, retryAfterSeconds: number | undefined): SimError {
  switch (status) {
    case 400:
      return { status, message: 'Request contains an invalid argument.' };
    case 401:
      return { status, message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.' };
    case 403:
      return { status, message: 'The caller does not have permission' };
    case 404:
      return {
        status,
        message: `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
      };
    case 429: {
      const wait = retryAfterSeconds ?? DEFAULT_RETRY_SECONDS;
      return {
        status,
        message: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
        retryAfterSeconds: wait,
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [
              {
                quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests',
                quotaId: 'GenerateRequestsPerMinutePerProjectPerModel',
                quotaDimensions: { location: 'global', model },
                quotaValue: '1000',
              },
            ],
          },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${wait}s` },
        ],
      };
    }
    case 500:
      return { status, message: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting' };
    case 503:
      return { status, message: 'The model is overloaded. Please try again later.' };
    case 504:
      return { status, message: 'Deadline expired before operation could complete.' };
    default:
      return { status, message: status >= 500 ? 'Internal error encountered.' : `Simulated error ${status}.` };
  }
}

export function contextLengthError(promptTokens: number): SimError {
  return {
    status: 400,
    message: `The input token count (${Math.max(promptTokens, CONTEXT_WINDOW + 1)}) exceeds the maximum number of tokens allowed (${CONTEXT_WINDOW}).`,
  };
}

/** How Google words the faults that strike before any content. */
export const geminiFaults: FaultFace = {
  sendError: sendGeminiError,
  statusError: statusFaultError,
  contextLengthError,
  errorEventStatus: 500,
  sendMalformed: (ctx) => {
    ctx.res.writeHead(200, geminiHeaders(JSON_TYPE)).end('{\n  "candidates": [\n    {\n      "content": {\n        "parts": [\n          {\n            "text": "');
  },
};

const INTERNAL_ERROR_JSON = JSON.stringify({ error: { code: 500, message: statusFaultError(500, '', undefined).message, status: 'INTERNAL' } });

/** Frames a stream either as SSE (`alt=sse`) or, without it, as the JSON array Google streams by default. */
export interface Framing {
  sse: boolean;
}

/** The head, i-th frame and tail of a stream of GenerateContentResponse documents in the given framing. */
export function frameOf(f: Framing, json: string, index: number): string {
  if (f.sse) return `data: ${json}\r\n\r\n`;
  return index === 0 ? json : `,\r\n${json}`;
}

export function streamHead(f: Framing): string {
  return f.sse ? '' : '[';
}

export function streamTail(f: Framing): string {
  return f.sse ? '' : ']';
}

/** The last frames of the `malformed` and `error_event` stream faults, after `sent` frames. */
export function geminiFaultFrames(f: Framing, sent: number): { malformed: string; errorEvent: string } {
  if (f.sse) {
    return { malformed: 'data: {"candidates":[{"content":{"parts":[{"text":"\r\n\r\n', errorEvent: `data: ${INTERNAL_ERROR_JSON}\r\n\r\n` };
  }
  const sep = sent > 0 ? ',\r\n' : '';
  return { malformed: `${sep}{"candidates":[{"content":{"parts":[{"text":"`, errorEvent: `${sep}${INTERNAL_ERROR_JSON}\r\n]` };
}

export interface ResponseMeta {
  model: string;
  responseId: string;
  /** Thoughts are sent as `{text, thought: true}` parts; otherwise they are only counted. */
  showThoughts: boolean;
}

type Part = Record<string, unknown>;

function finishReasonOf(plan: AnswerPlan): string {
  return plan.finishReason === 'length' ? 'MAX_TOKENS' : 'STOP';
}

/** Gemini-style function call ids, derived from the planned call id. */
function callId(id: string): string {
  return id.replace(/^call_/, '').slice(0, 8);
}

function callPart(call: AnswerPlan['toolCalls'][number]): Part {
  return { functionCall: { id: callId(call.id), name: call.name, args: JSON.parse(call.arguments) as unknown } };
}

/** The deterministic signature that vouches for the plan's reasoning; undefined when there was none. */
function thoughtSignatureOf(plan: AnswerPlan): string | undefined {
  return plan.reasoning.length > 0 ? signatureFor('gemini-thought', plan.reasoning.join('')) : undefined;
}

function usageMetadata(u: AnswerPlan['usage'], candidates: number, thoughts: number): Record<string, unknown> {
  const m: Record<string, unknown> = {
    promptTokenCount: u.promptTokens,
    candidatesTokenCount: candidates,
    totalTokenCount: u.promptTokens + candidates + thoughts,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: u.promptTokens }],
  };
  if (u.cachedTokens > 0) {
    m.cachedContentTokenCount = u.cachedTokens;
    m.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: u.cachedTokens }];
  }
  if (thoughts > 0) m.thoughtsTokenCount = thoughts;
  return m;
}

/** A non-streaming GenerateContentResponse: thoughts, then the text or the function calls, in one candidate. */
export function responseBody(meta: ResponseMeta, plan: AnswerPlan): string {
  const parts: Part[] = [];
  if (meta.showThoughts && plan.reasoning.length > 0) parts.push({ text: plan.reasoning.join(''), thought: true });
  const answerStart = parts.length;
  if (plan.toolCalls.length > 0) for (const call of plan.toolCalls) parts.push(callPart(call));
  else parts.push({ text: plan.content.join('') });
  const signature = thoughtSignatureOf(plan);
  if (signature !== undefined) parts[answerStart]!.thoughtSignature = signature;
  const u = plan.usage;
  return pretty({
    candidates: [{ content: { parts, role: 'model' }, finishReason: finishReasonOf(plan), index: 0 }],
    usageMetadata: usageMetadata(u, u.completionTokens - u.reasoningTokens, u.reasoningTokens),
    modelVersion: meta.model,
    responseId: meta.responseId,
  });
}

/**
 * The chunks of a streamed answer, one GenerateContentResponse each: one thought token per chunk, one text
 * token per chunk, then all function calls in one chunk (Gemini streams whole calls). Every chunk carries the
 * running usage; the last one the finishReason. There is no terminator.
 */
export function responseChunks(meta: ResponseMeta, plan: AnswerPlan, f: Framing): string[] {
  const u = plan.usage;
  const suffix = `,"modelVersion":${JSON.stringify(meta.model)},"responseId":"${meta.responseId}"}`;
  const signature = thoughtSignatureOf(plan);
  const docs: { parts: string; candidates: number; thoughts: number }[] = [];
  let candidates = 0;
  let thoughts = meta.showThoughts ? 0 : u.reasoningTokens;
  if (meta.showThoughts) {
    for (const t of plan.reasoning) docs.push({ parts: `{"text":${JSON.stringify(t)},"thought":true}`, candidates, thoughts: ++thoughts });
  }
  const sig = (first: boolean): string => (first && signature !== undefined ? `,"thoughtSignature":"${signature}"` : '');
  plan.content.forEach((t, i) => {
    docs.push({ parts: `{"text":${JSON.stringify(t)}${sig(i === 0)}}`, candidates: ++candidates, thoughts });
  });
  if (plan.toolCalls.length > 0) {
    const parts = plan.toolCalls.map((call, i) => {
      const json = JSON.stringify(callPart(call));
      return i === 0 && signature !== undefined ? `${json.slice(0, -1)}${sig(true)}}` : json;
    });
    docs.push({ parts: parts.join(','), candidates: u.completionTokens - u.reasoningTokens, thoughts });
  } else if (plan.content.length === 0) {
    docs.push({ parts: `{"text":""${sig(true)}}`, candidates, thoughts });
  }
  const finish = `,"finishReason":"${finishReasonOf(plan)}"`;
  return docs.map((d, i) => {
    const last = i === docs.length - 1;
    const json =
      `{"candidates":[{"content":{"parts":[${d.parts}],"role":"model"}${last ? finish : ''},"index":0}],` +
      `"usageMetadata":${JSON.stringify(usageMetadata(u, d.candidates, d.thoughts))}${suffix}`;
    return frameOf(f, json, i);
  });
}

/** `{embedding:{values}}` and `{embeddings:[{values}]}`. */
export function embeddingBody(values: number[]): string {
  return pretty({ embedding: { values } });
}

export function batchEmbeddingBody(vectors: number[][]): string {
  return pretty({ embeddings: vectors.map((values) => ({ values })) });
}

export function countTokensBody(tokens: number, cached: number): string {
  const body: Record<string, unknown> = { totalTokens: tokens, promptTokensDetails: [{ modality: 'TEXT', tokenCount: tokens }] };
  if (cached > 0) body.cachedContentTokenCount = cached;
  return pretty(body);
}

export function prettyJson(value: unknown): string {
  return pretty(value);
}
