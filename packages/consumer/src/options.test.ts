import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from './options.js';

describe('pool size options', () => {
  it('default to the available parallelism for both pooled runners', () => {
    const resolved = resolveOptions({ streamName: 's' });
    expect(resolved.maxProcesses).toBe(availableParallelism());
    expect(resolved.maxThreads).toBe(availableParallelism());
  });

  it('accept a positive integer or Infinity (one worker per shard)', () => {
    const resolved = resolveOptions({ streamName: 's', maxProcesses: Infinity, maxThreads: 3 });
    expect(resolved.maxProcesses).toBe(Number.POSITIVE_INFINITY);
    expect(resolved.maxThreads).toBe(3);
  });

  it('reject anything else, naming the option', () => {
    for (const bad of [0, -2, 1.5, Number.NaN, '4']) {
      expect(() => resolveOptions({ streamName: 's', maxProcesses: bad as number })).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          context: { option: 'maxProcesses', value: bad },
        }),
      );
      expect(() => resolveOptions({ streamName: 's', maxThreads: bad as number })).toThrow(/maxThreads/);
    }
  });
});
