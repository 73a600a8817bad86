import { describe, expect, it } from 'vitest';
import { fullJitterDelay } from './backoff.js';

describe('fullJitterDelay', () => {
  const options = { baseDelay: 100, maxDelay: 5000 };

  it('stays within [0, min(maxDelay, base * 2^(attempt-1))]', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const cap = Math.min(5000, 100 * 2 ** (attempt - 1));
      expect(fullJitterDelay(attempt, options, () => 0)).toBe(0);
      expect(fullJitterDelay(attempt, options, () => 0.999999999)).toBe(cap);
      for (let i = 0; i < 50; i++) {
        const d = fullJitterDelay(attempt, options);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(cap);
      }
    }
  });

  it('spreads delays over the whole window (full jitter)', () => {
    const delays = Array.from({ length: 2000 }, () => fullJitterDelay(4, options));
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(mean).toBeGreaterThan(300);
    expect(mean).toBeLessThan(500);
  });
});
