/**
 * The pool behind the process and thread runners: at most `maxWorkers` processes (or threads), each
 * reading several shards. `spawn(shardId)` returns a per-shard handle (a "lane") multiplexed over a
 * shared worker, so a shard session sees the same {@link ShardWorkerHandle} as with a worker of its own:
 *
 * - assignment: the least-loaded worker; a new one while fewer than `maxWorkers` run and none is idle
 *   (so shards spread over the pool before they share); `Infinity` gives one worker per shard;
 * - `kill()` of a handle stops only that lane; a worker that does not confirm within `unresponsiveMs`
 *   is taken as hung and killed whole, which ends every lane on it with a reason (each session then
 *   restarts from its own last received record);
 * - a worker that exits (crash, SIGKILL) ends its lanes with a reason; the others are untouched;
 * - workers are reused across lease changes; an idle worker above `minWorkers` ends after `idleMs`.
 */
import {
  type Clock,
  ErrorCode,
  KinesisTsError,
  type Logger,
  silentLogger,
  systemClock,
  type TimerHandle,
} from '@kinesis-ts/core';
import type { PooledWorker, PooledWorkerLauncher } from './pooled-worker.js';
import type {
  FromPooledWorkerMessage,
  FromWorkerMessage,
  ShardRunner,
  ShardWorkerHandle,
  ToWorkerMessage,
} from './transport.js';

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** What the workers are (reported as the runner's kind). */
  readonly kind: 'process' | 'thread';
  /** Starts one worker. */
  readonly launch: PooledWorkerLauncher;
  /** Most workers at once (≥ 1); `Infinity`: one per shard. */
  readonly maxWorkers: number;
  /** Idle workers kept running without an end. Default 0. */
  readonly minWorkers?: number;
  /** An idle worker above `minWorkers` is ended after this long. Default 30,000 ms. */
  readonly idleMs?: number;
  /**
   * A worker that does not confirm a killed lane within this long is hung and killed whole; also how
   * long `close()` waits for a worker to exit before killing it. Default 10,000 ms.
   */
  readonly unresponsiveMs?: number;
  /** Time source for the idle and unresponsive timers. Default the system clock. */
  readonly clock?: Clock;
  /** Diagnostics. Default silent. */
  readonly logger?: Logger;
}

/** One worker as {@link WorkerPool.workers} reports it. */
export interface PooledWorkerInfo {
  /** OS process id (process runner). */
  readonly pid: number | undefined;
  /** Shards of the lanes it holds (including lanes still stopping). */
  readonly shards: string[];
  /** `live`: takes lanes; `ending`: idle or closing, exiting; `hung`: being killed. */
  readonly state: 'live' | 'ending' | 'hung';
}

interface Lane {
  readonly id: number;
  readonly shardId: string;
  readonly slot: Slot;
  onMessage: ((message: FromWorkerMessage) => void) | null;
  onExit: ((reason: string | null) => void) | null;
  /** `stop` was sent: the reader finishes on its own. */
  stopping: boolean;
  /** The handle is done (its exit listener ran or is about to). */
  exited: boolean;
}

interface Slot {
  readonly worker: PooledWorker;
  /** Lanes that are open or still closing (until the worker confirms `closed`). */
  readonly lanes: Map<number, Lane>;
  /** Killed lanes the worker has not confirmed yet, with their unresponsive timers. */
  readonly kills: Map<number, TimerHandle>;
  state: 'live' | 'ending' | 'hung' | 'exited';
  idleTimer: TimerHandle | null;
  endTimer: TimerHandle | null;
  /** Why the pool killed the worker (given to its lanes instead of the exit code). */
  killReason: string | null;
  readonly exited: Promise<void>;
  markExited: () => void;
}

/** A pool of shard processes or threads, each reading several shards; see the module comment. */
export class WorkerPool implements ShardRunner {
  readonly kind: 'process' | 'thread';
  readonly #launch: PooledWorkerLauncher;
  readonly #max: number;
  readonly #min: number;
  readonly #idleMs: number;
  readonly #unresponsiveMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #slots = new Set<Slot>();
  #nextLane = 0;
  #closePromise: Promise<void> | null = null;

