import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay } from './backoff.js';

const almostOne = () => 0.999_999_999;

describe('backoffCeiling', () => {
  it('doubles from baseMs up to maxMs, whole milliseconds, retries below 1 count as 1', () => {
    const policy = { baseMs: 100, maxMs: 5000 };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 1000].map((r) => backoffCeiling(r, policy))).toEqual([
      100, 100, 200, 400, 800, 1600, 3200, 5000, 5000,
    ]);
    expect(backoffCeiling(2, { baseMs: 0.75, maxMs: 10 })).toBe(1);
  });
});

describe('backoffDelay', () => {
  const policy = { baseMs: 100, maxMs: 5000 };
  it('full jitter (default): every whole value in [0, ceiling], both ends reachable', () => {
    for (const retry of [1, 3, 9]) {
      const ceiling = backoffCeiling(retry, policy);
      expect(backoffDelay(retry, policy, () => 0)).toBe(0);
      expect(backoffDelay(retry, policy, almostOne)).toBe(ceiling);
    }
    const delays = Array.from({ length: 4000 }, () => backoffDelay(3, policy));
    expect(delays.every((d) => Number.isInteger(d) && d >= 0 && d <= 400)).toBe(true);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(mean).toBeGreaterThan(170);
    expect(mean).toBeLessThan(230);
  });
  it('equal jitter: between half the ceiling and the ceiling', () => {
    const equal = { ...policy, jitter: 'equal' as const };
    expect(backoffDelay(3, equal, () => 0)).toBe(200);
    expect(backoffDelay(3, equal, almostOne)).toBe(400);
    expect(backoffDelay(1, { baseMs: 5, maxMs: 5, jitter: 'equal' }, () => 0)).toBe(3);
    const delays = Array.from({ length: 2000 }, () => backoffDelay(3, equal));
    expect(delays.every((d) => Number.isInteger(d) && d >= 200 && d <= 400)).toBe(true);
  });
  it('no jitter: the ceiling itself', () => {
    const none = { ...policy, jitter: 'none' as const };
    expect([1, 2, 3, 10].map((r) => backoffDelay(r, none, () => 0.5))).toEqual([100, 200, 400, 5000]);
  });
  it('a zero ceiling gives zero', () => {
    expect(backoffDelay(4, { baseMs: 0, maxMs: 100 }, almostOne)).toBe(0);
  });
});
