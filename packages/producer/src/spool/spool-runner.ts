/**
 * A runner that puts the disk spool in front of another runner (process or inline): records are
 * written to the spool before they are handed over, so `accepted()` (which waits for the hand-over)
 * covers records on disk; acknowledged records are marked settled. At start it sends what a previous
 * producer left in the spool before any new record, and reports those outcomes as events. That replay
 * is paced by the producer's outstanding bounds: more is handed over as replayed records settle, and
 * the producer hands over no new record until the last replayed one was (see {@link RunnerBacklog}).
 */

import {
  ErrorCode,
  fromTransferableError,
  isKinesisTsError,
  type Logger,
  toTransferableError,
} from '@kinesis-ts/core';
import type { RecordAck } from '../acks.js';
import { ProducerRecordError, type RecordFailure } from '../errors.js';
import type { ProducerEvent } from '../events.js';
import type { IncomingRecord, StreamInfo } from '../pipeline.js';
import type { Runner, RunnerBacklog, RunnerCallbacks } from '../runners/runner.js';
import type { DiskSpool } from './disk-spool.js';
import type { ReplayedRecordResult } from './spool-events.js';
import type { SpooledRecord } from './spool-format.js';

/** Records per hand-over when replaying (one IPC message each). */
const REPLAY_CHUNK = 500;

/** The producer's bounds, which replayed records count against. */
export interface ReplayLimits {
  /** `maxOutstandingRecords`. */
  readonly maxRecords: number;
  /** `maxOutstandingBytes` (data + partition key). */
  readonly maxBytes: number;
}

/** A record's size as the producer counts it against `maxOutstandingBytes`. */
function recordSize(record: SpooledRecord): number {
  return record.data.byteLength + Buffer.byteLength(record.partitionKey, 'utf8');
}

/**
 * Wraps `createInner(callbacks)`: ids the inner runner sees are spool sequence numbers (replayed
 * records keep theirs, so they sort before every new record); ids the producer sees are its own.
 */
export class SpoolRunner implements Runner {
  readonly #spool: DiskSpool;
  readonly #inner: Runner;
  readonly #callbacks: RunnerCallbacks;
  readonly #logger: Logger;
  readonly #streamName: string;
  #opened: Promise<void> | undefined;
  /** Spool seq -> producer id, for records handed to the inner runner. */
  readonly #producerIdOf = new Map<number, number>();
  /** Producer id -> spool seq (for `flush(upToId)`). */
  readonly #seqOf = new Map<number, number>();
  readonly #limits: ReplayLimits;
  /** Replayed records not yet settled, by seq (in write order). */
  readonly #replay = new Map<number, SpooledRecord>();
  /** Set once the replay began on the current inner runner (cleared when it crashes). */
  #replayStarted = false;
  /** Replayed records still to hand over, in write order, from `#replayNext`. */
  #replayQueue: SpooledRecord[] = [];
  #replayNext = 0;
  /** Replayed records handed over and not yet settled, and their bytes. */
  #replayRecords = 0;
  #replayBytes = 0;
  /** Bumped when the inner runner crashes: hand-overs queued before that are dropped. */
  #generation = 0;
  #replayAcknowledged = 0;
  #replayFailed = 0;
  #chain: Promise<void> = Promise.resolve();
  /** `close()` gave up (timeout or signal): records failed from now on stay in the spool for the next start. */
  #aborted = false;

