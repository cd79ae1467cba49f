import { GatewayError, type ContentPart, type ImagePart, type Message } from '../../canonical/index.js';
import { GEMINI_SIGNATURE_FORMAT, SYNTHETIC_ID_PREFIX } from './decode.js';

type Json = Record<string, unknown>;
type Warn = (message: string) => void;

export interface GeminiContent {
  role: 'user' | 'model';
  parts: Json[];
}

/**
 * Google documents this value for function calls that have no signature of their own (history written by another
 * model, or by hand): Gemini 3 rejects an unsigned function call in the history otherwise.
 */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator';

const EXTENSION_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
};

function guessMimeType(url: string): string {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // keep the raw text
  }
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return (ext && EXTENSION_TYPES[ext]) ?? 'image/jpeg';
}

function imagePart(part: ImagePart, warn: Warn): Json {
  if (part.detail !== undefined && part.detail !== 'auto') warn('image detail is not supported by Gemini; ignored');
  if (part.url.startsWith('data:')) {
    const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(part.url);
    if (!match) throw new GatewayError('invalid_request', 'an image data URL is malformed', { param: 'messages' });
    const data = /;base64/i.test(match[2] ?? '') ? match[3]! : Buffer.from(decodeURIComponent(match[3]!), 'utf8').toString('base64');
    return { inlineData: { mimeType: match[1] || 'image/jpeg', data } };
  }
  return { fileData: { mimeType: guessMimeType(part.url), fileUri: part.url } };
}

function contentParts(content: string | ContentPart[] | null, warn: Warn): Json[] {
  if (content === null) return [];
  if (typeof content === 'string') return [{ text: content }];
  return content.map((part) => (part.type === 'text' ? { text: part.text } : imagePart(part, warn)));
}

function textOf(content: string | ContentPart[] | null, warn: Warn, what: string): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  if (content.some((part) => part.type !== 'text')) warn(`images in ${what} are not supported by Gemini; dropped`);
  return content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
}

/** Ids the adapter made up are not Gemini's: the call is replayed without one, as Gemini produced it. */
function upstreamId(id: string | undefined): string | undefined {
  return id && !id.startsWith(SYNTHETIC_ID_PREFIX) ? id : undefined;
}

function parseArguments(text: string, id: string, warn: Warn): Json {
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Json;
  } catch {
    // reported below
  }
  warn(`the arguments of tool call ${id} are not a JSON object; sent to Gemini as {}`);
  return {};
}

/** An assistant turn: text, function calls, and the thought signatures the client handed back. */
function modelParts(message: Message, model: string, warn: Warn): Json[] {
  // Empty text (OpenAI clients send content "" beside tool calls) is no part; an empty turn keeps one.
  const parts = contentParts(message.content, warn).filter((part) => part.text !== '');
  const byId = new Map<string, Json>();
  for (const call of message.toolCalls ?? []) {
    const functionCall: Json = { name: call.name, args: parseArguments(call.arguments, call.id, warn) };
    const id = upstreamId(call.id);
    if (id) functionCall.id = id;
    const part: Json = { functionCall };
    byId.set(call.id, part);
    parts.push(part);
  }
  if (parts.length === 0) parts.push({ text: '' });
  for (const detail of message.reasoningDetails ?? []) {
    if (detail.format !== GEMINI_SIGNATURE_FORMAT || detail.type !== 'reasoning.encrypted' || !detail.data) continue;
    const target = detail.id !== undefined ? byId.get(detail.id) : parts[0];
    if (target && target.thoughtSignature === undefined) target.thoughtSignature = detail.data;
  }
  if (/gemini-3/i.test(model)) {
    const calls = parts.filter((part) => part.functionCall !== undefined);
    if (calls.length > 0 && calls.every((part) => part.thoughtSignature === undefined)) calls[0]!.thoughtSignature = SKIP_SIGNATURE;
  }
  return parts;
}

/** A tool result: `functionResponse.response` must be an object, so plain text is wrapped. */
function functionResponse(message: Message, position: number, names: Map<string, string>, warn: Warn): Json {
  const id = message.toolCallId;
  const name = (id !== undefined ? names.get(id) : undefined) ?? message.name;
  if (name === undefined) {
    throw new GatewayError('invalid_request', `messages[${position}] answers tool call ${id ?? '(no id)'}, which no earlier assistant message made`, {
      param: `messages[${position}].tool_call_id`,
    });
  }
  const text = textOf(message.content, warn, 'tool results');
  let parsed: Json | undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) parsed = value as Json;
  } catch {
    // plain text
  }
  const response = message.isError ? { error: parsed ?? text } : (parsed ?? { result: text });
  const out: Json = { name, response };
  const wireId = upstreamId(id);
  if (wireId) out.id = wireId;
  return { functionResponse: out };
}

/**
 * Canonical messages → `systemInstruction` and `contents`. System and developer messages (wherever they stand)
 * become the system instruction; assistant turns become `model` turns; each run of tool results becomes one
 * `user` turn of `functionResponse` parts, named after the assistant tool call they answer. Other turns map one
 * to one (Gemini accepts consecutive turns of the same role).
 */
export function encodeMessages(messages: Message[], model: string, warn: Warn): { systemInstruction?: Json; contents: GeminiContent[] } {
  const system: Json[] = [];
  const contents: GeminiContent[] = [];
  const names = new Map<string, string>();
  let previousWasTool = false;
  messages.forEach((message, position) => {
    const isTool = message.role === 'tool';
    switch (message.role) {
      case 'system':
      case 'developer': {
        if (contents.length > 0) warn('system messages after the first turn were moved into the Gemini system instruction');
        system.push({ text: textOf(message.content, warn, 'system messages') });
        break;
      }
      case 'user':
        contents.push({ role: 'user', parts: contentParts(message.content, warn) });
        break;
      case 'assistant':
        if (message.prefix && position === messages.length - 1) warn('assistant prefill is not supported by Gemini; the last assistant message is sent as history');
        contents.push({ role: 'model', parts: modelParts(message, model, warn) });
        for (const call of message.toolCalls ?? []) names.set(call.id, call.name);
        break;
      case 'tool': {
        const part = functionResponse(message, position, names, warn);
        const last = contents[contents.length - 1];
        if (previousWasTool && last) last.parts.push(part);
        else contents.push({ role: 'user', parts: [part] });
        break;
      }
    }
    previousWasTool = isTool;
  });
  return system.length > 0 ? { systemInstruction: { parts: system }, contents } : { contents };
}
