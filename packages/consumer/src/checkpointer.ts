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
  isRecordCheckpoint,
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

/**
 * Batches the checkpoints of one shard. At most one write is in flight: positions processed meanwhile
 * are coalesced, and the newest one is written when that write is done, so a slow state store never
 * piles up writes. Positions are compared once per write, never per record: a shard's records are
 * processed in order, so the last position marked is the furthest.
 */
export class Checkpointer {
  readonly #options: CheckpointerOptions;
  #processed: Checkpoint | null;
  #written: Checkpoint | null;
  #unwritten = 0;
  #timer: TimerHandle | null = null;
  #writing: Promise<void> | null = null;
  /** A write was asked for while one was in flight. */
  #again = false;
  #stopped = false;

  constructor(options: CheckpointerOptions) {
    this.#options = options;
    // A position an operator stored (TRIM_HORIZON, ...) is not a record: nothing was processed yet,
    // and the first record checkpoint replaces it.
    const stored = options.lease.lease.checkpoint;
    this.#written = stored !== null && isRecordCheckpoint(stored) ? stored : null;
    this.#processed = this.#written;
  }

  /** The last processed position (what a flush would write). */
  get processed(): Checkpoint | null {
    return this.#processed;
  }

  /** The last record position written to the state store (`null` before the first, or over a sentinel). */
  get written(): Checkpoint | null {
    return this.#written;
  }

  /**
   * Records that everything up to and including `position` was processed; may trigger a write.
   * Positions must come in shard order (they are not compared here).
   */
  markProcessed(position: Checkpoint, count = 1): void {
    if (this.#stopped) return;
    this.#processed = position;
    this.#unwritten += count;
    if (this.#unwritten >= this.#options.records) this.#kick();
    else this.#armTimer();
  }

  /**
   * Writes the last processed position if it was not written yet (after the write in flight, if any).
   * Resolves when written (or nothing to write); rejects with the write's error (which was also
   * reported to `onLost` / `onError`).
   */
  async flush(): Promise<void> {
    this.#clearTimer();
    for (;;) {
      if (this.#stopped) return;
      if (this.#writing !== null) {
        await this.#writing;
        continue;
      }
      const processed = this.#processed;
      if (
        processed === null ||
        (this.#written !== null && compareCheckpoints(processed, this.#written) <= 0)
      ) {
        this.#unwritten = 0;
        return;
      }
      // A plain position (the processed one may be a whole record).
      const target: Checkpoint = {
        sequenceNumber: processed.sequenceNumber,
        subSequenceNumber: processed.subSequenceNumber,
      };
      this.#writing = this.#write(target).finally(() => {
        this.#writing = null;
        this.#afterWrite();
      });
      await this.#writing;
      return;
    }
  }

  /** Stops: cancels the timer; no further writes. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
  }

  #kick(): void {
    this.#clearTimer();
    if (this.#writing !== null) {
      this.#again = true;
      return;
    }
    void this.flush().catch(() => {});
  }

  #afterWrite(): void {
    if (this.#stopped || this.#unwritten === 0) return;
    if (this.#again || this.#unwritten >= this.#options.records) {
      this.#again = false;
      queueMicrotask(() => this.#kick());
    } else {
      this.#armTimer();
    }
  }

  #armTimer(): void {
    if (this.#stopped || this.#timer !== null || this.#writing !== null) return;
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#timer = null;
      this.#kick();
    }, this.#options.ms);
  }

  async #write(target: Checkpoint): Promise<void> {
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
            { cause: error, context: { shardId: this.#options.lease.shardId } },
          );
      // Retried at the next timer (or the next flush) with whatever is newest then.
      this.#unwritten += count;
      this.#options.onError(typed);
      throw typed;
    }
    if (this.#written === null || compareCheckpoints(target, this.#written) > 0) {
      this.#written = target;
      this.#options.onWritten(target);
    }
  }

  #clearTimer(): void {
    if (this.#timer !== null) {
      this.#options.clock.clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}
