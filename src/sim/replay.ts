/**
 * Recorded provider traffic (test/fixtures/conformance, see its README) served back verbatim, so the
 * gateway can be tested against the exact bytes real hosts sent, quirks included.
 * Files are read on first use and kept in memory.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * <repo>/test/fixtures/conformance. This module sits two levels below the repository root both as
 * src/sim/replay.ts (tsx, vitest) and as dist/sim/replay.js (built), so one relative URL serves both.
 */
export function defaultFixturesDir(): string {
  return fileURLToPath(new URL('../../test/fixtures/conformance/', import.meta.url));
}

/** A recorded stream: SSE events, each already terminated by a blank line. */
export interface RecordedStream {
  events: string[];
  /** True when the recording carries its own terminator (raw .sse files), so none must be added. */
  complete: boolean;
}

/** One request/response pair of a js-genai recording. */
export interface RecordedInteraction {
  url: string;
  status: number;
  segments: unknown[];
}

/** The `type` of a recorded JSON event (`message_start`, …); 'message' when it has none. */
function eventType(line: string): string {
  try {
    const type = (JSON.parse(line) as { type?: unknown } | null)?.type;
    return typeof type === 'string' && /^[a-z_]+$/.test(type) ? type : 'message';
  } catch {
    return 'message';
  }
}

/** `folder/name` with safe characters only: a replay name must never reach outside the fixtures. */
const NAME = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

export class FixtureStore {
  private readonly cache = new Map<string, Promise<string | undefined>>();

  constructor(private readonly dir: string) {}

  /**
   * The stream recording for `name` (`<name>.chunks.txt` as data lines, or raw `<name>.sse`). With
   * `namedEvents`, each data line gets an `event:` line named after its JSON `type` (Anthropic's framing,
   * which the recordings leave out), and the stream counts as complete: it carries its own `message_stop`.
   */
  async stream(name: string, opts: { namedEvents?: boolean } = {}): Promise<RecordedStream | undefined> {
    const chunks = await this.find(name, '.chunks.txt');
    if (chunks !== undefined) {
      const events: string[] = [];
      for (const line of chunks.split('\n')) {
        const trimmed = line.trim();
        if (!trimmed) continue;
        events.push(opts.namedEvents ? `event: ${eventType(trimmed)}\ndata: ${trimmed}\n\n` : `data: ${trimmed}\n\n`);
      }
      return { events, complete: opts.namedEvents === true };
    }
    const raw = await this.find(name, '.sse');
    if (raw === undefined) return undefined;
    const events = raw
      .split(/\r?\n\r?\n/)
      .filter((e) => e.trim().length > 0)
      .map((e) => `${e.trim()}\n\n`);
    return { events, complete: true };
  }

  /** The recorded non-streaming body for `name` (`<name>.json`), as text. */
  json(name: string): Promise<string | undefined> {
    return this.find(name, '.json');
  }

  /**
   * A js-genai replay recording (`<name>.json`): its request/response interactions, each with the URL it
   * was sent to, the status and the response segments (one GenerateContentResponse per streamed event).
   * Undefined when the file is missing or not such a recording.
   */
  async recording(name: string): Promise<RecordedInteraction[] | undefined> {
    const text = await this.json(name);
    if (text === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    const interactions = (parsed as { interactions?: unknown } | null)?.interactions;
    if (!Array.isArray(interactions)) return undefined;
    return interactions.map((raw) => {
      const i = (raw ?? {}) as { request?: { url?: unknown }; response?: { statusCode?: unknown; bodySegments?: unknown } };
      return {
        url: typeof i.request?.url === 'string' ? i.request.url : '',
        status: typeof i.response?.statusCode === 'number' ? i.response.statusCode : 200,
        segments: Array.isArray(i.response?.bodySegments) ? (i.response.bodySegments as unknown[]) : [],
      };
    });
  }

  /** Looks in `<dir>/<name>` first, then `<dir>/providers/<name>` (the provider recordings live there). */
  private async find(name: string, ext: string): Promise<string | undefined> {
    if (!NAME.test(name) || name.split('/').some((seg) => seg === '..' || seg === '.')) return undefined;
    return (await this.read(join(this.dir, name + ext))) ?? (await this.read(join(this.dir, 'providers', name + ext)));
  }

  private read(path: string): Promise<string | undefined> {
    let pending = this.cache.get(path);
    if (!pending) {
      pending = readFile(path, 'utf8').catch(() => undefined);
      this.cache.set(path, pending);
    }
    return pending;
  }
}
