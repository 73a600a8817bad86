import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';
import { expectWellFormed, mapConcurrent, mustGetLease, snapshot } from '../assertions.js';
import type { ResolvedConformanceOptions } from '../conformance-options.js';
import { fenceOf, seedLease } from '../fixtures.js';
import type { ConformanceTest } from '../harness.js';
import { randomScope, randomToken, shardIdOf } from '../random-scope.js';

/** Isolation of consumer groups and streams; listings (complete, current, abortable). */
export function listingTests(test: ConformanceTest, options: ResolvedConformanceOptions): void {
  const shardCount = options.largeListingShards;

  const fourScopes = () => {
    const token = randomToken();
    const groups = [`kts-conformance-g1-${token}`, `kts-conformance-g2-${token}`];
    const streams = [`kts-conformance-s1-${token}`, `kts-conformance-s2-${token}`];
    return groups.flatMap((consumerGroup) => streams.map((streamName) => ({ consumerGroup, streamName })));
  };

  test('consumer groups and streams are isolated: the same shard ids in two groups and two streams never interfere', async (h) => {
    const a = await h.started();
    const b = await h.started();
    const scopes = fourScopes();
    const [first, ...others] = scopes;
    if (first === undefined) throw new Error('unreachable');
    for (const scope of scopes) {
      await a.createLease(scope, shardIdOf(0));
      await a.createLease(scope, shardIdOf(1), { parentShardIds: [shardIdOf(0)] });
    }
    const held = await seedLease(a, first, shardIdOf(0), {
      owner: 'owner-a',
      checkpoint: { sequenceNumber: '42', subSequenceNumber: 1 },
    });
    await a.markShardEnded(first, shardIdOf(0), fenceOf(held));
    await b.requestHandoff(
      first,
      shardIdOf(0),
      { owner: 'owner-a', leaseCounter: held.leaseCounter + 1 },
      'owner-b',
    );
    for (const scope of others) {
      for (const shardId of [shardIdOf(0), shardIdOf(1)]) {
        const lease = await mustGetLease(b, scope, shardId);
        expectWellFormed(lease, scope, shardId);
        expect(lease.owner).toBeNull();
        expect(lease.leaseCounter).toBe(0);
        expect(lease.ended).toBe(false);
        expect(lease.pendingOwner).toBeNull();
        expect(await b.getCheckpoint(scope, shardId)).toBeNull();
      }
      // A fence that is valid in the first scope is not valid here.
      const takenHere = await b.takeLease(
        scope,
        shardIdOf(0),
        { owner: null, leaseCounter: 0 },
        `owner-${scope.streamName}`,
      );
      expect(takenHere.leaseCounter).toBe(1);
    }
    const untouched = await mustGetLease(b, first, shardIdOf(0));
    expect(untouched.owner).toBe('owner-a');
    expect(untouched.checkpoint).toEqual({ sequenceNumber: '42', subSequenceNumber: 1 });
    expect(untouched.leaseCounter).toBe(held.leaseCounter + 1);
    expect(untouched.pendingOwner).toBe('owner-b');
  });

  test('listLeases of a scope returns exactly its own leases (requires consistentListing)', async (h) => {
    const a = await h.started();
    h.requireCapability(a, 'consistentListing');
    const scopes = fourScopes();
    for (const [index, scope] of scopes.entries()) {
      for (let shard = 0; shard <= index; shard++) await a.createLease(scope, shardIdOf(shard));
    }
    for (const [index, scope] of scopes.entries()) {
      const listed = await a.listLeases(scope);
      expect(listed.length).toBe(index + 1);
      for (const lease of listed) expectWellFormed(lease, scope, lease.shardId);
      expect(listed.map((lease) => lease.shardId).sort()).toEqual(
        Array.from({ length: index + 1 }, (_, shard) => shardIdOf(shard)),
      );
    }
  });

  test('listLeases reflects every write that completed before it (requires consistentListing)', async (h) => {
    const writer = await h.started();
    const lister = await h.started();
    h.requireCapability(lister, 'consistentListing');
    const scope = randomScope();
    const held = await seedLease(writer, scope, shardIdOf(0), {
      owner: 'owner-a',
      checkpoint: { sequenceNumber: '5', subSequenceNumber: 5 },
    });
    const ended = await writer.markShardEnded(scope, shardIdOf(0), fenceOf(held));
    const released = await writer.releaseLease(scope, shardIdOf(0), fenceOf(ended));
    const other = await seedLease(writer, scope, shardIdOf(1), {
      owner: 'owner-b',
      parentShardIds: [shardIdOf(0)],
      pendingOwner: 'owner-c',
    });
    const listed = await lister.listLeases(scope);
    const byShard = new Map(listed.map((lease) => [lease.shardId, snapshot(lease)]));
    expect(byShard.size).toBe(2);
    expect(byShard.get(shardIdOf(0))).toEqual(snapshot(released));
    expect(byShard.get(shardIdOf(1))).toEqual(snapshot(other));
  });

  test(
    `listLeases returns every lease of ${shardCount} shards; aborting that listing while it pages rejects with signal.reason and breaks nothing (requires consistentListing)`,
    async (h) => {
      const writer = await h.started();
      const lister = await h.started();
      h.requireCapability(lister, 'consistentListing');
      const scope = randomScope();
      const shardIds = Array.from({ length: shardCount }, (_, index) => shardIdOf(index));
      await mapConcurrent(shardIds, options.largeListingConcurrency, (shardId) =>
        writer.createLease(scope, shardId),
      );
      // A few of them carry state, so a listing that only reads keys would be caught.
      const sampled = [...new Set([0, Math.floor(shardCount / 2), shardCount - 1])];
      const expected = new Map<string, ReturnType<typeof snapshot>>();
      for (const index of sampled) {
        const shardId = shardIdOf(index);
        const lease = await mustGetLease(writer, scope, shardId);
        const taken = await writer.takeLease(scope, shardId, fenceOf(lease), `owner-${index}`);
        const position = { sequenceNumber: String(1_000 + index), subSequenceNumber: 1 };
        expected.set(shardId, snapshot(await writer.checkpoint(scope, shardId, fenceOf(taken), position)));
      }
      const listed = await lister.listLeases(scope);
      expect(listed.length, 'every lease, no duplicates').toBe(shardCount);
      const seen = new Set(listed.map((lease) => lease.shardId));
      expect(seen.size, 'no duplicates').toBe(shardCount);
      // One assertion per property over all leases (thousands of single expects would dominate the run time).
      expect(
        shardIds.filter((shardId) => !seen.has(shardId)),
        'shards missing from the listing',
      ).toEqual([]);
      const foreign = listed.filter(
        (lease) => lease.consumerGroup !== scope.consumerGroup || lease.streamName !== scope.streamName,
      );
      expect(
        foreign.map((lease) => lease.shardId),
        'leases listed with another group or stream',
      ).toEqual([]);
      const wrong = listed.filter((lease) => {
        const want = expected.get(lease.shardId);
        return want === undefined
          ? lease.owner !== null || lease.leaseCounter !== 0
          : !isDeepStrictEqual(snapshot(lease), want);
      });
      expect(wrong.map(snapshot), 'leases listed with the wrong state').toEqual([]);

      // The same listing, aborted while it pages (one microtask after the call: a paging adapter has
      // a request in flight). It rejects with the very reason, or resolves in full if it finished
      // before the abort (a synchronous store); a listing running beside it is unaffected, and the
      // adapter lists and writes normally afterwards.
      const controller = new AbortController();
      const reason = new Error('conformance: listing aborted while paging');
      const aborted = lister.listLeases(scope, { signal: controller.signal }).then(
        (leases) => ({ status: 'resolved' as const, leases }),
        (error: unknown) => ({ status: 'rejected' as const, error }),
      );
      const beside = lister.listLeases(scope);
      await Promise.resolve();
      controller.abort(reason);
      const outcome = await aborted;
      if (outcome.status === 'rejected') {
        expect(outcome.error, 'an aborted listing rejects with signal.reason itself').toBe(reason);
      } else {
        expect(outcome.leases.length, 'a listing that finished before the abort is complete').toBe(
          shardCount,
        );
      }
      expect((await beside).length, 'a listing beside the aborted one is complete').toBe(shardCount);
      const after = await lister.listLeases(scope);
      expect(after.length, 'a listing after the abort is complete').toBe(shardCount);
      const firstSampled = shardIdOf(sampled[0] as number);
      expect(snapshot(await mustGetLease(lister, scope, firstSampled)), 'the abort wrote nothing').toEqual(
        expected.get(firstSampled),
      );
      const renewed = await lister.renewLease(
        scope,
        firstSampled,
        fenceOf(await mustGetLease(lister, scope, firstSampled)),
      );
      expect(renewed.leaseCounter, 'writes work after the abort').toBe(
        (expected.get(firstSampled)?.leaseCounter ?? 0) + 1,
      );
    },
    { timeoutMs: options.largeListingTimeoutMs },
  );

  test("listLeases rejects with the signal's reason when the signal is already aborted", async (h) => {
    const a = await h.started();
    const scope = randomScope();
    await a.createLease(scope, shardIdOf(0));
    const controller = new AbortController();
    const reason = new Error('conformance: listing aborted');
    controller.abort(reason);
    await expect(a.listLeases(scope, { signal: controller.signal })).rejects.toBe(reason);
  });
}
