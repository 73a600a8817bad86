/**
 * Exponential backoff with jitter: the one implementation every package uses (producer retries,
 * DynamoDB requests, shard readers, fan-out subscriptions, start-up retries, failure policy,
 * shard supervision). See AWS's "Exponential Backoff And Jitter".
 */

/**
 * How delays spread below the exponential ceiling: `'full'` uniformly in `[0, ceiling]` (fewest
 * collisions), `'equal'` in `[ceiling/2, ceiling]` (never much shorter than planned), `'none'` the
 * ceiling itself.
 */
export type BackoffJitter = 'full' | 'equal' | 'none';

/** Parameters of {@link backoffDelay}. */
export interface BackoffPolicy {
  /** Ceiling of the first retry's delay, ms; doubled on each further retry. */
  readonly baseMs: number;
  /** Largest ceiling, ms. */
  readonly maxMs: number;
  /** Default `'full'`. */
  readonly jitter?: BackoffJitter;
}

/**
 * The ceiling of retry number `retry` (1 = first retry): `min(maxMs, baseMs · 2^(retry-1))`, rounded
 * down to a whole millisecond. `retry` below 1 counts as 1; the exponent stops growing at 30.
 */
export function backoffCeiling(retry: number, policy: BackoffPolicy): number {
  const exponent = Math.max(0, Math.min(Math.floor(retry) - 1, 30));
  return Math.floor(Math.max(0, Math.min(policy.maxMs, policy.baseMs * 2 ** exponent)));
}

/**
 * The delay before retry number `retry` (1 = first retry), a whole number of milliseconds between
 * the jitter's lower bound and {@link backoffCeiling} (both included). `random` returns values in
 * `[0, 1)`; inject it for tests.
 */
export function backoffDelay(
  retry: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeiling(retry, policy);
  const jitter = policy.jitter ?? 'full';
  const lower = jitter === 'full' ? 0 : jitter === 'equal' ? Math.ceil(ceiling / 2) : ceiling;
  return Math.min(ceiling, lower + Math.floor(random() * (ceiling - lower + 1)));
}