  /** @throws KinesisTsError (`INVALID_ARGUMENT`) when `maxWorkers` is not ≥ 1. */
  constructor(options: WorkerPoolOptions) {
    const max = options.maxWorkers;
    if (!(max === Number.POSITIVE_INFINITY || (Number.isInteger(max) && max >= 1))) {
      throw new KinesisTsError(ErrorCode.INVALID_ARGUMENT, 'maxWorkers must be an integer ≥ 1 or Infinity', {
        context: { maxWorkers: max },
      });
    }
    this.kind = options.kind;
    this.#launch = options.launch;
    this.#max = max;
    this.#min = Math.max(0, options.minWorkers ?? 0);
    this.#idleMs = options.idleMs ?? 30_000;
    this.#unresponsiveMs = options.unresponsiveMs ?? 10_000;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
  }

  /** The workers running now, in start order. */
  get workers(): PooledWorkerInfo[] {
    const out: PooledWorkerInfo[] = [];
    for (const slot of this.#slots) {
      if (slot.state === 'exited') continue;
      out.push({
        pid: slot.worker.pid,
        shards: [...slot.lanes.values()].map((lane) => lane.shardId),
        state: slot.state,
      });
    }
    return out;
  }

  /**
   * A handle for one shard's reader on a pooled worker (started if needed).
   * @throws KinesisTsError (`CLOSED`) after `close()`; whatever the launcher throws.
   */
  spawn(shardId: string): ShardWorkerHandle {
    if (this.#closePromise !== null) {
      throw new KinesisTsError(ErrorCode.CLOSED, 'the shard worker pool is closed', { context: { shardId } });
    }
    const slot = this.#pick();
    if (slot.idleTimer !== null) {
      this.#clock.clearTimeout(slot.idleTimer);
      slot.idleTimer = null;
    }
    const lane: Lane = {
      id: ++this.#nextLane,
      shardId,
      slot,
      onMessage: null,
      onExit: null,
      stopping: false,
      exited: false,
    };
    slot.lanes.set(lane.id, lane);
    return {
      pid: slot.worker.pid,
      send: (message: ToWorkerMessage) => {
        if (lane.exited || slot.state === 'exited') return;
        if (message.type === 'stop') lane.stopping = true;
        slot.worker.send({ type: 'lane', lane: lane.id, message });
      },
      onMessage: (listener) => {
        lane.onMessage = listener;
      },
      onExit: (listener) => {
        lane.onExit = listener;
      },
      kill: () => this.#killLane(lane),
    };
  }

  /** Ends every worker (a lane still open ends with a reason); kills those that do not exit in time. */
  close(): Promise<void> {
    this.#closePromise ??= this.#close();
    return this.#closePromise;
  }

  async #close(): Promise<void> {
    const slots = [...this.#slots];
    for (const slot of slots) {
      this.#clearTimers(slot);
      for (const lane of [...slot.lanes.values()]) {
        this.#exitLane(lane, lane.stopping ? null : 'the shard worker pool closed');
      }
      if (slot.state === 'live') this.#end(slot);
    }
    await Promise.all(slots.map((slot) => slot.exited));
  }

  #pick(): Slot {
    let live = 0;
    // The least-loaded live worker; and the same among those without an unconfirmed kill (which may be
    // hung: new lanes go elsewhere while there is a choice).
    let fallback: Slot | null = null;
    let best: Slot | null = null;
    for (const slot of this.#slots) {
      if (slot.state !== 'live') continue;
      live += 1;
      if (fallback === null || slot.lanes.size < fallback.lanes.size) fallback = slot;
      if (slot.kills.size === 0 && (best === null || slot.lanes.size < best.lanes.size)) best = slot;
    }
    if (best !== null && best.lanes.size === 0) return best;
    if (live < this.#max || fallback === null) return this.#start();
    return best ?? fallback;
  }