  constructor(
    spool: DiskSpool,
    createInner: (callbacks: RunnerCallbacks) => Runner,
    callbacks: RunnerCallbacks,
    deps: { logger: Logger; streamName: string; limits: ReplayLimits },
  ) {
    this.#spool = spool;
    this.#limits = deps.limits;
    this.#callbacks = callbacks;
    this.#logger = deps.logger;
    this.#streamName = deps.streamName;
    this.#inner = createInner({
      settled: (acks) => this.#onSettled(acks),
      event: (event) => callbacks.event(event),
      crashed: (error) => this.#onCrashed(error),
    });
  }

  async start(): Promise<StreamInfo> {
    this.#opened ??= this.#spool.open().then(
      (records) => {
        for (const record of records) this.#replay.set(record.seq, record);
      },
      (error: unknown) => {
        this.#opened = undefined;
        throw error;
      },
    );
    await this.#opened;
    const info = await this.#inner.start();
    if (!this.#replayStarted) {
      this.#replayStarted = true;
      this.#replayQueue = [...this.#replay.values()];
      this.#replayNext = 0;
      this.#replayRecords = 0;
      this.#replayBytes = 0;
      // The first window goes out before start() resolves (a failed hand-over fails the start).
      await this.#pumpReplay();
    }
    return info;
  }

  /** What the replay holds against the producer's bounds. */
  backlog(): RunnerBacklog {
    return {
      records: this.#replayRecords,
      bytes: this.#replayBytes,
      waiting: this.#replayNext < this.#replayQueue.length,
    };
  }

  /**
   * Hands over replayed records while the bounds allow (at least one when none is outstanding), in
   * chunks of {@link REPLAY_CHUNK}, on the same chain as new records so they go out first.
   */
  #pumpReplay(): Promise<void> {
    const queue = this.#replayQueue;
    const sends: Promise<void>[] = [];
    while (!this.#aborted && this.#replayNext < queue.length) {
      const chunk: IncomingRecord[] = [];
      while (this.#replayNext < queue.length && chunk.length < REPLAY_CHUNK) {
        const r = queue[this.#replayNext]!;
        const size = recordSize(r);
        if (
          this.#replayRecords > 0 &&
          (this.#replayRecords + 1 > this.#limits.maxRecords ||
            this.#replayBytes + size > this.#limits.maxBytes)
        )
          break;
        this.#replayNext++;
        this.#replayRecords++;
        this.#replayBytes += size;
        chunk.push({
          id: r.seq,
          data: r.data,
          partitionKey: r.partitionKey,
          explicitHashKey: r.explicitHashKey,
        });
      }
      if (chunk.length === 0) break;
      const generation = this.#generation;
      const step = this.#chain.then(() =>
        generation === this.#generation && !this.#aborted ? this.#inner.send(chunk) : undefined,
      );
      this.#chain = step.catch((error: unknown) => {
        // The inner runner is gone: its crash resets the replay, which starts over on the next start.
        this.#logger.warn('handing replayed records over failed', { error, records: chunk.length });
      });
      sends.push(step);
    }
    if (this.#replayNext >= queue.length && queue.length > 0) {
      this.#replayQueue = [];
      this.#replayNext = 0;
    }
    return Promise.all(sends).then(() => undefined);
  }

  #event(event: ProducerEvent): void {
    this.#callbacks.event(event);
  }

  send(records: IncomingRecord[]): Promise<void> {
    const { firstSeq, written } = this.#spool.append(records);
    const inner = records.map((r, i): IncomingRecord => {
      const seq = firstSeq + i;
      this.#producerIdOf.set(seq, r.id);
      this.#seqOf.set(r.id, seq);
      return { id: seq, data: r.data, partitionKey: r.partitionKey, explicitHashKey: r.explicitHashKey };
    });
    const step = this.#chain
      .then(() => written)
      .then(
        () =>
          this.#inner.send(inner).catch((error: unknown) => {
            // The producer fails these records (the caller holds them again): the spool lets go too.
            this.#forget(inner);
            throw error;
          }),
        (error: unknown) => {
          // Not on disk: fail the records with the spool's error instead of handing them over.
          this.#forget(inner);
          const failure = {
            code: isKinesisTsError(error) ? error.code : ErrorCode.SPOOL_IO_FAILED,
            message: error instanceof Error ? error.message : String(error),
            context: { streamName: this.#streamName },
            cause: toTransferableError(error),
          };
          this.#callbacks.settled(records.map((r): RecordAck => ({ id: r.id, failure })));
        },
      );
    this.#chain = step.catch(() => {});
    return step;
  }

  #forget(records: readonly IncomingRecord[]): void {
    const seqs: number[] = [];
    for (const r of records) {
      const id = this.#producerIdOf.get(r.id);
      if (id === undefined) continue;
      this.#producerIdOf.delete(r.id);
      this.#seqOf.delete(id);
      seqs.push(r.id);
    }
    this.#spool.settle(seqs);
  }

  #onSettled(acks: RecordAck[]): void {
    const forward: RecordAck[] = [];
    const seqs: number[] = [];
    const acknowledged: ReplayedRecordResult[] = [];
    const failed: ProducerRecordError[] = [];
    let freed = false;
    for (const ack of acks) {
      const seq = ack.id;
      const id = this.#producerIdOf.get(seq);
      // Given up by an aborted close, not by Kinesis: kept on disk, the next producer on the spool sends it.
      const keep = this.#aborted && 'failure' in ack;
      if (id !== undefined) {
        this.#producerIdOf.delete(seq);
        this.#seqOf.delete(id);
        if (!keep) seqs.push(seq);
        forward.push({ ...ack, id });
        continue;
      }
      if (keep) continue;
      const replayed = this.#replay.get(seq);
      if (replayed === undefined) continue;
      this.#replay.delete(seq);
      this.#replayRecords--;
      this.#replayBytes -= recordSize(replayed);
      freed = true;
      seqs.push(seq);
      if ('failure' in ack) {
        this.#replayFailed++;
        failed.push(
          new ProducerRecordError(
            ack.failure.code,
            ack.failure.message,
            {
              data: replayed.data,
              partitionKey: replayed.partitionKey,
              explicitHashKey: replayed.explicitHashKey,
            },
            {
              cause: ack.failure.cause === undefined ? undefined : fromTransferableError(ack.failure.cause),
              context: ack.failure.context,
            },
          ),
        );
      } else {
        this.#replayAcknowledged++;
        acknowledged.push({
          partitionKey: replayed.partitionKey,
          shardId: ack.shardId,
          sequenceNumber: ack.sequenceNumber,
          subSequenceNumber: ack.subSequenceNumber,
        });
      }
    }
    this.#spool.settle(seqs);
    if (acknowledged.length > 0 || failed.length > 0) {
      this.#event({ type: 'spoolReplaySettled', acknowledged, failed });
      if (this.#replay.size === 0)
        this.#event({
          type: 'spoolReplayDone',
          acknowledged: this.#replayAcknowledged,
          failed: this.#replayFailed,
        });
    }
    if (forward.length > 0) this.#callbacks.settled(forward);
    if (freed) {
      const waiting = this.#replayQueue.length > 0;
      if (waiting) void this.#pumpReplay().catch(() => {});
      // Room for the producer's records, or the replay was all handed over: the producer admits more.
      this.#callbacks.backlogChanged?.();
    }
  }

  #onCrashed(error: Error): void {
    // The producer rejects its outstanding records (the caller holds them again): the spool lets go.
    // Replayed records have no caller: they stay in the spool and are sent again on the next start.
    const seqs = [...this.#producerIdOf.keys()];
    this.#producerIdOf.clear();
    this.#seqOf.clear();
    this.#spool.settle(seqs);
    this.#replayStarted = false;
    this.#generation++;
    this.#replayQueue = [];
    this.#replayNext = 0;
    this.#replayRecords = 0;
    this.#replayBytes = 0;
    this.#logger.warn('background host died; unsettled replayed records will be sent again', {
      replayed: this.#replay.size,
    });
    this.#callbacks.crashed(error);
  }

  async flush(upToId?: number): Promise<void> {
    await this.#chain;
    if (upToId === undefined) return this.#inner.flush();
    const seq = this.#seqOf.get(upToId);
    if (seq === undefined) return;
    return this.#inner.flush(seq);
  }

  /**
   * `close()` ran out of time or was aborted: the inner runner stops at once and its records are
   * reported failed to their callers, but they stay in the spool (they were not acknowledged), so the
   * next producer on the directory sends them: possible duplicates, never loss.
   */
  abort(failure: RecordFailure): void {
    this.#aborted = true;
    this.#inner.abort(failure);
    void this.#spool.close().catch((error: unknown) => {
      this.#logger.warn('closing the spool after an aborted close failed', { error });
    });
  }

  /** Finishes the replay (window by window, each bounded by `recordTtl`), flushes and stops the inner runner. */
  async close(): Promise<void> {
    try {
      await this.#chain;
      while (!this.#aborted && this.#replayQueue.length > 0) {
        await this.#inner.flush();
        await this.#chain;
      }
      await this.#inner.close();
    } finally {
      await this.#spool.close();
    }
  }
}
