/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between two checks (default 100 ms). */
  intervalMs?: number;
  /** What is awaited, for the timeout message. */
  description?: string;
}

/** Thrown by {@link waitFor} when the predicate never held. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

/**
 * Polls `predicate` until it returns a truthy value, and returns that value. For waiting on real external
 * state (a stream turning ACTIVE, records arriving in an emulator), never to paper over a race inside the
 * code under test. A predicate that throws counts as "not yet"; its last error is in the timeout message.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() + intervalMs > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const what = options.description ?? 'condition';
  const cause = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
  throw new WaitTimeoutError(`${what} not met within ${timeoutMs} ms${cause}`, { cause: lastError });
}
