/**
 * What a client of the demo makes of one answer: did it succeed, and what did it cost (`usage.cost`, as the
 * gateway reports it in both dialects). A stream only succeeds when it ends properly: `[DONE]` in the OpenAI
 * dialect, `message_stop` in Anthropic's; an in-stream error or a stream that stops short is a failure.
 */
import { createParser } from 'eventsource-parser';

export interface AnswerOutcome {
  ok: boolean;
  costUsd: number;
  /** Why it failed: the HTTP status, or the stream's error type. */
  failure?: string;
}

function costOf(value: unknown): number {
  const cost = (value as { usage?: { cost?: unknown } } | undefined)?.usage?.cost;
  return typeof cost === 'number' && Number.isFinite(cost) ? cost : 0;
}

export function readJsonAnswer(status: number, text: string): AnswerOutcome {
  if (status !== 200) return { ok: false, costUsd: 0, failure: String(status) };
  try {
    return { ok: true, costUsd: costOf(JSON.parse(text)) };
  } catch {
    return { ok: false, costUsd: 0, failure: 'malformed' };
  }
}

/** Reads an SSE answer chunk by chunk; `finish()` gives the outcome once the body has ended. */
export class StreamReader {
  private done = false;
  private error: string | undefined;
  private costUsd = 0;
  private readonly parser = createParser({ onEvent: (event) => this.onEvent(event.event, event.data) });

  constructor(private readonly route: 'chat' | 'messages') {}

  feed(chunk: string): void {
    this.parser.feed(chunk);
  }

  finish(): AnswerOutcome {
    if (this.error) return { ok: false, costUsd: this.costUsd, failure: this.error };
    if (!this.done) return { ok: false, costUsd: this.costUsd, failure: 'stream-ended-early' };
    return { ok: true, costUsd: this.costUsd };
  }

  private onEvent(name: string | undefined, data: string): void {
    if (this.route === 'chat' && data === '[DONE]') {
      this.done = true;
      return;
    }
    if (this.route === 'messages' && name === 'message_stop') this.done = true;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    const error = (parsed as { error?: { type?: unknown; code?: unknown } }).error;
    if (name === 'error' || (this.route === 'chat' && error)) {
      this.error = String(error?.code ?? error?.type ?? 'stream-error');
      return;
    }
    // OpenAI: the usage chunk; Anthropic: message_delta. Each carries the whole answer's cost once.
    this.costUsd += costOf(parsed);
  }
}
