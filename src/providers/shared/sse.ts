import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * Server-sent events from a byte stream. Bytes are decoded as UTF-8 across chunk boundaries (a multi-byte
 * character split between two TCP reads must not turn into replacement characters).
 */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (pending.length > 0) {
      for (let i = 0; i < pending.length; i++) yield pending[i]!;
      pending.length = 0;
    }
  }
  const tail = decoder.decode();
  // A final event without its blank line still counts: some hosts close right after the last data line.
  parser.feed(tail + '\n\n');
  for (const event of pending) yield event;
}
