import { expect } from 'vitest';
import { ErrorCode } from '../../errors.js';
import type { Checkpoint } from '../../records.js';
import type { Lease, LeaseFence, LeaseScope, StateAdapter } from '../../state.js';
import { mustGetLease, rejectionOf, snapshot } from '../assertions.js';
import type { ResolvedConformanceOptions } from '../conformance-options.js';
import { fenceOf, seedLease } from '../fixtures.js';
import type { ConformanceTest } from '../harness.js';
import { randomScope, shardIdOf } from '../random-scope.js';

/** What an invalid call gets: a started adapter, a lease owned by `owner-a` with a checkpoint. */
interface Seeded {
  readonly adapter: StateAdapter;
  readonly scope: LeaseScope;
  readonly lease: Lease;
  readonly fence: LeaseFence;
  /** A shard id with no lease (createLease cases use it). */
  readonly freeShardId: string;
}

/** Casts a deliberately wrong value to the parameter type (the point of these tests). */
// biome-ignore lint/suspicious/noExplicitAny: invalid arguments on purpose
const bad = (value: unknown): any => value;

const position: Checkpoint = { sequenceNumber: '300', subSequenceNumber: 0 };

/**
 * Checkpoints every adapter must refuse: `[what is wrong, sequenceNumber, subSequenceNumber]`. Each is
 * tried with `checkpoint` (see `CASES`).
 */
const BAD_CHECKPOINTS: ReadonlyArray<readonly [string, unknown, unknown]> = [
  ['a non-decimal sequenceNumber', '12a', 0],
  ['an empty sequenceNumber', '', 0],
  ['a leading zero in sequenceNumber', '0123', 0],
  ['a negative sequenceNumber', '-5', 0],
  ['a numeric sequenceNumber', 123, 0],
  ['a 130-digit sequenceNumber', `1${'0'.repeat(129)}`, 0],
  ['a negative subSequenceNumber', '300', -1],
  ['a fractional subSequenceNumber', '300', 0.5],
  ['a lower-case sentinel', 'trim_horizon', 0],
  ['a sentinel and a subSequenceNumber other than 0', 'LATEST', 2],
  ['AT_TIMESTAMP and no time', 'AT_TIMESTAMP:', 0],
  ['AT_TIMESTAMP and an ISO time instead of epoch milliseconds', 'AT_TIMESTAMP:2026-11-29T17:00:00Z', 0],
];

/**
 * Invalid calls, grouped by the argument they get wrong. Everything else in each call is valid and
 * the fence matches the stored lease, so only the argument under test can make it fail: a missing
 * check shows up as a resolved call, a write, or a lease error where INVALID_ARGUMENT is due.
 */
