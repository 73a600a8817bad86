import { ErrorCode, ValidationError } from '../errors.js';
import type { StateAdapter } from '../state.js';
import {
  type CrossProcessRaceOptions,
  type ResolvedCrossProcessRaceOptions,
  resolveCrossProcessRaceOptions,
} from './cross-process-race-options.js';

/** Options of `describeStateAdapterConformance`. */
export interface StateAdapterConformanceOptions {
  /** Shown in the suite's title: `StateAdapter conformance: <name>`. */
  readonly name: string;
  /**
   * Returns a new, not yet started adapter instance. Every instance the factory returns must share
   * ONE backing store (same table, same in-memory store, same database) with all the others: the
   * suite plays several consumer instances against each other and checks that state written by one
   * is seen by a fresh one. The suite starts every instance it creates and closes it after the test.
   */
  readonly createAdapter: () => StateAdapter | Promise<StateAdapter>;
  /** Runs once before the suite's tests (e.g. create a table). */
  readonly setup?: () => Promise<void>;
  /** Runs once after the suite's tests (e.g. drop a table, stop a client). */
  readonly teardown?: () => Promise<void>;
  /** Timeout of each test in milliseconds. Default 30 000. */
  readonly timeoutMs?: number;
  /** Shards created for the large-listing test. Default 2 500 (more than one page of most stores). */
  readonly largeListingShards?: number;
  /** Timeout of the large-listing test in milliseconds. Default `4 × timeoutMs`. */
  readonly largeListingTimeoutMs?: number;
  /** Writes in flight at once while creating the large listing. Default 32. */
  readonly largeListingConcurrency?: number;
  /** Instances racing for one lease in the concurrency tests. Default 10. */
  readonly concurrentTakers?: number;
  /**
   * Run the lifecycle tests (idempotent `start()`/`close()`, `NOT_STARTED` before start, `CLOSED`
   * after close). Default `true`. Every adapter shipped with kinesis-ts passes them; turn them off
   * only for a wrapper whose lifecycle is owned elsewhere (e.g. an adapter handed out already
   * started by a DI container). The tests are then reported as skipped, not silently dropped.
   */
  readonly lifecycleChecks?: boolean;
  /**
   * Runs the cross-process race: `processes` (default 4) Node processes, each building its own
   * adapter with the `createAdapter` export of `module`, race to take the same `leases` (default
   * 200) leases, and every lease must end with exactly one winner. Without it the race is reported
   * as skipped, with how to enable it; adapters that declare `sharedAcrossProcesses: false` skip it
   * too. See {@link CrossProcessRaceOptions} for the module's exact shape.
   */
  readonly crossProcess?: CrossProcessRaceOptions;
}

/** Options with defaults applied. */
export interface ResolvedConformanceOptions {
  readonly name: string;
  readonly createAdapter: () => StateAdapter | Promise<StateAdapter>;
  readonly setup: (() => Promise<void>) | undefined;
  readonly teardown: (() => Promise<void>) | undefined;
  readonly timeoutMs: number;
  readonly largeListingShards: number;
  readonly largeListingTimeoutMs: number;
  readonly largeListingConcurrency: number;
  readonly concurrentTakers: number;
  readonly lifecycleChecks: boolean;
  readonly crossProcess: ResolvedCrossProcessRaceOptions | undefined;
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `${name} must be an integer >= ${min}, got ${String(value)}`,
      {
        context: { [name]: value },
      },
    );
  }
  return value;
}

/** Validates the options and applies the defaults. */
export function resolveConformanceOptions(
  options: StateAdapterConformanceOptions,
): ResolvedConformanceOptions {
  if (typeof options.name !== 'string' || options.name.length === 0) {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'name must be a non-empty string');
  }
  if (typeof options.createAdapter !== 'function') {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'createAdapter must be a function');
  }
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs, 30_000);
  return {
    name: options.name,
    createAdapter: options.createAdapter,
    setup: options.setup,
    teardown: options.teardown,
    timeoutMs,
    largeListingShards: positiveInteger('largeListingShards', options.largeListingShards, 2_500),
    largeListingTimeoutMs: positiveInteger(
      'largeListingTimeoutMs',
      options.largeListingTimeoutMs,
      4 * timeoutMs,
    ),
    largeListingConcurrency: positiveInteger('largeListingConcurrency', options.largeListingConcurrency, 32),
    concurrentTakers: positiveInteger('concurrentTakers', options.concurrentTakers, 10, 2),
    lifecycleChecks: options.lifecycleChecks ?? true,
    crossProcess:
      options.crossProcess === undefined ? undefined : resolveCrossProcessRaceOptions(options.crossProcess),
  };
}
