import { symbols, type Logger } from 'pino';

/** The fields of the one line written per model request. */
export interface AccessLine {
  requestId: string;
  route: string;
  model: string;
  provider: string;
  attempts: number;
  status: number;
  durationMs: number;
  inputTokens?: number;
  outputTokens?: number;
  costUsd?: number | null;
  errorCode?: string;
  warnings?: readonly string[];
}

const INFO = 30;
/** Lines are handed to the destination in blocks of about this size, or after FLUSH_MS, whichever comes first. */
const FLUSH_CHARS = 16_384;
const FLUSH_MS = 100;
const MESSAGE = 'request served';

type PinoInternals = Logger & {
  [symbols.lsCacheSym]: Record<number, string>;
  [symbols.chindingsSym]: string;
  [symbols.timeSym]: () => string;
  [symbols.endSym]: string;
  [symbols.messageKeySym]: string;
  [symbols.streamSym]: { write(line: string): unknown };
};

function num(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/**
 * Writes the access log line the way pino would write `logger.info(fields, 'request served')` — the logger's own
 * level label, time, bindings, message key and destination — without going through pino's generic path. That path
 * walks the object, looks up serializers and stringifiers for each key and builds the line from pieces; for this one
 * fixed shape it cost about twice as much, on every request. The fields are ids, counts and codes the gateway made
 * itself (never headers, bodies or config), so there is nothing for redaction to remove.
 *
 * Lines go to the destination in blocks of ~16 KB, or 100 ms after the first line of a block: handing pino's default
 * (asynchronous) stdout one line at a time cost ~4 KB of garbage per line and ~4% of a busy gateway's CPU, a write per
 * event-loop turn still ~2%. A line may thus follow a line another logger wrote up to 100 ms later; each carries its
 * own time, and `flush` (called at shutdown) writes what is queued.
 */
export class AccessLog {
  private readonly pino: PinoInternals;
  /** False for a destination that routes by level (pino.multistream reads what pino leaves on it before a write). */
  private readonly direct: boolean;
  /** `,"msg":"request served"}` and the line end: fixed when the logger was made. */
  private readonly end: string;
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly flushPending = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
    const text = this.pending;
    this.pending = '';
    if (text !== '') this.pino[symbols.streamSym].write(text);
  };

  constructor(logger: Logger) {
    this.pino = logger as PinoInternals;
    const stream = this.pino[symbols.streamSym] as unknown as Record<symbol, unknown>;
    this.direct = stream[Symbol.for('pino.metadata')] !== true && typeof this.pino[symbols.lsCacheSym]?.[INFO] === 'string';
    this.end = `,${JSON.stringify(this.pino[symbols.messageKeySym])}:${JSON.stringify(MESSAGE)}${this.pino[symbols.endSym]}`;
  }

  get enabled(): boolean {
    return this.pino.isLevelEnabled('info');
  }

  write(f: AccessLine): void {
    if (!this.direct) {
      this.pino.info(f, MESSAGE);
      return;
    }
    const p = this.pino;
    let line = `${p[symbols.lsCacheSym][INFO]}${p[symbols.timeSym]()}${p[symbols.chindingsSym]},"requestId":${JSON.stringify(f.requestId)},"route":${JSON.stringify(f.route)},"model":${JSON.stringify(f.model)},"provider":${JSON.stringify(f.provider)},"attempts":${num(f.attempts)},"status":${num(f.status)},"durationMs":${num(f.durationMs)}`;
    if (f.inputTokens !== undefined) line += `,"inputTokens":${num(f.inputTokens)}`;
    if (f.outputTokens !== undefined) line += `,"outputTokens":${num(f.outputTokens)}`;
    if (f.costUsd !== undefined) line += `,"costUsd":${f.costUsd === null ? 'null' : num(f.costUsd)}`;
    if (f.errorCode !== undefined) line += `,"errorCode":${JSON.stringify(f.errorCode)}`;
    if (f.warnings !== undefined) line += `,"warnings":${JSON.stringify(f.warnings)}`;
    this.pending += line + this.end;
    if (this.pending.length >= FLUSH_CHARS) this.flushPending();
    else if (this.timer === undefined) this.timer = setTimeout(this.flushPending, FLUSH_MS).unref();
  }

  /** Writes what is queued now (at shutdown). */
  flush(): void {
    this.flushPending();
  }
}
