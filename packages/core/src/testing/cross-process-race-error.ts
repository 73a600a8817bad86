/** The error of a cross-process race that could not run. */
import { type ErrorCode, KinesisTsError } from '../errors.js';

/**
 * A race that could not run, so there is no verdict on fencing: `INVALID_ARGUMENT` (the module has
 * no `createAdapter`, or builds an adapter that is not shared across processes; the racer script
 * is missing), `STATE_STORE_UNAVAILABLE` (a racer could not build or start its adapter, or died
 * before reporting; the racer's output is in the message), `TIMEOUT` (the race's bound ran out).
 */
export class CrossProcessRaceError extends KinesisTsError {
  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
