import { expect } from 'vitest';
import {
  atTimestampCheckpoint,
  LATEST_CHECKPOINT,
  TRIM_HORIZON_CHECKPOINT,
} from '../../checkpoint-position.js';
import { mustGetLease, snapshot } from '../assertions.js';
import type { ResolvedConformanceOptions } from '../conformance-options.js';
import { fenceOf, seedLease } from '../fixtures.js';
import type { ConformanceTest } from '../harness.js';
import { randomScope, shardIdOf } from '../random-scope.js';

/** A real 56-digit Kinesis sequence number. */
const SEQUENCE_56 = '49590338271490256608559692538361571095921575989136588898';
/** 128 digits: far beyond what a float or a 38-digit decimal holds. */
const SEQUENCE_128 = `${'9876543210'.repeat(12)}12345678`;

/** Checkpoints and SHARD_END persist exactly and across instances. */
export function checkpointTests(test: ConformanceTest, _options: ResolvedConformanceOptions): void {
  test('a checkpoint survives a fresh instance on the same store, with its sub-sequence number', async (h) => {
    const writer = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(0);
    const held = await seedLease(writer, scope, shardId, { owner: 'owner-a' });
    const first = await writer.checkpoint(scope, shardId, fenceOf(held), {
      sequenceNumber: SEQUENCE_56,
      subSequenceNumber: 0,
    });
    const second = await writer.checkpoint(scope, shardId, fenceOf(first), {
      sequenceNumber: SEQUENCE_56,
      subSequenceNumber: 7,
    });
    await writer.close();
    const fresh = await h.started();
    expect(await fresh.getCheckpoint(scope, shardId)).toEqual({
      sequenceNumber: SEQUENCE_56,
      subSequenceNumber: 7,
    });
    expect(snapshot(await mustGetLease(fresh, scope, shardId))).toEqual(snapshot(second));
    // The owner can go on from the same fence on another instance (the fence lives in the store).
    const renewed = await fresh.renewLease(scope, shardId, fenceOf(second));
    expect(renewed.checkpoint).toEqual({ sequenceNumber: SEQUENCE_56, subSequenceNumber: 7 });
  });

  test('sequence numbers of 56 and 128 digits and large sub-sequence numbers are stored exactly', async (h) => {
    const writer = await h.started();
    const reader = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(1);
    let lease = await seedLease(writer, scope, shardId, { owner: 'owner-a' });
    for (const position of [
      { sequenceNumber: SEQUENCE_56, subSequenceNumber: 0 },
      { sequenceNumber: SEQUENCE_128, subSequenceNumber: 2_147_483_647 },
      { sequenceNumber: '0', subSequenceNumber: 0 },
      { sequenceNumber: '9007199254740993', subSequenceNumber: 1 },
    ]) {
      lease = await writer.checkpoint(scope, shardId, fenceOf(lease), position);
      expect(lease.checkpoint).toEqual(position);
      expect(await reader.getCheckpoint(scope, shardId)).toEqual(position);
      expect((await mustGetLease(reader, scope, shardId)).checkpoint).toEqual(position);
    }
  });

  test('positions that are not a record (TRIM_HORIZON, LATEST, AT_TIMESTAMP) are stored exactly, and a record replaces them', async (h) => {
    const writer = await h.started();
    const reader = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(3);
    let lease = await seedLease(writer, scope, shardId, {
      owner: 'owner-a',
      checkpoint: { sequenceNumber: SEQUENCE_56, subSequenceNumber: 2 },
    });
    for (const position of [
      TRIM_HORIZON_CHECKPOINT,
      LATEST_CHECKPOINT,
      atTimestampCheckpoint(Date.UTC(2026, 10, 29, 17, 0, 0, 123)),
      atTimestampCheckpoint(0),
      { sequenceNumber: SEQUENCE_56, subSequenceNumber: 1 },
      TRIM_HORIZON_CHECKPOINT,
    ]) {
      lease = await writer.checkpoint(scope, shardId, fenceOf(lease), position);
      expect(lease.checkpoint).toEqual(position);
      expect(await reader.getCheckpoint(scope, shardId)).toEqual(position);
      expect((await mustGetLease(reader, scope, shardId)).checkpoint).toEqual(position);
    }
    // As the CLI's rewind leaves it: released, with the sentinel, readable by a fresh instance.
    await writer.releaseLease(scope, shardId, fenceOf(lease));
    await writer.close();
    const fresh = await h.started();
    expect(await fresh.getCheckpoint(scope, shardId)).toEqual(TRIM_HORIZON_CHECKPOINT);
    expect((await mustGetLease(fresh, scope, shardId)).owner).toBeNull();
  });

  test('SHARD_END: ended, the final checkpoint and the parents survive a fresh instance', async (h) => {
    const writer = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(2);
    const parents = [shardIdOf(0), shardIdOf(1)];
    const held = await seedLease(writer, scope, shardId, {
      owner: 'owner-a',
      parentShardIds: parents,
      checkpoint: { sequenceNumber: '100', subSequenceNumber: 0 },
    });
    const ended = await writer.markShardEnded(scope, shardId, fenceOf(held), {
      sequenceNumber: SEQUENCE_56,
      subSequenceNumber: 4,
    });
    const released = await writer.releaseLease(scope, shardId, fenceOf(ended));
    await writer.close();
    const fresh = await h.started();
    const stored = await mustGetLease(fresh, scope, shardId);
    expect(snapshot(stored)).toEqual({
      owner: null,
      leaseCounter: released.leaseCounter,
      checkpoint: { sequenceNumber: SEQUENCE_56, subSequenceNumber: 4 },
      parentShardIds: parents,
      ended: true,
      pendingOwner: null,
    });
    expect(await fresh.getCheckpoint(scope, shardId)).toEqual({
      sequenceNumber: SEQUENCE_56,
      subSequenceNumber: 4,
    });
  });
}
