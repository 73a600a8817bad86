import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { resolveConformanceOptions } from './conformance-options.js';
import { randomScope, shardIdOf } from './random-scope.js';

const createAdapter = () => {
  throw new Error('not called');
};

describe('resolveConformanceOptions', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveConformanceOptions({ name: 'x', createAdapter });
    expect(resolved).toMatchObject({
      timeoutMs: 30_000,
      largeListingShards: 2_500,
      largeListingTimeoutMs: 120_000,
      largeListingConcurrency: 32,
      concurrentTakers: 10,
      lifecycleChecks: true,
      crossProcess: undefined,
    });
    expect(
      resolveConformanceOptions({ name: 'x', createAdapter, timeoutMs: 1_000 }).largeListingTimeoutMs,
    ).toBe(4_000);
  });

  it('resolves the cross-process race options when given (a path becomes a file: URL)', () => {
    const resolved = resolveConformanceOptions({
      name: 'x',
      createAdapter,
      crossProcess: { module: '/abs/race.mjs' },
    });
    expect(resolved.crossProcess).toMatchObject({
      module: 'file:///abs/race.mjs',
      processes: 4,
      leases: 200,
    });
  });

  it('rejects invalid options with a ValidationError', () => {
    const invalid = [
      { name: '', createAdapter },
      { name: 'x', createAdapter: undefined as unknown as typeof createAdapter },
      { name: 'x', createAdapter, largeListingShards: 0 },
      { name: 'x', createAdapter, concurrentTakers: 1 },
      { name: 'x', createAdapter, timeoutMs: 1.5 },
      { name: 'x', createAdapter, crossProcess: { module: './relative.mjs' } },
      { name: 'x', createAdapter, crossProcess: { module: '/abs/race.mjs', processes: 1 } },
    ];
    for (const options of invalid) {
      expect(() => resolveConformanceOptions(options)).toThrowError(
        expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
      );
    }
  });
});

describe('randomScope and shardIdOf', () => {
  it('returns fresh names in the Kinesis / DynamoDB name alphabet and canonical shard ids', () => {
    const a = randomScope();
    const b = randomScope('other');
    expect(a).not.toEqual(b);
    for (const name of [a.consumerGroup, a.streamName, b.consumerGroup, b.streamName]) {
      expect(name).toMatch(/^[a-zA-Z0-9_.-]{3,128}$/);
    }
    expect(shardIdOf(0)).toBe('shardId-000000000000');
    expect(shardIdOf(1234)).toBe('shardId-000000001234');
  });
});
