import { ManualClock } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import type { PooledWorker } from './pooled-worker.js';
import type {
  FromPooledWorkerMessage,
  FromWorkerMessage,
  ShardWorkerHandle,
  ToPooledWorkerMessage,
  ToWorkerMessage,
} from './transport.js';
import { WorkerPool } from './worker-pool.js';

/** A pooled worker that records what it was sent and lets the test answer or exit. */
class FakeWorker implements PooledWorker {
  readonly pid: number;
  readonly sent: ToPooledWorkerMessage[] = [];
  ended = false;
  killed = false;
  exited = false;
  #onMessage: ((message: FromPooledWorkerMessage) => void) | null = null;
  #onExit: ((reason: string) => void) | null = null;

  constructor(pid: number) {
    this.pid = pid;
  }

  /** Records every message, even after exit: the pool itself must drop those. */
  send(message: ToPooledWorkerMessage): void {
    this.sent.push(message);
  }
  onMessage(listener: (message: FromPooledWorkerMessage) => void): void {
    this.#onMessage = listener;
  }
  onExit(listener: (reason: string) => void): void {
    this.#onExit = listener;
  }
  end(): void {
    this.ended = true;
  }
  kill(): void {
    this.killed = true;
  }

  /** The worker sends `message` on `lane`. */
  emit(lane: number, message: FromWorkerMessage): void {
    this.#onMessage?.({ type: 'lane', lane, message });
  }
  /** The worker confirms that `lane` closed. */
  closed(lane: number): void {
    this.#onMessage?.({ type: 'closed', lane });
  }
  /** The worker is gone. */
  exit(reason: string): void {
    this.exited = true;
    this.#onExit?.(reason);
  }
  /** Lane ids of the `start` messages received, and of the `stop` ones. */
  lanes(type: ToWorkerMessage['type']): number[] {
    return this.sent.filter((m) => m.message.type === type).map((m) => m.lane);
  }
}

interface Opened {
  readonly handle: ShardWorkerHandle;
  readonly shardId: string;
  readonly messages: FromWorkerMessage[];
  readonly exits: Array<string | null>;
  /** The lane id the pool gave this handle (read from its `start`). */
  lane(): number;
  worker(): FakeWorker;
}

function setup(maxWorkers: number, extra: { minWorkers?: number; idleMs?: number } = {}) {
  const clock = new ManualClock();
  const workers: FakeWorker[] = [];
  const pool = new WorkerPool({
    kind: 'process',
    maxWorkers,
    clock,
    unresponsiveMs: 1000,
    idleMs: extra.idleMs ?? 5000,
    ...(extra.minWorkers === undefined ? {} : { minWorkers: extra.minWorkers }),
    launch: () => {
      const worker = new FakeWorker(100 + workers.length);
      workers.push(worker);
      return worker;
    },
  });
  const open = (shardId: string): Opened => {
    const handle = pool.spawn(shardId);
    const messages: FromWorkerMessage[] = [];
    const exits: Array<string | null> = [];
    handle.onMessage((m) => messages.push(m));
    handle.onExit((reason) => exits.push(reason));
    handle.send({ type: 'credit', records: 1, bytes: 1 });
    const worker = workers.find((w) => w.pid === handle.pid)!;
    const lane = worker.sent.at(-1)!.lane;
    return { handle, shardId, messages, exits, lane: () => lane, worker: () => worker };
  };
  /** Stops a lane the way a session does: `stop`, then the worker confirms. */
  const stop = (opened: Opened): void => {
    opened.handle.send({ type: 'stop' });
    opened.worker().emit(opened.lane(), { type: 'stopped' });
    opened.worker().closed(opened.lane());
  };
  return { pool, clock, workers, open, stop };
}

const heartbeat: FromWorkerMessage = { type: 'heartbeat' };

