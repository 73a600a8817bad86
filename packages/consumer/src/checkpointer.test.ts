import {
  type Checkpoint,
  LeaseLostError,
  type LeaseScope,
  systemClock,
  TRIM_HORIZON_CHECKPOINT,
} from '@kinesis-ts/core';
import { MemoryState } from '@kinesis-ts/state-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Checkpointer } from './checkpointer.js';
import { HeldLease } from './held-lease.js';

const scope: LeaseScope = { consumerGroup: 'g', streamName: 's' };
const at = (n: number, sub = 0): Checkpoint => ({ sequenceNumber: String(1000 + n), subSequenceNumber: sub });

async function setup(records = 3, ms = 1000, stored?: Checkpoint) {
  const state = new MemoryState();
  await state.start();
  await state.createLease(scope, 'shard-1');
  let taken = await state.takeLease(scope, 'shard-1', { owner: null, leaseCounter: 0 }, 'me');
  if (stored !== undefined) taken = await state.checkpoint(scope, 'shard-1', taken, stored);
  const held = new HeldLease({
    state,
    scope,
    lease: taken,
    store: { clock: systemClock, timeoutMs: 1000, scope },
  });
  const written: Checkpoint[] = [];
  const lost: LeaseLostError[] = [];
  const errors: Error[] = [];
  const checkpointer = new Checkpointer({
    lease: held,
    records,
    ms,
    clock: systemClock,
    onWritten: (cp) => written.push(cp),
    onLost: (e) => lost.push(e),
    onError: (e) => errors.push(e),
  });
  return { state, held, checkpointer, written, lost, errors };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Checkpointer', () => {
  it('writes after N processed records, and only what was processed', async () => {
    const { checkpointer, written, state } = await setup(3);
    checkpointer.markProcessed(at(1));
    checkpointer.markProcessed(at(2));
    await vi.advanceTimersByTimeAsync(0);
    expect(written).toEqual([]);
    checkpointer.markProcessed(at(3));
    await vi.advanceTimersByTimeAsync(0);
    expect(written).toEqual([at(3)]);
    expect(await state.getCheckpoint(scope, 'shard-1')).toEqual(at(3));
  });

  it('takes a sentinel an operator stored (TRIM_HORIZON) as nothing processed: keeps it until the first record replaces it', async () => {
    const { checkpointer, written, state } = await setup(100, 1000, TRIM_HORIZON_CHECKPOINT);
    expect(checkpointer.written).toBeNull();
    expect(checkpointer.processed).toBeNull();
    await checkpointer.flush();
    expect(written).toEqual([]);
    expect(await state.getCheckpoint(scope, 'shard-1')).toEqual(TRIM_HORIZON_CHECKPOINT);
    // Any record, even one whose sequence number is below every other, replaces the sentinel.
    checkpointer.markProcessed({ sequenceNumber: '0', subSequenceNumber: 0 });
    await checkpointer.flush();
    expect(written).toEqual([{ sequenceNumber: '0', subSequenceNumber: 0 }]);
    expect(await state.getCheckpoint(scope, 'shard-1')).toEqual({
      sequenceNumber: '0',
      subSequenceNumber: 0,
    });
  });

  it('writes T ms after the first unwritten record', async () => {
    const { checkpointer, written } = await setup(100, 1000);
    checkpointer.markProcessed(at(1));
    await vi.advanceTimersByTimeAsync(500);
    checkpointer.markProcessed(at(2, 4));
    await vi.advanceTimersByTimeAsync(499);
    expect(written).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(written).toEqual([at(2, 4)]);
  });

  it('flush writes pending progress once and never writes behind what was written', async () => {
    const { checkpointer, written } = await setup(100);
    await checkpointer.flush();
    expect(written).toEqual([]);
    checkpointer.markProcessed(at(4));
    checkpointer.markProcessed(at(5));
    await checkpointer.flush();
    await checkpointer.flush();
    expect(written).toEqual([at(5)]);
    checkpointer.markProcessed(at(3));
    await checkpointer.flush();
    expect(written).toEqual([at(5)]);
  });

  it('keeps one write in flight while the store is slow and then writes only the newest position', async () => {
    const { checkpointer, state, written } = await setup(10);
    const real = state.checkpoint.bind(state);
    const calls: Checkpoint[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    state.checkpoint = async (...args: Parameters<typeof state.checkpoint>) => {
      calls.push(args[3]);
      await gate;
      return real(...args);
    };
    for (let i = 1; i <= 1000; i++) checkpointer.markProcessed(at(i));
    const flushes = Array.from({ length: 50 }, () => checkpointer.flush());
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toEqual([at(10)]);
    release();
    await Promise.all(flushes);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual([at(10), at(1000)]);
    expect(written).toEqual([at(10), at(1000)]);
  });

  it('keeps the renewed fence: checkpoints after renewals succeed', async () => {
    const { checkpointer, held, written } = await setup(1);
    await held.renew();
    checkpointer.markProcessed(at(1));
    await held.renew();
    checkpointer.markProcessed(at(2));
    await vi.advanceTimersByTimeAsync(0);
    expect(written).toEqual([at(1), at(2)]);
  });

  it('is fenced: after another owner took the lease, it reports LeaseLost and never writes again', async () => {
    const { checkpointer, state, lost, written } = await setup(1);
    const lease = await state.getLease(scope, 'shard-1');
    await state.takeLease(
      scope,
      'shard-1',
      { owner: lease!.owner, leaseCounter: lease!.leaseCounter },
      'thief',
    );
    checkpointer.markProcessed(at(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(LeaseLostError);
    checkpointer.markProcessed(at(2));
    await checkpointer.flush();
    expect(written).toEqual([]);
    expect(await state.getCheckpoint(scope, 'shard-1')).toBeNull();
  });

  it('retries after a store failure without losing progress', async () => {
    const { checkpointer, state, errors, written } = await setup(100, 1000);
    const original = state.checkpoint.bind(state);
    let fail = true;
    vi.spyOn(state, 'checkpoint').mockImplementation(async (...args) => {
      if (fail) throw new Error('store down');
      return original(...args);
    });
    checkpointer.markProcessed(at(1));
    await expect(checkpointer.flush()).rejects.toMatchObject({ code: 'STATE_STORE_UNAVAILABLE' });
    expect(errors).toHaveLength(1);
    fail = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(written).toEqual([at(1)]);
  });
});
