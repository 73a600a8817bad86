import { ValidationError } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { resolveRetryOptions, retryDelay } from './retry-policy.js';

describe('retry policy', () => {
  it('doubles the ceiling per retry up to maxDelayMs, with full jitter below it', () => {
    const top = resolveRetryOptions({ baseDelayMs: 50, maxDelayMs: 1000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 6, 7].map((retry) => retryDelay(retry, top))).toEqual([
      50, 100, 200, 400, 800, 1000, 1000,
    ]);
    const bottom = resolveRetryOptions({ random: () => 0 });
    expect(retryDelay(5, bottom)).toBe(0);
  });

  it('has bounded defaults and rejects nonsense', () => {
    expect(resolveRetryOptions(undefined)).toMatchObject({
      maxAttempts: 8,
      baseDelayMs: 50,
      maxDelayMs: 5000,
    });
    expect(() => resolveRetryOptions({ maxAttempts: 1.5 })).toThrow(ValidationError);
    expect(() => resolveRetryOptions({ baseDelayMs: -1 })).toThrow(ValidationError);
    expect(() => resolveRetryOptions({ maxDelayMs: Number.NaN })).toThrow(ValidationError);
  });
});