describe('worker pool', () => {
  it('spreads shards over up to maxWorkers workers, then shares the least loaded; messages carry the lane', () => {
    const { pool, workers, open } = setup(3);
    const shards = Array.from({ length: 8 }, (_, i) => open(`shard-${i}`));
    expect(workers).toHaveLength(3);
    expect(pool.workers.map((w) => w.shards)).toEqual([
      ['shard-0', 'shard-3', 'shard-6'],
      ['shard-1', 'shard-4', 'shard-7'],
      ['shard-2', 'shard-5'],
    ]);
    // Lane ids are unique across the pool, and each handle reports its worker's pid.
    expect(new Set(shards.map((s) => s.lane())).size).toBe(8);
    expect(shards[4]!.handle.pid).toBe(101);
    // A worker's message reaches only the handle of its lane.
    workers[1]!.emit(shards[4]!.lane(), heartbeat);
    expect(shards[4]!.messages).toEqual([heartbeat]);
    expect(shards.filter((s) => s.messages.length > 0)).toHaveLength(1);
    // A lane id of another worker is not routed through this one.
    workers[0]!.emit(shards[4]!.lane(), heartbeat);
    expect(shards[4]!.messages).toHaveLength(1);
  });

  it('with maxWorkers Infinity runs one worker per shard', () => {
    const { pool, workers, open } = setup(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 5; i++) open(`shard-${i}`);
    expect(workers).toHaveLength(5);
    expect(pool.workers.map((w) => w.shards.length)).toEqual([1, 1, 1, 1, 1]);
  });

  it('reuses a worker whose shards stopped instead of starting another (lease changes)', () => {
    const { pool, workers, open, stop } = setup(Number.POSITIVE_INFINITY);
    const a = open('shard-a');
    open('shard-b');
    stop(a);
    expect(a.exits).toEqual([null]);
    const c = open('shard-c');
    expect(workers).toHaveLength(2);
    expect(c.worker()).toBe(a.worker());
    expect(pool.workers.map((w) => w.shards)).toEqual([['shard-c'], ['shard-b']]);
    // A late message of the stopped lane is not given to anyone.
    a.worker().emit(a.lane(), heartbeat);
    expect(a.messages).toEqual([{ type: 'stopped' }]);
    expect(c.messages).toEqual([]);
  });

  it('a crashed worker ends only its own lanes, with its exit reason; their restarts go to a live worker', () => {
    const { pool, workers, open } = setup(2);
    const shards = Array.from({ length: 4 }, (_, i) => open(`shard-${i}`));
    workers[0]!.exit('shard process 100 exited (code null, signal SIGKILL)');
    const [s0, s1, s2, s3] = shards as [Opened, Opened, Opened, Opened];
    expect(s0.exits).toEqual(['shard process 100 exited (code null, signal SIGKILL)']);
    expect(s2.exits).toEqual(['shard process 100 exited (code null, signal SIGKILL)']);
    expect(s1.exits).toEqual([]);
    expect(s3.exits).toEqual([]);
    // The survivor keeps routing; sends to a dead lane are dropped.
    workers[1]!.emit(s3.lane(), heartbeat);
    expect(s3.messages).toEqual([heartbeat]);
    s0.handle.send({ type: 'credit', records: 1, bytes: 1 });
    expect(workers[0]!.sent.filter((m) => m.lane === s0.lane())).toHaveLength(1);
    // Restarting the two shards: below maxWorkers again, so a fresh worker takes them.
    const r0 = open('shard-0');
    open('shard-2');
    expect(workers).toHaveLength(3);
    expect(r0.worker()).toBe(workers[2]);
    expect(pool.workers.map((w) => w.shards)).toEqual([
      ['shard-1', 'shard-3'],
      ['shard-0', 'shard-2'],
    ]);
  });

  it('kill() of one handle stops only that lane; the worker stays when it confirms', () => {
    const { pool, clock, workers, open } = setup(1);
    const a = open('shard-a');
    const b = open('shard-b');
    a.handle.kill();
    expect(a.exits).toEqual(['killed']);
    expect(workers[0]!.lanes('stop')).toEqual([a.lane()]);
    workers[0]!.closed(a.lane());
    clock.advance(5000);
    expect(workers[0]!.killed).toBe(false);
    expect(b.exits).toEqual([]);
    workers[0]!.emit(b.lane(), heartbeat);
    expect(b.messages).toEqual([heartbeat]);
    expect(pool.workers).toEqual([{ pid: 100, shards: ['shard-b'], state: 'live' }]);
  });

  it('kills a worker that does not confirm a killed lane: its other lanes end with a reason', () => {
    const { pool, clock, workers, open } = setup(2);
    const a = open('shard-a'); // worker 100
    const b = open('shard-b'); // worker 101
    const c = open('shard-c'); // worker 100
    a.handle.kill();
    // While the kill is unconfirmed, new lanes avoid that worker.
    const d = open('shard-d');
    expect(d.worker()).toBe(workers[1]);
    clock.advance(999);
    expect(workers[0]!.killed).toBe(false);
    clock.advance(1);
    expect(workers[0]!.killed).toBe(true);
    expect(pool.workers.map((w) => w.state)).toEqual(['hung', 'live']);
    workers[0]!.exit('shard process 100 exited (code null, signal SIGKILL)');
    expect(c.exits).toHaveLength(1);
    expect(c.exits[0]).toMatch(/unresponsive: shard shard-a not stopped within 1000 ms/);
    expect(a.exits).toEqual(['killed']);
    expect(b.exits).toEqual([]);
    expect(d.exits).toEqual([]);
  });

  it('a lane stopped by its session ends with null even when its worker exits before confirming', () => {
    const { workers, open } = setup(1);
    const a = open('shard-a');
    const b = open('shard-b');
    a.handle.send({ type: 'stop' });
    workers[0]!.exit('shard process 100 exited (code 1, signal null)');
    expect(a.exits).toEqual([null]);
    expect(b.exits).toEqual(['shard process 100 exited (code 1, signal null)']);
  });

  it('ends idle workers above minWorkers after idleMs; a new shard in time cancels it', () => {
    const { pool, clock, workers, open, stop } = setup(3, { minWorkers: 1, idleMs: 5000 });
    const shards = [open('s0'), open('s1'), open('s2')];
    for (const s of shards) stop(s);
    clock.advance(4000);
    // Reuse before the idle time cancels that worker's end.
    const again = open('s3');
    expect(again.worker()).toBe(workers[0]);
    clock.advance(1000);
    // Workers 101 and 102 are idle and above the minimum (100 is busy again).
    expect(workers.map((w) => w.ended)).toEqual([false, true, true]);
    expect(pool.workers.map((w) => w.state)).toEqual(['live', 'ending', 'ending']);
    workers[1]!.exit('shard process 101 exited (code 0, signal null)');
    workers[2]!.exit('shard process 102 exited (code 0, signal null)');
    // Kept: the last worker is within minWorkers, so it stays when idle.
    stop(again);
    clock.advance(60_000);
    expect(workers[0]!.ended).toBe(false);
    expect(pool.workers).toEqual([{ pid: 100, shards: [], state: 'live' }]);
    expect(open('s4').worker()).toBe(workers[0]);
  });

  it('kills an ended worker that does not exit in time', () => {
    const { clock, workers, open, stop } = setup(1, { idleMs: 100 });
    stop(open('s0'));
    clock.advance(100);
    expect(workers[0]!.ended).toBe(true);
    clock.advance(999);
    expect(workers[0]!.killed).toBe(false);
    clock.advance(1);
    expect(workers[0]!.killed).toBe(true);
  });

  it('close() ends every worker, ends open lanes with a reason and refuses new shards', async () => {
    const { pool, clock, workers, open, stop } = setup(2);
    const a = open('shard-a');
    const b = open('shard-b');
    stop(a);
    const closing = pool.close();
    expect(b.exits).toEqual(['the shard worker pool closed']);
    expect(workers.map((w) => w.ended)).toEqual([true, true]);
    expect(() => pool.spawn('shard-c')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    workers[0]!.exit('shard process 100 exited (code 0, signal null)');
    clock.advance(1000);
    // Worker 101 did not exit when asked: killed after unresponsiveMs.
    expect(workers.map((w) => w.killed)).toEqual([false, true]);
    workers[1]!.exit('shard process 101 exited (code null, signal SIGKILL)');
    await closing;
    expect(pool.workers).toEqual([]);
    await expect(pool.close()).resolves.toBeUndefined();
  });

  it('rejects a pool size that is not a positive integer or Infinity', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(
        () => new WorkerPool({ kind: 'thread', maxWorkers: bad, launch: () => new FakeWorker(1) }),
      ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
