/**
 * A runner that puts the disk spool in front of another runner (process or inline): records are
 * written to the spool before they are handed over, so `accepted()` (which waits for the hand-over)
 * covers records on disk; acknowledged records are marked settled. At start it sends what a previous
 * producer left in the spool before any new record, and reports those outcomes as events.
 */

import { ErrorCode, isKinesisTsError, type Logger } from '@kinesis-ts/core';
import type { RecordAck } from '../acks.js';
import { ProducerRecordError, type RecordFailure } from '../errors.js';
import type { ProducerEvent } from '../events.js';
import type { IncomingRecord, StreamInfo } from '../pipeline.js';
import type { Runner, RunnerCallbacks } from '../runners/runner.js';
import type { DiskSpool } from './disk-spool.js';
import type { ReplayedRecordResult } from './spool-events.js';
import type { SpooledRecord } from './spool-format.js';

/** Records per hand-over when replaying (one IPC message each). */
const REPLAY_CHUNK = 500;

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
  /** Replayed records not yet settled, by seq. */
  readonly #replay = new Map<number, SpooledRecord>();
  #replaySent = false;
  #replayAcknowledged = 0;
  #replayFailed = 0;
  #chain: Promise<void> = Promise.resolve();
  /** `close()` gave up (timeout or signal): records failed from now on stay in the spool for the next start. */
  #aborted = false;

  constructor(
    spool: DiskSpool,
    createInner: (callbacks: RunnerCallbacks) => Runner,
    callbacks: RunnerCallbacks,
    deps: { logger: Logger; streamName: string },
  ) {
    this.#spool = spool;
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
    if (!this.#replaySent && this.#replay.size > 0) {
      this.#replaySent = true;
      const records = [...this.#replay.values()];
      for (let i = 0; i < records.length; i += REPLAY_CHUNK) {
        const chunk = records.slice(i, i + REPLAY_CHUNK).map(
          (r): IncomingRecord => ({
            id: r.seq,
            data: r.data,
            partitionKey: r.partitionKey,
            explicitHashKey: r.explicitHashKey,
          }),
        );
        await this.#inner.send(chunk);
      }
    }
    return info;
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
            { context: ack.failure.context },
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
  }

  #onCrashed(error: Error): void {
    // The producer rejects its outstanding records (the caller holds them again): the spool lets go.
    // Replayed records have no caller: they stay in the spool and are sent again on the next start.
    const seqs = [...this.#producerIdOf.keys()];
    this.#producerIdOf.clear();
    this.#seqOf.clear();
    this.#spool.settle(seqs);
    this.#replaySent = false;
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

  async close(): Promise<void> {
    try {
      await this.#chain;
      await this.#inner.close();
    } finally {
      await this.#spool.close();
    }
  }
}
