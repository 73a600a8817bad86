/**
 * One bounded call: the deadline every kinesis-ts package puts on requests and state-store calls, so
 * nothing the library starts waits without a bound, whether or not the client honours an `AbortSignal`.
 */
import type { Clock } from './clock.js';

/** Options of {@link withDeadline}. */
export interface DeadlineOptions {
  /** Timers (injectable). */
  readonly clock: Clock;
  /** Longest wait, in milliseconds. */
  readonly timeoutMs: number;
  /** The error the call rejects with at the deadline (also the abort reason given to the call). */
  readonly timeoutError: () => Error;
  /** A caller's signal: aborting it aborts the call's signal too (the call then settles as it does). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs `call` with an `AbortSignal` that aborts at the deadline (or with `options.signal`). Resolves or
 * rejects as the call does when it settles first; otherwise rejects with `options.timeoutError()` at
 * the deadline, even if the call never settles. A late result is ignored; no timer is left behind.
 */
export function withDeadline<T>(
  options: DeadlineOptions,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { clock, timeoutMs, signal } = options;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    const timer = clock.setTimeout(
      () => {
        if (!finish()) return;
        const error = options.timeoutError();
        controller.abort(error);
        reject(error);
      },
      Math.max(0, timeoutMs),
    );
    let pending: Promise<T>;
    try {
      pending = call(controller.signal);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => {
        if (finish()) resolve(value);
      },
      (error: unknown) => {
        if (finish()) reject(error);
      },
    );
  });
}
