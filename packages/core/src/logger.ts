/**
 * The logger kinesis-ts writes to, and adapters for the loggers people use.
 *
 * kinesis-ts calls `logger.<level>(message, context)`: a message string and a flat object of
 * fields (stream, shard, owner, counts; an error under `error`, as the `Error` instance). `console`
 * and Powertools' `Logger` take that order; pino takes `(object, message)`: give a pino logger as is
 * (it is recognised by its shape) or wrap it with {@link pinoLogger}.
 */

/**
 * The minimal logger shape kinesis-ts writes to: `console`, Powertools' `Logger` and winston fit as
 * they are; pino is adapted (see {@link resolveLogger}). The default is silent.
 */
export interface Logger {
  /** Fine-grained diagnostics. */
  debug(message: string, context?: Record<string, unknown>): void;
  /** Lifecycle events (lease acquired, shard started, ...). */
  info(message: string, context?: Record<string, unknown>): void;
  /** Something recoverable went wrong (retry, throttle, lease lost). */
  warn(message: string, context?: Record<string, unknown>): void;
  /** Something failed and was surfaced to the caller. */
  error(message: string, context?: Record<string, unknown>): void;
}

/** A pino-style logger: `(object, message)`. */
export interface ObjectFirstLogger {
  debug(object: Record<string, unknown>, message: string): void;
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

/**
 * A `(message, ...objects)` logger such as Powertools' `Logger` (whose methods take a rest list of
 * attribute objects, which {@link Logger}'s optional context does not match as a type).
 */
export interface MessageFirstLogger {
  debug(message: string, ...context: Record<string, unknown>[]): void;
  info(message: string, ...context: Record<string, unknown>[]): void;
  warn(message: string, ...context: Record<string, unknown>[]): void;
  error(message: string, ...context: Record<string, unknown>[]): void;
}

/** Every logger the `logger` options accept: see {@link resolveLogger}. */
export type AnyLogger = Logger | MessageFirstLogger | ObjectFirstLogger;

/** How a logger takes its arguments: `'message-first'` (console, Powertools) or `'object-first'` (pino). */
export type LoggerStyle = 'message-first' | 'object-first';

const noop = (): void => {};

/** A logger that drops everything: the default everywhere. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * Adapts a pino logger (or any `(object, message)` logger): the context becomes pino's merging
 * object, so every field is a top-level key of the JSON line, and an `error` field holding an
 * `Error` is passed as pino's `err` (serialized with its type, message, stack and cause).
 */
export function pinoLogger(logger: ObjectFirstLogger): Logger {
  const write =
    (level: (typeof LEVELS)[number]) =>
    (message: string, context?: Record<string, unknown>): void => {
      if (context === undefined) {
        logger[level]({}, message);
        return;
      }
      const { error, ...rest } = context;
      logger[level](error instanceof Error ? { ...rest, err: error } : context, message);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** True for a pino logger: it has `bindings()`, `child()` and a `levels.values` map. */
function looksLikePino(logger: Record<string, unknown>): boolean {
  const levels = logger.levels as { values?: unknown } | undefined;
  return (
    typeof logger.bindings === 'function' &&
    typeof logger.child === 'function' &&
    typeof levels === 'object' &&
    levels !== null &&
    typeof levels.values === 'object'
  );
}

/**
 * The logger kinesis-ts writes to, from what the user passed: `undefined` gives
 * {@link silentLogger}; a pino logger (recognised by its shape, or any logger with
 * `style: 'object-first'`) is wrapped with {@link pinoLogger}; any other logger is called
 * `(message)` or `(message, context)` (never with an `undefined` context).
 */
export function resolveLogger(logger: AnyLogger | undefined, style?: LoggerStyle): Logger {
  if (logger === undefined || logger === silentLogger) return silentLogger;
  const objectFirst =
    style === 'object-first' ||
    (style === undefined && looksLikePino(logger as unknown as Record<string, unknown>));
  if (objectFirst) return pinoLogger(logger as ObjectFirstLogger);
  const target = logger as MessageFirstLogger;
  const write =
    (level: (typeof LEVELS)[number]) =>
    (message: string, context?: Record<string, unknown>): void => {
      if (context === undefined) target[level](message);
      else target[level](message, context);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** Returns a logger that prefixes every message (e.g. with a package or shard name). */
export function prefixLogger(logger: Logger, prefix: string): Logger {
  if (logger === silentLogger) return logger;
  return {
    debug: (m, c) => logger.debug(`${prefix} ${m}`, c),
    info: (m, c) => logger.info(`${prefix} ${m}`, c),
    warn: (m, c) => logger.warn(`${prefix} ${m}`, c),
    error: (m, c) => logger.error(`${prefix} ${m}`, c),
  };
}
