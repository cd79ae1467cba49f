import type { ServerResponse } from 'node:http';

/**
 * What a model response actually sent to the client, kept for the ledger: the JSON body of a plain answer, or the
 * SSE frames of a stream. It serves two things the routes do not report: the text a client received before it went
 * away (an aborted stream's output is counted from it with the tokenizer), and the completion of a key that stores
 * its prompts. Frames are kept by reference (the strings the SSE writer made anyway); past `compactAt` characters
 * they are reduced to the text they carry, so a long stream holds its text, not its framing.
 */
export interface DeliveredText {
  text: string;
  reasoning: string;
  toolArguments: string;
}

export class ResponseTap {
  private chunks: string[] = [];
  private size = 0;
  private carried: DeliveredText = { text: '', reasoning: '', toolArguments: '' };
  private partial = '';
  sse = false;
  /** True once the response ended or the connection closed. */
  ended = false;
  private readonly waiters: (() => void)[] = [];

  constructor(
    readonly res: ServerResponse,
    private readonly compactAt = 1 << 20,
  ) {
    const originalWrite = res.write;
    const originalEnd = res.end;
    const capture = (chunk: unknown) => this.capture(chunk);
    res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      capture(chunk);
      return (originalWrite as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as ServerResponse['write'];
    res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      if (typeof chunk !== 'function') capture(chunk);
      return (originalEnd as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    } as ServerResponse['end'];
    res.once('close', () => this.finish());
    res.once('finish', () => this.finish());
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when the response is over (at once if it is), or after `timeoutMs` whatever happens. */
  whenEnded(timeoutMs = 60_000): Promise<void> {
    if (this.ended || this.res.writableEnded || this.res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private capture(chunk: unknown): void {
    if (chunk === undefined || chunk === null) return;
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : '';
    if (text.length === 0) return;
    // Headers may go out through writeHead without being readable back: tell SSE from JSON by the first bytes.
    if (this.chunks.length === 0 && this.size === 0 && !this.sse) this.sse = /^(?:data:|event:|id:|retry:|:)/.test(text);
    this.chunks.push(text);
    this.size += text.length;
    if (this.sse && this.size > this.compactAt) this.compact();
  }

  private compact(): void {
    const joined = this.partial + this.chunks.join('');
    const cut = joined.lastIndexOf('\n\n');
    const whole = cut < 0 ? '' : joined.slice(0, cut + 2);
    this.partial = cut < 0 ? joined : joined.slice(cut + 2);
    const found = extractSse(whole);
    this.carried = { text: this.carried.text + found.text, reasoning: this.carried.reasoning + found.reasoning, toolArguments: this.carried.toolArguments + found.toolArguments };
    this.chunks = [];
    this.size = this.partial.length;
  }

  /** The text, reasoning and tool arguments the client received. */
  delivered(): DeliveredText {
    const raw = this.partial + this.chunks.join('');
    if (this.sse) {
      const found = extractSse(raw);
      return { text: this.carried.text + found.text, reasoning: this.carried.reasoning + found.reasoning, toolArguments: this.carried.toolArguments + found.toolArguments };
    }
    return extractJson(raw);
  }
}

type Json = Record<string, unknown>;

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Text of the SSE frames of either dialect: OpenAI chunks (`choices[].delta`) and Anthropic `content_block_delta`s. */
export function extractSse(raw: string): DeliveredText {
  const out: DeliveredText = { text: '', reasoning: '', toolArguments: '' };
  for (const line of raw.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '' || data === '[DONE]') continue;
    let event: Json;
    try {
      event = JSON.parse(data) as Json;
    } catch {
      continue;
    }
    if (Array.isArray(event.choices)) {
      for (const choice of event.choices as Json[]) {
        const delta = (choice?.delta ?? {}) as Json;
        out.text += str(delta.content);
        out.reasoning += str(delta.reasoning_content) || str(delta.reasoning);
        if (Array.isArray(delta.tool_calls)) {
          for (const call of delta.tool_calls as Json[]) {
            const fn = (call?.function ?? {}) as Json;
            out.toolArguments += str(fn.name) + str(fn.arguments);
          }
        }
      }
    } else if (event.type === 'content_block_delta') {
      const delta = (event.delta ?? {}) as Json;
      out.text += str(delta.text);
      out.reasoning += str(delta.thinking);
      out.toolArguments += str(delta.partial_json);
    } else if (event.type === 'content_block_start') {
      const block = (event.content_block ?? {}) as Json;
      if (block.type === 'tool_use') out.toolArguments += str(block.name);
    }
  }
  return out;
}

/** Text of a plain JSON answer of either dialect. */
export function extractJson(raw: string): DeliveredText {
  const out: DeliveredText = { text: '', reasoning: '', toolArguments: '' };
  let body: Json;
  try {
    body = JSON.parse(raw) as Json;
  } catch {
    return out;
  }
  if (Array.isArray(body.choices)) {
    for (const choice of body.choices as Json[]) {
      const message = (choice?.message ?? {}) as Json;
      out.text += str(message.content);
      out.reasoning += str(message.reasoning_content) || str(message.reasoning);
      if (Array.isArray(message.tool_calls)) {
        for (const call of message.tool_calls as Json[]) {
          const fn = (call?.function ?? {}) as Json;
          out.toolArguments += str(fn.name) + str(fn.arguments);
        }
      }
    }
  } else if (Array.isArray(body.content)) {
    for (const block of body.content as Json[]) {
      if (block?.type === 'text') out.text += str(block.text);
      else if (block?.type === 'thinking') out.reasoning += str(block.thinking);
      else if (block?.type === 'tool_use') out.toolArguments += str(block.name) + JSON.stringify(block.input ?? {});
    }
  }
  return out;
}