const CASES: ReadonlyArray<readonly [string, (s: Seeded) => Promise<unknown>]> = [
  ...BAD_CHECKPOINTS.map(
    ([what, sequenceNumber, subSequenceNumber]) =>
      [
        `checkpoint with ${what}`,
        (s: Seeded) =>
          s.adapter.checkpoint(s.scope, s.lease.shardId, s.fence, bad({ sequenceNumber, subSequenceNumber })),
      ] as const,
  ),
  // scope
  ['listLeases with an empty consumerGroup', (s) => s.adapter.listLeases({ ...s.scope, consumerGroup: '' })],
  ['listLeases with an empty streamName', (s) => s.adapter.listLeases({ ...s.scope, streamName: '' })],
  [
    'getLease with a numeric consumerGroup',
    (s) => s.adapter.getLease({ ...s.scope, consumerGroup: bad(42) }, s.lease.shardId),
  ],
  ['getCheckpoint with a null scope', (s) => s.adapter.getCheckpoint(bad(null), s.lease.shardId)],
  [
    'createLease without a streamName',
    (s) =>
      s.adapter.createLease(
        { consumerGroup: s.scope.consumerGroup, streamName: bad(undefined) },
        s.freeShardId,
      ),
  ],
  [
    'takeLease with an empty consumerGroup',
    (s) => s.adapter.takeLease({ ...s.scope, consumerGroup: '' }, s.lease.shardId, s.fence, 'owner-b'),
  ],
  [
    'checkpoint with an empty streamName',
    (s) => s.adapter.checkpoint({ ...s.scope, streamName: '' }, s.lease.shardId, s.fence, position),
  ],
  // shardId
  ['getLease with an empty shardId', (s) => s.adapter.getLease(s.scope, '')],
  ['getCheckpoint with a numeric shardId', (s) => s.adapter.getCheckpoint(s.scope, bad(7))],
  ['createLease with an empty shardId', (s) => s.adapter.createLease(s.scope, '')],
  ['renewLease without a shardId', (s) => s.adapter.renewLease(s.scope, bad(undefined), s.fence)],
  ['requestHandoff with an empty shardId', (s) => s.adapter.requestHandoff(s.scope, '', s.fence, 'owner-b')],
  // fence
  [
    'takeLease with a fractional counter',
    (s) =>
      s.adapter.takeLease(
        s.scope,
        s.lease.shardId,
        { ...s.fence, leaseCounter: s.fence.leaseCounter + 0.5 },
        'owner-b',
      ),
  ],
  [
    'renewLease with a negative counter',
    (s) => s.adapter.renewLease(s.scope, s.lease.shardId, { ...s.fence, leaseCounter: -1 }),
  ],
  [
    'checkpoint with a string counter',
    (s) =>
      s.adapter.checkpoint(
        s.scope,
        s.lease.shardId,
        { ...s.fence, leaseCounter: bad(String(s.fence.leaseCounter)) },
        position,
      ),
  ],
  [
    'releaseLease with a NaN counter',
    (s) => s.adapter.releaseLease(s.scope, s.lease.shardId, { ...s.fence, leaseCounter: Number.NaN }),
  ],
  [
    'markShardEnded with an empty owner in the fence',
    (s) => s.adapter.markShardEnded(s.scope, s.lease.shardId, { ...s.fence, owner: '' }),
  ],
  [
    'requestHandoff with a numeric owner in the fence',
    (s) => s.adapter.requestHandoff(s.scope, s.lease.shardId, { ...s.fence, owner: bad(1) }, 'owner-b'),
  ],
  ['renewLease with a null fence', (s) => s.adapter.renewLease(s.scope, s.lease.shardId, bad(null))],
  [
    'takeLease without a counter in the fence',
    (s) => s.adapter.takeLease(s.scope, s.lease.shardId, bad({ owner: s.fence.owner }), 'owner-b'),
  ],
  // owners
  ['takeLease with an empty newOwner', (s) => s.adapter.takeLease(s.scope, s.lease.shardId, s.fence, '')],
  [
    'takeLease with a null newOwner',
    (s) => s.adapter.takeLease(s.scope, s.lease.shardId, s.fence, bad(null)),
  ],
  [
    'requestHandoff with an empty requester',
    (s) => s.adapter.requestHandoff(s.scope, s.lease.shardId, s.fence, ''),
  ],
  [
    'requestHandoff with the owner itself as requester',
    (s) => s.adapter.requestHandoff(s.scope, s.lease.shardId, s.fence, 'owner-a'),
  ],
  // checkpoints (besides BAD_CHECKPOINTS, at the top)
  [
    'checkpoint with a null checkpoint',
    (s) => s.adapter.checkpoint(s.scope, s.lease.shardId, s.fence, bad(null)),
  ],
  [
    'markShardEnded with a sentinel instead of a sequenceNumber',
    (s) =>
      s.adapter.markShardEnded(s.scope, s.lease.shardId, s.fence, {
        sequenceNumber: 'SHARD_END',
        subSequenceNumber: 0,
      }),
  ],
  [
    'markShardEnded with a string subSequenceNumber',
    (s) =>
      s.adapter.markShardEnded(s.scope, s.lease.shardId, s.fence, {
        sequenceNumber: '300',
        subSequenceNumber: bad('3'),
      }),
  ],
  // parents
  [
    'createLease with three parents',
    (s) =>
      s.adapter.createLease(s.scope, s.freeShardId, {
        parentShardIds: [shardIdOf(1), shardIdOf(2), shardIdOf(3)],
      }),
  ],
  [
    'createLease with an empty parent id',
    (s) => s.adapter.createLease(s.scope, s.freeShardId, { parentShardIds: [''] }),
  ],
  [
    'createLease with parents that are not an array',
    (s) => s.adapter.createLease(s.scope, s.freeShardId, { parentShardIds: bad(shardIdOf(1)) }),
  ],
  [
    'createLease with the shard as its own parent',
    (s) => s.adapter.createLease(s.scope, s.freeShardId, { parentShardIds: [s.freeShardId] }),
  ],
  [
    'createLease with the same parent twice',
    (s) => s.adapter.createLease(s.scope, s.freeShardId, { parentShardIds: [shardIdOf(1), shardIdOf(1)] }),
  ],
];

