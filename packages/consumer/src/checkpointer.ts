/**
 * Batched, fenced checkpoints of one shard: written every N processed records or T milliseconds,
 * never ahead of processing, flushed on demand (close, handoff, shard end).
 */
import {
  type Checkpoint,
  type Clock,
  compareCheckpoints,
  ErrorCode,
  isKinesisTsError,
  type KinesisTsError,
  LeaseLostError,
  StateStoreError,
  type TimerHandle,
} from '@kinesis-ts/core';
import type { HeldLease } from './held-lease.js';

/** Options of {@link Checkpointer}. */
export interface CheckpointerOptions {
  /** The lease checkpoints are written through. */
  readonly lease: HeldLease;
  /** Write after this many processed records. */
  readonly records: number;
  /** Write at most this long after the first unwritten processed record. */
  readonly ms: number;
  /** Timers. */
  readonly clock: Clock;
  /** A checkpoint was written. */
  readonly onWritten: (checkpoint: Checkpoint) => void;
  /** The lease was lost: the shard must stop without any further checkpoint. */
  readonly onLost: (error: LeaseLostError) => void;
  /** A write failed otherwise; the checkpoint is retried at the next flush. */
  readonly onError: (error: KinesisTsError) => void;
}

/** Batches the checkpoints of one shard. */
export class Checkpointer {
  readonly #options: CheckpointerOptions;
  #processed: Checkpoint | null;
  #written: Checkpoint | null;
  #unwritten = 0;
  #timer: TimerHandle | null = null;
  #stopped = false;

  constructor(options: CheckpointerOptions) {
    this.#options = options;
    this.#written = options.lease.lease.checkpoint;
    this.#processed = this.#written;
  }

  /** The last processed position (what a flush would write). */
  get processed(): Checkpoint | null {
    return this.#processed;
  }

  /** The last position written to the state store. */
  get written(): Checkpoint | null {
    return this.#written;
  }

  /** Records that everything up to and including `position` was processed; may trigger a write. */
  markProcessed(position: Checkpoint, count = 1): void {
    if (this.#stopped) return;
    if (this.#processed === null || compareCheckpoints(position, this.#processed) > 0) {
      this.#processed = {
        sequenceNumber: position.sequenceNumber,
        subSequenceNumber: position.subSequenceNumber,
      };
    }
    this.#unwritten += count;
    if (this.#unwritten >= this.#options.records) {
      void this.flush().catch(() => {});
    } else if (this.#timer === null) {
      this.#timer = this.#options.clock.setTimeout(() => {
        this.#timer = null;
        void this.flush().catch(() => {});
      }, this.#options.ms);
    }
  }

  /**
   * Writes the last processed position if it was not written yet. Resolves when written (or nothing
   * to write); rejects with the write's error (which was also reported to `onLost` / `onError`).
   */
  async flush(): Promise<void> {
    this.#clearTimer();
    if (this.#stopped) return;
    const target = this.#processed;
    if (target === null || (this.#written !== null && compareCheckpoints(target, this.#written) <= 0)) {
      this.#unwritten = 0;
      return;
    }
    const count = this.#unwritten;
    this.#unwritten = 0;
    try {
      await this.#options.lease.checkpoint(target);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.stop();
        this.#options.onLost(error);
        throw error;
      }
      const typed = isKinesisTsError(error)
        ? error
        : new StateStoreError(
            ErrorCode.STATE_STORE_UNAVAILABLE,
            `checkpoint of ${this.#options.lease.shardId} failed`,
            {
              cause: error,
              context: { shardId: this.#options.lease.shardId },
            },
          );
      this.#unwritten += count;
      if (!this.#stopped && this.#timer === null) {
        this.#timer = this.#options.clock.setTimeout(() => {
          this.#timer = null;
          void this.flush().catch(() => {});
        }, this.#options.ms);
      }
      this.#options.onError(typed);
      throw typed;
    }
    if (this.#written === null || compareCheckpoints(target, this.#written) > 0) {
      this.#written = target;
      this.#options.onWritten(target);
    }
  }

  /** Stops: cancels the timer; no further writes. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
  }

  #clearTimer(): void {
    if (this.#timer !== null) {
      this.#options.clock.clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}
