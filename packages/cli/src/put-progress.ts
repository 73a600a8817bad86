/**
 * The progress line of `put` on stderr: records read, acknowledged, failed, and the rate.
 */

/** Counters of a `put` run. */
export interface PutCounters {
  /** Lines turned into records and handed to the producer. */
  read: number;
  /** Records Kinesis acknowledged. */
  acknowledged: number;
  /** Records that failed for good (their put() rejected). */
  failed: number;
}

/** `put 12,000 read, 11,500 acknowledged, 0 failed, 4,210 records/s`. */
export function formatProgress(counters: PutCounters, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? Math.round((counters.acknowledged * 1000) / elapsedMs) : 0;
  const n = (value: number) => value.toLocaleString('en-US');
  return `put ${n(counters.read)} read, ${n(counters.acknowledged)} acknowledged, ${n(counters.failed)} failed, ${n(rate)} records/s`;
}
