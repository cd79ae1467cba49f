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

/** `folder/name` with safe characters only: a replay name must never reach outside the fixtures. */
const NAME = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

export class FixtureStore {
  private readonly cache = new Map<string, Promise<string | undefined>>();

  constructor(private readonly dir: string) {}

  /** The stream recording for `name` (`<name>.chunks.txt` as data lines, or raw `<name>.sse`). */
  async stream(name: string): Promise<RecordedStream | undefined> {
    const chunks = await this.find(name, '.chunks.txt');
    if (chunks !== undefined) {
      const events: string[] = [];
      for (const line of chunks.split('\n')) {
        const trimmed = line.trim();
        if (trimmed) events.push(`data: ${trimmed}\n\n`);
      }
      return { events, complete: false };
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
