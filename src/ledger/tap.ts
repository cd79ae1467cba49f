import type { StreamEvent } from '../canonical/index.js';

/**
 * What a model response actually sent to the client, kept for the ledger: the JSON body of a plain answer, or the
 * text of the stream events the client was sent, handed over by the route (not by wrapping the response's own
 * methods: that made every ServerResponse a different shape and slowed Node's HTTP code for all requests). It serves
 * two things the routes do not report: the text a client received before it went away (an aborted stream's output is
 * counted from it with the tokenizer), and the completion of a key that stores its prompts.
 *
 * A stream's text is kept, not its frames: frames are five to ten times larger, and whatever a stream holds lives as
 * long as the stream, which for a real answer is seconds: long enough to be copied out of the young generation into
 * the old one, where it costs a full collection to free.
 */
export interface DeliveredText {
  text: string;
  reasoning: string;
  toolArguments: string;
}

export class ResponseTap {
  private text = '';
  private reasoning = '';
  private toolArguments = '';
  private body: unknown;
  private sse = false;
  /** True once the response ended or the connection closed. */
  ended = false;
  private readonly waiters: (() => void)[] = [];

  /** A stream event the client was sent (one that produced a frame in the client's dialect). */
  event(event: StreamEvent): void {
    this.sse = true;
    switch (event.type) {
      case 'text-delta':
        this.text += event.text;
        break;
      case 'reasoning-delta':
        this.reasoning += event.text;
        break;
      case 'tool-call-delta':
        if (event.name !== undefined) this.toolArguments += event.name;
        this.toolArguments += event.argumentsDelta;
        break;
      default:
        break;
    }
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

  /** The text, reasoning and tool arguments the client received. */
  delivered(): DeliveredText {
    if (this.sse) return { text: this.text, reasoning: this.reasoning, toolArguments: this.toolArguments };
    return extractJsonBody(this.body);
  }
}

type Json = Record<string, unknown>;

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
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
