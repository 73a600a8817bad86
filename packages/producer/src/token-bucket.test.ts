import { ManualClock } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows one second of burst, then refills at the rate', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ recordsPerSecond: 1000, bytesPerSecond: 1024 * 1024 }, clock);
    let taken = 0;
    while (bucket.tryTake(1, 100)) taken++;
    expect(taken).toBe(1000);
    expect(bucket.waitTime(1, 100)).toBe(1);
    clock.advance(100);
    taken = 0;
    while (bucket.tryTake(1, 100)) taken++;
    expect(taken).toBe(100);
  });

  it('limits bytes independently of records', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ recordsPerSecond: 1000, bytesPerSecond: 10_000 }, clock);
    expect(bucket.tryTake(1, 6000)).toBe(true);
    expect(bucket.tryTake(1, 6000)).toBe(false);
    expect(bucket.waitTime(1, 6000)).toBe(200);
    clock.advance(199);
    expect(bucket.tryTake(1, 6000)).toBe(false);
    clock.advance(1);
    expect(bucket.tryTake(1, 6000)).toBe(true);
  });

  it('lets a request larger than the burst through when full, so it never waits forever', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ recordsPerSecond: 10, bytesPerSecond: 1000 }, clock);
    expect(bucket.tryTake(1, 5000)).toBe(true);
    expect(bucket.tryTake(1, 1)).toBe(false);
    clock.advance(1000);
    expect(bucket.tryTake(1, 5000)).toBe(true);
  });
});
