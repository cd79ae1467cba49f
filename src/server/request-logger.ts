import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type LogFn = FastifyBaseLogger['info'];

/**
 * Fastify gives every request its own child logger (bound to the request id). Making a pino child runs the parent's
 * redaction over the bindings and allocates ~1.7 KB, on every request, while nearly all requests never log through
 * it: the access line is written by the gateway's own logger. This stands in for the child and makes the real one on
 * the first line that is actually logged.
 */
export class LazyChildLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  declare fatal: LogFn;
  declare error: LogFn;
  declare warn: LogFn;
  declare info: LogFn;
  declare debug: LogFn;
  declare trace: LogFn;
  declare silent: LogFn;

  /** The real child, made on first use. */
  get real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): FastifyBaseLogger['level'] {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: FastifyBaseLogger['level']) {
    this.real.level = level;
  }

  isLevelEnabled(level: string): boolean {
    const real = (this.made ?? (this.options.level === undefined ? this.parent : this.real)) as FastifyBaseLogger & { isLevelEnabled?: (l: string) => boolean };
    return real.isLevelEnabled ? real.isLevelEnabled(level) : true;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }

}

// On the prototype, not as per-instance closures: an instance is then one small object.
for (const name of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const) {
  LazyChildLogger.prototype[name] = function (this: LazyChildLogger, ...args: unknown[]): void {
    const real = this.real;
    (real[name] as (...a: unknown[]) => void).apply(real, args);
  } as LogFn;
}

/** Fastify's `childLoggerFactory`: a lazily made child per request. */
export function lazyChildLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options);
}
