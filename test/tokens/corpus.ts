/** The token-estimate corpus in test/fixtures/tokens, plus long prompts assembled from it for the sampled modes. */
import { readFileSync } from 'node:fs';
import type { ChatRequest } from '../../src/canonical/request.js';

const dir = new URL('../fixtures/tokens/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, dir), 'utf8');

export const CATEGORY_FILES = {
  'english prose': 'english-prose.txt',
  'code (TypeScript)': 'code-typescript.txt',
  'code (Python)': 'code-python.txt',
  JSON: 'json.txt',
  Chinese: 'chinese.txt',
  multilingual: 'multilingual.txt',
} as const;

export interface ZeroevalItem {
  task: string;
  id: string | number;
  prompt: string;
  prompt_tokens_o200k: number | null;
}

export function zeroevalSample(): ZeroevalItem[] {
  return read('zeroeval-sample.jsonl').trim().split('\n').map((line) => JSON.parse(line) as ZeroevalItem);
}

export function chatRequest(): ChatRequest {
  return JSON.parse(read('chat.json')) as ChatRequest;
}

/** The text of every unit the estimator counts in a chat request (message text, names, tool calls, tools JSON). */
export function chatTexts(request: ChatRequest): string[] {
  const out: string[] = [];
  for (const m of request.messages) {
    if (typeof m.content === 'string') out.push(m.content);
    else for (const p of m.content ?? []) if (p.type === 'text') out.push(p.text);
    for (const c of m.toolCalls ?? []) out.push(c.name, c.arguments);
  }
  for (const t of request.tools ?? []) out.push(JSON.stringify(t));
  return out;
}

/** Corpus categories, each a list of texts counted separately and summed. */
export function corpus(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [category, file] of Object.entries(CATEGORY_FILES)) out[category] = [read(file)];
  const zeroeval = zeroevalSample();
  out['math word problems (GSM8K)'] = zeroeval.filter((z) => z.task === 'gsm').map((z) => z.prompt);
  out['LaTeX math (MATH)'] = zeroeval.filter((z) => z.task === 'math-l5').map((z) => z.prompt);
  out['Python puzzles (CRUXEval)'] = zeroeval.filter((z) => z.task === 'crux').map((z) => z.prompt);
  out['mixed chat'] = chatTexts(chatRequest());
  return out;
}

/** Long prompts (28 KB to 0.4 MB) for the sampled modes: block-structured, periodic and rotated mixes. */
export function longDocuments(): Record<string, string> {
  const files = Object.values(CATEGORY_FILES).map(read);
  const zeroeval = zeroevalSample().map((z) => z.prompt).join('\n');
  const [prose, ts, py, json, zh, multi] = files as [string, string, string, string, string, string];
  const rotated = Array.from({ length: 10 }, (_, i) => [...files.slice(i % 6), ...files.slice(0, i % 6)].join('\n') + zeroeval);
  return {
    'corpus, concatenated (40 KB)': files.join('\n\n') + zeroeval,
    'code then Chinese (29 KB)': [ts, py, ts, py, ts, py, ts, py, ts, py, zh, zh, zh].join(''),
    'zeroeval prompts ×4 (96 KB)': [zeroeval, zeroeval.toUpperCase(), zeroeval, zeroeval.toLowerCase()].join('\n'),
    'corpus ×4, periodic (160 KB)': Array.from({ length: 4 }, () => files.join('\n') + zeroeval).join('\n'),
    'corpus ×10, rotated (400 KB)': rotated.join('\n'),
    'prose then JSON then multilingual (75 KB)': [prose.repeat(8), json.repeat(8), multi.repeat(8)].join('\n'),
  };
}
