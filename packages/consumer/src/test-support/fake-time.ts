/**
 * Test helpers for code driven by `vi.useFakeTimers()`: wait for a promise by advancing fake time,
 * and pull records from a consumer's iterator the same way.
 */
import type { KinesisRecord } from '@kinesis-ts/core';
import { vi } from 'vitest';

/** Advances fake time in 50 ms steps until `promise` settles (at most `maxMs`), then returns it. */
export async function until<T>(promise: Promise<T>, maxMs = 120_000): Promise<T> {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  tracked.catch(() => {});
  for (let t = 0; t < maxMs && !settled; t += 50) await vi.advanceTimersByTimeAsync(50);
  return tracked;
}

/** Takes up to `n` records from `iterator` (fewer when it ends), advancing fake time while waiting. */
export async function take(iterator: AsyncIterator<KinesisRecord>, n: number): Promise<KinesisRecord[]> {
  const out: KinesisRecord[] = [];
  while (out.length < n) {
    const result = await until(iterator.next());
    if (result.done) break;
    out.push(result.value);
  }
  return out;
}
