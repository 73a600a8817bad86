import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.js';
import type { PendingRecord, PutEntry } from './entries.js';
import { plainEntry } from './entries.js';

function entry(id: number, key: string, shardId: string, deadline = 1_000_000): PutEntry {
  const record: PendingRecord = {
    id,
    data: new Uint8Array([id]),
    partitionKey: key,
    explicitHashKey: undefined,
    hashKey: 0n,
    size: 1 + key.length,
    arrivedAt: 0,
    deadline,
  };
  return plainEntry(record, shardId, 1, 0);
}

const ordered = () =>
  new Batcher({ maxCount: 500, maxBytes: 1 << 20, ordered: true, bucket: () => undefined });

describe('Batcher (ordered mode)', () => {
  it('keeps per-key order across shard queues: a later entry waits for an earlier one queued for another shard', () => {
    const batcher = ordered();
    // Record 5 (key k) was queued for shard B after a re-route; record 9 (key k) sits in shard A's queue,
    // which is scanned first.
    batcher.push(entry(9, 'k', 'A'));
    batcher.push(entry(5, 'k', 'B'));
    batcher.push(entry(7, 'j', 'A'));
    const first = batcher.next(10, true);
    expect(first.batch.map((e) => e.seq).sort()).toEqual([5, 7]);
    // 9 waits while 5 is in flight, then goes.
    expect(batcher.next(10, true).batch).toEqual([]);
    batcher.settle(first.batch);
    expect(batcher.next(10, true).batch.map((e) => e.seq)).toEqual([9]);
  });

  it('held keys block later entries until released', () => {
    const batcher = ordered();
    batcher.holdKeys(['k']);
    batcher.push(entry(3, 'k', 'A'));
    batcher.push(entry(4, 'x', 'A'));
    expect(batcher.next(10, true).batch.map((e) => e.seq)).toEqual([4]);
    batcher.releaseKeys(['k']);
    expect(batcher.next(10, true).batch.map((e) => e.seq)).toEqual([3]);
  });

  it('an expired entry no longer holds back later entries of its key', () => {
    const batcher = ordered();
    const early = entry(1, 'k', 'A', 100);
    early.notBefore = 100; // in backoff until its deadline
    batcher.push(early);
    batcher.push(entry(2, 'k', 'B'));
    expect(batcher.next(10, true).batch).toEqual([]);
    const late = batcher.next(200, true);
    expect(late.expired.map((e) => e.seq)).toEqual([1]);
    expect(late.batch.map((e) => e.seq)).toEqual([2]);
  });
});
