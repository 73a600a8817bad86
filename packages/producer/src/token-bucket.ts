/**
 * A two-dimensional token bucket (records and bytes) that keeps one shard under its write limits.
 */

import type { Clock } from '@kinesis-ts/core';

/** Rates a {@link TokenBucket} enforces; each refills continuously and holds at most one second's worth. */
export interface TokenBucketRates {
  /** Records per second (Kinesis: 1,000 per shard). */
  readonly recordsPerSecond: number;
  /** Bytes per second (Kinesis: 1 MiB per shard). */
  readonly bytesPerSecond: number;
}

/**
 * Records and bytes allowance of one shard. Both dimensions refill continuously at their rate and
 * hold at most one second's worth (the burst). A request larger than the burst is allowed when the
 * bucket is full, so an oversized record can never wait forever.
 */
export class TokenBucket {
  readonly #rates: TokenBucketRates;
  readonly #clock: Clock;
  #records: number;
  #bytes: number;
  #at: number;

  constructor(rates: TokenBucketRates, clock: Clock) {
    this.#rates = rates;
    this.#clock = clock;
    this.#records = rates.recordsPerSecond;
    this.#bytes = rates.bytesPerSecond;
    this.#at = clock.now();
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#at) / 1000;
    this.#at = now;
    this.#records = Math.min(
      this.#rates.recordsPerSecond,
      this.#records + elapsed * this.#rates.recordsPerSecond,
    );
    this.#bytes = Math.min(this.#rates.bytesPerSecond, this.#bytes + elapsed * this.#rates.bytesPerSecond);
  }

  /** Takes `records` and `bytes` when both are available now; returns false (taking nothing) otherwise. */
  tryTake(records: number, bytes: number): boolean {
    this.#refill();
    const needRecords = Math.min(records, this.#rates.recordsPerSecond);
    const needBytes = Math.min(bytes, this.#rates.bytesPerSecond);
    if (this.#records + 1e-9 < needRecords || this.#bytes + 1e-9 < needBytes) return false;
    this.#records -= needRecords;
    this.#bytes -= needBytes;
    return true;
  }

  /** Milliseconds until `tryTake(records, bytes)` can succeed (0 when it can now). */
  waitTime(records: number, bytes: number): number {
    this.#refill();
    const needRecords = Math.min(records, this.#rates.recordsPerSecond) - this.#records;
    const needBytes = Math.min(bytes, this.#rates.bytesPerSecond) - this.#bytes;
    const ms = Math.max(
      needRecords > 0 ? (needRecords / this.#rates.recordsPerSecond) * 1000 : 0,
      needBytes > 0 ? (needBytes / this.#rates.bytesPerSecond) * 1000 : 0,
    );
    return Math.ceil(ms);
  }

  /** Records currently available (for tests and diagnostics). */
  get availableRecords(): number {
    this.#refill();
    return this.#records;
  }

  /** Bytes currently available (for tests and diagnostics). */
  get availableBytes(): number {
    this.#refill();
    return this.#bytes;
  }
}