  #start(): Slot {
    const worker = this.#launch();
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    const slot: Slot = {
      worker,
      lanes: new Map(),
      kills: new Map(),
      state: 'live',
      idleTimer: null,
      endTimer: null,
      killReason: null,
      exited,
      markExited,
    };
    this.#slots.add(slot);
    worker.onMessage((message) => this.#onMessage(slot, message));
    worker.onExit((reason) => this.#onWorkerExit(slot, reason));
    this.#logger.debug('shard worker started', {
      kind: this.kind,
      pid: worker.pid,
      workers: this.#slots.size,
    });
    return slot;
  }

  #onMessage(slot: Slot, message: FromPooledWorkerMessage): void {
    const lane = slot.lanes.get(message.lane);
    if (message.type === 'closed') {
      const timer = slot.kills.get(message.lane);
      if (timer !== undefined) {
        this.#clock.clearTimeout(timer);
        slot.kills.delete(message.lane);
      }
      if (lane === undefined) return;
      slot.lanes.delete(lane.id);
      this.#exitLane(lane, lane.stopping ? null : 'the shard reader closed without a stop');
      this.#maybeIdle(slot);
      return;
    }
    if (lane === undefined || lane.exited) return;
    lane.onMessage?.(message.message);
  }

  #killLane(lane: Lane): void {
    if (lane.exited) return;
    const { slot } = lane;
    this.#exitLane(lane, 'killed');
    if (slot.state === 'exited' || !slot.lanes.has(lane.id)) return;
    slot.worker.send({ type: 'lane', lane: lane.id, message: { type: 'stop' } });
    if (slot.kills.has(lane.id)) return;
    slot.kills.set(
      lane.id,
      this.#clock.setTimeout(() => {
        slot.kills.delete(lane.id);
        if (slot.state === 'exited' || slot.state === 'hung') return;
        const reason = `shard worker${slot.worker.pid === undefined ? '' : ` ${slot.worker.pid}`} unresponsive: shard ${lane.shardId} not stopped within ${this.#unresponsiveMs} ms`;
        this.#logger.warn('killing a hung shard worker', {
          kind: this.kind,
          pid: slot.worker.pid,
          shards: [...slot.lanes.values()].map((l) => l.shardId),
        });
        slot.state = 'hung';
        slot.killReason = reason;
        slot.worker.kill();
      }, this.#unresponsiveMs),
    );
  }

  #exitLane(lane: Lane, reason: string | null): void {
    if (lane.exited) return;
    lane.exited = true;
    lane.onExit?.(reason);
  }

  #onWorkerExit(slot: Slot, reason: string): void {
    const wasLive = slot.state === 'live';
    slot.state = 'exited';
    this.#slots.delete(slot);
    this.#clearTimers(slot);
    const why = slot.killReason ?? reason;
    const lanes = [...slot.lanes.values()];
    slot.lanes.clear();
    if (wasLive && this.#closePromise === null) {
      this.#logger.warn('shard worker exited', {
        kind: this.kind,
        pid: slot.worker.pid,
        reason: why,
        shards: lanes.map((lane) => lane.shardId),
      });
    }
    for (const lane of lanes) this.#exitLane(lane, lane.stopping ? null : why);
    slot.markExited();
  }

  #maybeIdle(slot: Slot): void {
    if (this.#closePromise !== null || slot.state !== 'live' || slot.lanes.size > 0) return;
    if (slot.idleTimer !== null) return;
    slot.idleTimer = this.#clock.setTimeout(() => {
      slot.idleTimer = null;
      if (slot.state !== 'live' || slot.lanes.size > 0) return;
      let live = 0;
      for (const other of this.#slots) if (other.state === 'live') live += 1;
      if (live <= this.#min) return;
      this.#logger.debug('ending an idle shard worker', { kind: this.kind, pid: slot.worker.pid });
      this.#end(slot);
    }, this.#idleMs);
  }

  /** Asks a worker to exit; kills it if it has not within `unresponsiveMs`. */
  #end(slot: Slot): void {
    slot.state = 'ending';
    slot.worker.end();
    slot.endTimer = this.#clock.setTimeout(() => {
      slot.endTimer = null;
      if (slot.state !== 'exited') slot.worker.kill();
    }, this.#unresponsiveMs);
  }

  #clearTimers(slot: Slot): void {
    if (slot.idleTimer !== null) this.#clock.clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
    for (const timer of slot.kills.values()) this.#clock.clearTimeout(timer);
    slot.kills.clear();
    if (slot.state === 'exited' && slot.endTimer !== null) {
      this.#clock.clearTimeout(slot.endTimer);
      slot.endTimer = null;
    }
  }
}
