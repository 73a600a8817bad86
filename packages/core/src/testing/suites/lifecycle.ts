import { expect } from 'vitest';
import { ErrorCode } from '../../errors.js';
import type { LeaseScope, StateAdapter } from '../../state.js';
import { expectLifecycleRejection } from '../assertions.js';
import type { ResolvedConformanceOptions } from '../conformance-options.js';
import type { ConformanceTest } from '../harness.js';
import { randomScope, shardIdOf } from '../random-scope.js';

/** One call of every data method, with arguments that would succeed on a started adapter. */
function everyMethod(
  adapter: StateAdapter,
  scope: LeaseScope,
  shardId: string,
  owner: string,
  counter: number,
) {
  const fence = { owner, leaseCounter: counter };
  const position = { sequenceNumber: '1', subSequenceNumber: 0 };
  return [
    ['listLeases', () => adapter.listLeases(scope)],
    ['getLease', () => adapter.getLease(scope, shardId)],
    ['getCheckpoint', () => adapter.getCheckpoint(scope, shardId)],
    ['createLease', () => adapter.createLease(scope, shardIdOf(99))],
    ['takeLease', () => adapter.takeLease(scope, shardId, fence, 'other-owner')],
    ['renewLease', () => adapter.renewLease(scope, shardId, fence)],
    ['checkpoint', () => adapter.checkpoint(scope, shardId, fence, position)],
    ['releaseLease', () => adapter.releaseLease(scope, shardId, fence)],
    ['markShardEnded', () => adapter.markShardEnded(scope, shardId, fence, position)],
    ['requestHandoff', () => adapter.requestHandoff(scope, shardId, fence, 'other-owner')],
  ] as const;
}

/** start()/close() idempotence and the NOT_STARTED / CLOSED guards. */
export function lifecycleTests(test: ConformanceTest, options: ResolvedConformanceOptions): void {
  const skipReason = options.lifecycleChecks ? undefined : 'lifecycleChecks: false';

  test(
    'start() and close() are idempotent, also when called concurrently',
    async (h) => {
      const adapter = await h.unstarted();
      await Promise.all([adapter.start(), adapter.start()]);
      await adapter.start();
      const scope = randomScope();
      const lease = await adapter.createLease(scope, shardIdOf(0));
      expect(lease.leaseCounter).toBe(0);
      await Promise.all([adapter.close(), adapter.close()]);
      await adapter.close();
    },
    { skipReason },
  );

  test(
    'every method rejects with LifecycleError NOT_STARTED before start()',
    async (h) => {
      const adapter = await h.unstarted();
      const scope = randomScope();
      for (const [name, call] of everyMethod(adapter, scope, shardIdOf(0), 'owner-a', 1)) {
        await expectLifecycleRejection(call(), ErrorCode.NOT_STARTED, `${name} before start()`);
      }
      // The lifecycle guard comes before the argument checks.
      await expectLifecycleRejection(
        adapter.takeLease(scope, '', { owner: null, leaseCounter: -1 }, ''),
        ErrorCode.NOT_STARTED,
        'takeLease with invalid arguments before start()',
      );
    },
    { skipReason },
  );

  test(
    'every method rejects with LifecycleError CLOSED after close(), even where it would otherwise succeed',
    async (h) => {
      const adapter = await h.started();
      const observer = await h.started();
      const scope = randomScope();
      const shardId = shardIdOf(0);
      await adapter.createLease(scope, shardId);
      const taken = await adapter.takeLease(scope, shardId, { owner: null, leaseCounter: 0 }, 'owner-a');
      await adapter.close();
      for (const [name, call] of everyMethod(adapter, scope, shardId, 'owner-a', taken.leaseCounter)) {
        await expectLifecycleRejection(call(), ErrorCode.CLOSED, `${name} after close()`);
      }
      // Nothing was written by the rejected calls.
      const stored = await observer.getLease(scope, shardId);
      expect(stored?.owner).toBe('owner-a');
      expect(stored?.leaseCounter).toBe(taken.leaseCounter);
      expect(await observer.getLease(scope, shardIdOf(99))).toBeNull();
    },
    { skipReason },
  );

  test(
    'start() after close() rejects with LifecycleError CLOSED: a closed adapter never reopens',
    async (h) => {
      const adapter = await h.started();
      const observer = await h.started();
      const scope = randomScope();
      await adapter.createLease(scope, shardIdOf(0));
      await adapter.close();
      await expectLifecycleRejection(adapter.start(), ErrorCode.CLOSED, 'start() after close()');
      // Still closed after the refused start (it did not half-open the adapter).
      await expectLifecycleRejection(adapter.getLease(scope, shardIdOf(0)), ErrorCode.CLOSED, 'getLease');
      await expectLifecycleRejection(
        adapter.takeLease(scope, shardIdOf(0), { owner: null, leaseCounter: 0 }, 'owner-a'),
        ErrorCode.CLOSED,
        'takeLease',
      );
      // A closed-before-started adapter refuses start() too.
      const never = await h.unstarted();
      await never.close();
      await expectLifecycleRejection(
        never.start(),
        ErrorCode.CLOSED,
        'start() after close() without start()',
      );
      // Nothing was written; the store is untouched for other instances.
      const stored = await observer.getLease(scope, shardIdOf(0));
      expect(stored?.owner).toBeNull();
      expect(stored?.leaseCounter).toBe(0);
    },
    { skipReason },
  );

  test(
    'close() without start() is allowed; the adapter then rejects with CLOSED',
    async (h) => {
      const adapter = await h.unstarted();
      await adapter.close();
      await expectLifecycleRejection(
        adapter.getLease(randomScope(), shardIdOf(0)),
        ErrorCode.CLOSED,
        'getLease',
      );
    },
    { skipReason },
  );
}
