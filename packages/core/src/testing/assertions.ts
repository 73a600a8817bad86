import { expect } from 'vitest';
import type { ErrorCode, LeaseOperation } from '../errors.js';
import type { Checkpoint } from '../records.js';
import type { Lease, LeaseScope, StateAdapter } from '../state.js';

/** The stored state of a lease that every write must leave untouched when its condition fails. */
export interface LeaseSnapshot {
  readonly owner: string | null;
  readonly leaseCounter: number;
  readonly checkpoint: Checkpoint | null;
  readonly parentShardIds: readonly string[];
  readonly ended: boolean;
  readonly pendingOwner: string | null;
}

/** The comparable part of a lease (everything but the informational `updatedAt`). */
export function snapshot(lease: Lease): LeaseSnapshot {
  return {
    owner: lease.owner,
    leaseCounter: lease.leaseCounter,
    checkpoint:
      lease.checkpoint === null
        ? null
        : {
            sequenceNumber: lease.checkpoint.sequenceNumber,
            subSequenceNumber: lease.checkpoint.subSequenceNumber,
          },
    parentShardIds: [...lease.parentShardIds],
    ended: lease.ended,
    pendingOwner: lease.pendingOwner,
  };
}

/** Reads a lease that must exist. */
export async function mustGetLease(
  adapter: StateAdapter,
  scope: LeaseScope,
  shardId: string,
): Promise<Lease> {
  const lease = await adapter.getLease(scope, shardId);
  expect(lease, `lease ${shardId} should exist`).not.toBeNull();
  return lease as Lease;
}

/** Checks the shape of a lease the adapter returned and that it belongs to `scope`/`shardId`. */
export function expectWellFormed(lease: Lease, scope: LeaseScope, shardId: string): void {
  expect(lease.consumerGroup, 'consumerGroup').toBe(scope.consumerGroup);
  expect(lease.streamName, 'streamName').toBe(scope.streamName);
  expect(lease.shardId, 'shardId').toBe(shardId);
  expect(lease.owner === null || typeof lease.owner === 'string', 'owner is a string or null').toBe(true);
  expect(
    Number.isSafeInteger(lease.leaseCounter) && lease.leaseCounter >= 0,
    'leaseCounter is an integer >= 0',
  ).toBe(true);
  expect(Array.isArray(lease.parentShardIds), 'parentShardIds is an array').toBe(true);
  expect(typeof lease.ended, 'ended is a boolean').toBe('boolean');
  expect(
    lease.pendingOwner === null || typeof lease.pendingOwner === 'string',
    'pendingOwner is a string or null',
  ).toBe(true);
  if (lease.checkpoint !== null) {
    expect(typeof lease.checkpoint.sequenceNumber, 'checkpoint.sequenceNumber is a string').toBe('string');
    expect(
      Number.isSafeInteger(lease.checkpoint.subSequenceNumber),
      'checkpoint.subSequenceNumber is an integer',
    ).toBe(true);
  }
  if (lease.updatedAt !== undefined) {
    expect(lease.updatedAt, 'updatedAt is a Date').toBeInstanceOf(Date);
    expect(Number.isNaN(lease.updatedAt.getTime()), 'updatedAt is a valid Date').toBe(false);
  }
}

/** What a lease-write rejection must carry. */
export interface ExpectedLeaseRejection {
  readonly code: typeof ErrorCode.LEASE_CONFLICT | typeof ErrorCode.LEASE_LOST;
  readonly operation: LeaseOperation;
  readonly scope: LeaseScope;
  readonly shardId: string;
  /** The stored lease after the failure (`null` = no lease): the reported actual owner/counter, when present, must match it. */
  readonly stored?: Lease | null;
}

/** Awaits `promise`, which must reject; returns the rejection reason. */
export async function rejectionOf(promise: Promise<unknown>, what: string): Promise<unknown> {
  let resolved = false;
  let reason: unknown;
  try {
    await promise;
    resolved = true;
  } catch (error) {
    reason = error;
  }
  if (resolved) expect.fail(`${what} should have rejected, but it resolved`);
  return reason;
}

interface LeaseErrorShape {
  readonly code?: unknown;
  readonly consumerGroup?: unknown;
  readonly streamName?: unknown;
  readonly shardId?: unknown;
  readonly operation?: unknown;
  readonly actualOwner?: unknown;
  readonly actualCounter?: unknown;
}

/**
 * Checks a lease-write rejection: an `Error` with the expected `code` (`LEASE_CONFLICT` for take and
 * handoff requests, `LEASE_LOST` for owner writes), the lease's group, stream and shard, and the
 * operation. When the adapter reports the actual owner/counter it found, they must be the truth.
 * Matches on `code`, not `instanceof`, so a dual ESM/CJS install cannot fool it.
 */
export function expectLeaseRejection(reason: unknown, expected: ExpectedLeaseRejection): void {
  expect(reason, 'rejection reason is an Error').toBeInstanceOf(Error);
  const error = reason as LeaseErrorShape;
  expect(error.code, `error code (${String((reason as Error).message)})`).toBe(expected.code);
  expect(error.consumerGroup, 'error.consumerGroup').toBe(expected.scope.consumerGroup);
  expect(error.streamName, 'error.streamName').toBe(expected.scope.streamName);
  expect(error.shardId, 'error.shardId').toBe(expected.shardId);
  expect(error.operation, 'error.operation').toBe(expected.operation);
  if (expected.stored !== undefined) {
    if (error.actualOwner !== undefined) {
      expect(error.actualOwner, 'error.actualOwner').toBe(
        expected.stored === null ? null : expected.stored.owner,
      );
    }
    if (error.actualCounter !== undefined) {
      expect(error.actualCounter, 'error.actualCounter').toBe(
        expected.stored === null ? null : expected.stored.leaseCounter,
      );
    }
  }
}

/** Expects `promise` to reject with a lease error as described; returns the error. */
export async function expectLeaseWriteToFail(
  promise: Promise<unknown>,
  expected: ExpectedLeaseRejection,
): Promise<unknown> {
  const reason = await rejectionOf(promise, `${expected.operation} of ${expected.shardId}`);
  expectLeaseRejection(reason, expected);
  return reason;
}

/** Expects `promise` to reject with a `LifecycleError` of `code` (`NOT_STARTED` or `CLOSED`). */
export async function expectLifecycleRejection(
  promise: Promise<unknown>,
  code: typeof ErrorCode.NOT_STARTED | typeof ErrorCode.CLOSED,
  what: string,
): Promise<void> {
  const reason = await rejectionOf(promise, what);
  expect(reason, `${what}: rejection reason is an Error`).toBeInstanceOf(Error);
  expect((reason as { code?: unknown }).code, `${what}: error code`).toBe(code);
}

/** Runs `task` for every item with at most `limit` in flight; rejects on the first failure. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
