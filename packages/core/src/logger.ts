/**
 * The minimal logger shape kinesis-ts writes to. `console` fits, and so do pino, winston and
 * Powertools loggers. The default is silent.
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

const noop = (): void => {};

/** A logger that drops everything: the default everywhere. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

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