/** The argument checks of the contract: what must be rejected, with which error, writing nothing. */
export function validationTests(test: ConformanceTest, _options: ResolvedConformanceOptions): void {
  for (const [name, call] of CASES) {
    test(`rejects ${name} with ValidationError INVALID_ARGUMENT and writes nothing`, async (h) => {
      const adapter = await h.started();
      const scope = randomScope();
      const lease = await seedLease(adapter, scope, shardIdOf(0), {
        owner: 'owner-a',
        checkpoint: { sequenceNumber: '200', subSequenceNumber: 1 },
      });
      const seeded: Seeded = { adapter, scope, lease, fence: fenceOf(lease), freeShardId: shardIdOf(50) };
      let pending: Promise<unknown>;
      try {
        pending = call(seeded);
      } catch (error) {
        expect.fail(`${name}: threw synchronously (${String(error)}); adapter methods must reject instead`);
      }
      const reason = await rejectionOf(pending, name);
      expect(reason, 'rejection reason is an Error').toBeInstanceOf(Error);
      expect((reason as { code?: unknown }).code, `error code (${String((reason as Error).message)})`).toBe(
        ErrorCode.INVALID_ARGUMENT,
      );
      expect(snapshot(await mustGetLease(adapter, scope, lease.shardId)), 'the lease is unchanged').toEqual(
        snapshot(lease),
      );
      expect(await adapter.getLease(scope, seeded.freeShardId), 'no lease was created').toBeNull();
    });
  }

  test("accepts the boundary values: sequence numbers '0' and 129 digits, counter 0, two parents", async (h) => {
    const adapter = await h.started();
    const scope = randomScope();
    const created = await adapter.createLease(scope, shardIdOf(3), {
      parentShardIds: [shardIdOf(1), shardIdOf(2)],
    });
    expect(created.parentShardIds).toEqual([shardIdOf(1), shardIdOf(2)]);
    const taken = await adapter.takeLease(scope, shardIdOf(3), { owner: null, leaseCounter: 0 }, 'owner-a');
    const zero = await adapter.checkpoint(scope, shardIdOf(3), fenceOf(taken), {
      sequenceNumber: '0',
      subSequenceNumber: 0,
    });
    expect(zero.checkpoint).toEqual({ sequenceNumber: '0', subSequenceNumber: 0 });
    const longest = { sequenceNumber: `9${'8'.repeat(128)}`, subSequenceNumber: Number.MAX_SAFE_INTEGER };
    const stored = await adapter.checkpoint(scope, shardIdOf(3), fenceOf(zero), longest);
    expect(stored.checkpoint).toEqual(longest);
    expect(await adapter.getCheckpoint(scope, shardIdOf(3))).toEqual(longest);
  });
}
