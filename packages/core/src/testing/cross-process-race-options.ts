/** Options of the cross-process race, with their defaults and checks. */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, ValidationError } from '../errors.js';

/**
 * How to run the cross-process race. The module at {@link CrossProcessRaceOptions.module} must have
 * a named export
 *
 * ```ts
 * export function createAdapter(): StateAdapter | Promise<StateAdapter>;
 * ```
 *
 * called with no arguments once in every racing process and once in the test's own process (which
 * creates the leases and checks the outcome). It returns a new, not started adapter; every adapter
 * it returns, in any process, must use ONE shared store (same table, same database, same directory).
 * Configure it through environment variables: the racers inherit the test process's environment
 * plus {@link CrossProcessRaceOptions.env}.
 */
export interface CrossProcessRaceOptions {
  /** Absolute path or `file:` URL of an ES or CommonJS module exporting `createAdapter` (see above). */
  readonly module: string | URL;
  /** Racing processes. Default 4 (at least 2). */
  readonly processes?: number;
  /** Leases created beforehand and raced for. Default 200. */
  readonly leases?: number;
  /**
   * Leases per round. The race runs in rounds: in each, every racer tries to take the same
   * `concurrency` leases at once, all racers together, so every lease is contended by every
   * process at the same moment (a racer that got ahead cannot win everything uncontended).
   * Default 8.
   */
  readonly concurrency?: number;
  /**
   * Node options of the racing processes, e.g. `['--import', 'tsx']` when the module is TypeScript
   * (from the repository sources the suite already loads its racer through tsx).
   */
  readonly execArgv?: readonly string[];
  /** Environment variables added to the racers' inherited environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Bound of the whole race, from spawning the racers to their last report, in ms. Default 120 000. */
  readonly timeoutMs?: number;
}

function moduleSpecifier(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module.length === 0) {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'crossProcess.module must be a path or a URL');
  }
  if (/^[a-z][a-z0-9+.-]+:/i.test(module)) return module;
  if (!isAbsolute(module)) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `crossProcess.module must be an absolute path or a file: URL, got ${module}`,
      { context: { module } },
    );
  }
  return pathToFileURL(module).href;
}

function integerOption(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `crossProcess.${name} must be an integer >= ${min}`,
      {
        context: { [name]: value },
      },
    );
  }
  return value;
}

/** The race's options with defaults applied (and checked). */
export interface ResolvedCrossProcessRaceOptions {
  readonly module: string;
  readonly processes: number;
  readonly leases: number;
  readonly concurrency: number;
  readonly execArgv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/** Checks the race options and applies the defaults. @throws ValidationError */
export function resolveCrossProcessRaceOptions(
  options: CrossProcessRaceOptions,
): ResolvedCrossProcessRaceOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'crossProcess must be an object { module }');
  }
  return {
    module: moduleSpecifier(options.module),
    processes: integerOption('processes', options.processes, 4, 2),
    leases: integerOption('leases', options.leases, 200, 1),
    concurrency: integerOption('concurrency', options.concurrency, 8, 1),
    execArgv: [...(options.execArgv ?? [])],
    env: { ...(options.env ?? {}) },
    timeoutMs: integerOption('timeoutMs', options.timeoutMs, 120_000, 1),
  };
}
