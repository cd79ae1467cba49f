/**
 * What a model response actually sent to the client, kept for the ledger: the JSON body of a plain answer, or the
 * SSE frames of a stream, handed over by the route and the SSE writer (not by wrapping the response's own methods:
 * that made every ServerResponse a different shape and slowed Node's HTTP code for all requests). It serves two things the routes do not report: the text a client received before it went
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
  private body: unknown;
  sse = false;
  /** True once the response ended or the connection closed. */
  ended = false;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly compactAt = 1 << 20) {}

  /** SSE frames as the writer sends them. */
  frame(text: string): void {
    if (text.length === 0) return;
    this.sse = true;
    this.chunks.push(text);
    this.size += text.length;
    if (this.size > this.compactAt) this.compact();
  }

  /** The JSON answer of a plain response (the object the route returns): the response is complete with it. */
  json(body: unknown): void {
    this.body = body;
    this.end();
  }

  /** The response is over: the stream ended or the client went away. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when the response is over (at once if it is), or after `timeoutMs` whatever happens. */
  whenEnded(timeoutMs = 60_000): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
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
    if (this.sse) {
      const raw = this.partial + this.chunks.join('');
      const found = extractSse(raw);
      return { text: this.carried.text + found.text, reasoning: this.carried.reasoning + found.reasoning, toolArguments: this.carried.toolArguments + found.toolArguments };
    }
    return extractJsonBody(this.body);
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
  try {
    return extractJsonBody(JSON.parse(raw));
  } catch {
    return { text: '', reasoning: '', toolArguments: '' };
  }
}

/** Text of a plain JSON answer of either dialect, as an object. */
export function extractJsonBody(value: unknown): DeliveredText {
  const out: DeliveredText = { text: '', reasoning: '', toolArguments: '' };
  if (typeof value !== 'object' || value === null) return out;
  const body = value as Json;
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
