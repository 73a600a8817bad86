import { expect } from 'vitest';
import type { Lease } from '../../state.js';
import { expectWellFormed, mustGetLease, snapshot } from '../assertions.js';
import type { ResolvedConformanceOptions } from '../conformance-options.js';
import type { ConformanceTest } from '../harness.js';
import { randomScope, shardIdOf } from '../random-scope.js';

/** Runs a mutation of a returned object; a frozen object (TypeError) is as good as a copy. */
function mutate(change: () => unknown): void {
  try {
    change();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
}

/** Reads of unknown leases, createLease's initial state and idempotence, copies. */
export function createAndReadTests(test: ConformanceTest, options: ResolvedConformanceOptions): void {
  test('getLease and getCheckpoint return null for an unknown shard; listLeases returns [] for an unknown scope', async (h) => {
    const adapter = await h.started();
    const scope = randomScope();
    expect(await adapter.getLease(scope, shardIdOf(0))).toBeNull();
    expect(await adapter.getCheckpoint(scope, shardIdOf(0))).toBeNull();
    expect(await adapter.listLeases(scope)).toEqual([]);
    // A lease in the scope does not make other shards exist.
    await adapter.createLease(scope, shardIdOf(1));
    expect(await adapter.getLease(scope, shardIdOf(0))).toBeNull();
    expect(await adapter.getCheckpoint(scope, shardIdOf(0))).toBeNull();
  });

  test('createLease creates an unowned lease: counter 0, no checkpoint, parents recorded, not ended, no pending owner', async (h) => {
    const writer = await h.started();
    const reader = await h.started();
    const scope = randomScope();
    const parentsByShard: Array<readonly string[]> = [[], [shardIdOf(0)], [shardIdOf(0), shardIdOf(1)]];
    for (const [index, parentShardIds] of parentsByShard.entries()) {
      const shardId = shardIdOf(10 + index);
      const created = await writer.createLease(scope, shardId, { parentShardIds });
      expectWellFormed(created, scope, shardId);
      const expected = {
        owner: null,
        leaseCounter: 0,
        checkpoint: null,
        parentShardIds,
        ended: false,
        pendingOwner: null,
      };
      expect(snapshot(created)).toEqual(expected);
      const stored = await mustGetLease(reader, scope, shardId);
      expectWellFormed(stored, scope, shardId);
      expect(snapshot(stored), 'a fresh instance reads what was created').toEqual(expected);
      expect(await reader.getCheckpoint(scope, shardId)).toBeNull();
    }
    // Without options, the lease has no parents.
    const bare = await writer.createLease(scope, shardIdOf(20));
    expect(bare.parentShardIds).toEqual([]);
  });

  test('createLease is idempotent: it returns the existing lease unchanged, even after it was taken and checkpointed', async (h) => {
    const a = await h.started();
    const b = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(3);
    const first = await a.createLease(scope, shardId, { parentShardIds: [shardIdOf(1)] });
    const again = await b.createLease(scope, shardId, { parentShardIds: [shardIdOf(1)] });
    expect(snapshot(again)).toEqual(snapshot(first));
    const taken = await a.takeLease(scope, shardId, { owner: null, leaseCounter: 0 }, 'owner-a');
    const checkpointed = await a.checkpoint(
      scope,
      shardId,
      { owner: 'owner-a', leaseCounter: taken.leaseCounter },
      {
        sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
        subSequenceNumber: 3,
      },
    );
    // Different parents on the second call change nothing either.
    const recreated = await b.createLease(scope, shardId, { parentShardIds: [shardIdOf(7), shardIdOf(8)] });
    expectWellFormed(recreated, scope, shardId);
    expect(snapshot(recreated)).toEqual(snapshot(checkpointed));
    expect(snapshot(await mustGetLease(b, scope, shardId))).toEqual(snapshot(checkpointed));
  });

  test(`${options.concurrentTakers} concurrent createLease calls from as many instances agree on one lease`, async (h) => {
    const adapters = await h.startedMany(options.concurrentTakers);
    const scope = randomScope();
    const shardId = shardIdOf(4);
    const results = await Promise.all(
      adapters.map((adapter) => adapter.createLease(scope, shardId, { parentShardIds: [shardIdOf(2)] })),
    );
    const stored = await mustGetLease(await h.started(), scope, shardId);
    expect(snapshot(stored)).toEqual({
      owner: null,
      leaseCounter: 0,
      checkpoint: null,
      parentShardIds: [shardIdOf(2)],
      ended: false,
      pendingOwner: null,
    });
    for (const result of results) expect(snapshot(result)).toEqual(snapshot(stored));
  });

  test('returned leases are copies: mutating them, or the arguments passed in, changes nothing stored', async (h) => {
    const adapter = await h.started();
    const scope = randomScope();
    const shardId = shardIdOf(5);
    const parentShardIds = [shardIdOf(1)];
    const created = await adapter.createLease(scope, shardId, { parentShardIds });
    parentShardIds.push(shardIdOf(2));
    mutate(() => (created.parentShardIds as string[]).push(shardIdOf(3)));
    const taken = await adapter.takeLease(scope, shardId, { owner: null, leaseCounter: 0 }, 'owner-a');
    const position = { sequenceNumber: '100', subSequenceNumber: 1 };
    const checkpointed = await adapter.checkpoint(
      scope,
      shardId,
      { owner: 'owner-a', leaseCounter: taken.leaseCounter },
      position,
    );
    position.sequenceNumber = '999';
    mutate(() => {
      (checkpointed as { owner: string | null }).owner = 'intruder';
    });
    mutate(() => {
      (checkpointed.checkpoint as { subSequenceNumber: number }).subSequenceNumber = 42;
    });
    const read = await mustGetLease(adapter, scope, shardId);
    mutate(() => {
      (read as { leaseCounter: number }).leaseCounter = 1_000;
    });
    const stored: Lease = await mustGetLease(adapter, scope, shardId);
    expect(snapshot(stored)).toEqual({
      owner: 'owner-a',
      leaseCounter: taken.leaseCounter,
      checkpoint: { sequenceNumber: '100', subSequenceNumber: 1 },
      parentShardIds: [shardIdOf(1)],
      ended: false,
      pendingOwner: null,
    });
    for (const listed of await adapter.listLeases(scope)) {
      mutate(() => {
        (listed as { owner: string | null }).owner = 'intruder';
      });
    }
    expect((await mustGetLease(adapter, scope, shardId)).owner).toBe('owner-a');
    const checkpoint = await adapter.getCheckpoint(scope, shardId);
    mutate(() => {
      (checkpoint as { sequenceNumber: string }).sequenceNumber = '5';
    });
    expect(await adapter.getCheckpoint(scope, shardId)).toEqual({
      sequenceNumber: '100',
      subSequenceNumber: 1,
    });
  });
}
