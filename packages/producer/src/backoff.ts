/**
 * Exponential backoff with full jitter (AWS architecture blog: "Exponential Backoff And Jitter").
 */

/** Retry timing of failed records. */
export interface BackoffOptions {
  /** Cap of the first retry's delay in milliseconds (default 100). */
  readonly baseDelay: number;
  /** Largest cap of any retry's delay in milliseconds (default 5,000). */
  readonly maxDelay: number;
}

/**
 * Delay before retry number `attempt` (1 = first retry): a uniformly random value in
 * `[0, min(maxDelay, baseDelay * 2^(attempt-1))]`. `random` returns values in `[0, 1)`.
 */
export function fullJitterDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const cap = Math.min(options.maxDelay, options.baseDelay * 2 ** exponent);
  return Math.floor(random() * (cap + 1));
}
