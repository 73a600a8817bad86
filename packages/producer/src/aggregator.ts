/**
 * Per-predicted-shard KPL aggregation: user records whose hash keys map to the same shard are packed
 * into one Kinesis record with core's {@link AggregateBuilder}.
 */

import { AggregateBuilder } from '@kinesis-ts/core';
import { type PendingRecord, type PutEntry, plainEntry } from './entries.js';

interface OpenAggregate {
  readonly builder: AggregateBuilder;
  records: PendingRecord[];
  firstArrivedAt: number;
  mapVersion: number;
}

/**
 * Holds one open aggregate per predicted shard. The outer partition key (and explicit hash key, when
 * the first record had one) is the first record's, so the aggregate lands on the shard the first
 * record predicts, which is the shard every record in it predicts. An aggregate of a single record is
 * sent as a plain record.
 */
export class Aggregator {
  readonly #maxBytes: number;
  readonly #maxRecordBytes: number;
  readonly #bufferTime: number;
  readonly #open = new Map<string, OpenAggregate>();

  constructor(options: { maxBytes: number; maxRecordBytes: number; bufferTime: number }) {
    this.#maxBytes = options.maxBytes;
    this.#maxRecordBytes = options.maxRecordBytes;
    this.#bufferTime = options.bufferTime;
  }

  /** Records held in open aggregates. */
  get pendingRecords(): number {
    let n = 0;
    for (const open of this.#open.values()) n += open.records.length;
    return n;
  }

  /**
   * Adds `record` to the open aggregate of `shardId`. Returns the entries that became complete: the
   * previous aggregate when the record did not fit, or the record alone when it cannot be aggregated.
   */
  add(record: PendingRecord, shardId: string, mapVersion: number): PutEntry[] {
    let open = this.#open.get(shardId);
    if (open === undefined) {
      open = {
        builder: new AggregateBuilder({ maxBytes: this.#maxBytes, maxRecordBytes: this.#maxRecordBytes }),
        records: [],
        firstArrivedAt: record.arrivedAt,
        mapVersion,
      };
      this.#open.set(shardId, open);
    }
    const input = {
      data: record.data,
      partitionKey: record.partitionKey,
      explicitHashKey: record.explicitHashKey,
    };
    if (open.builder.tryAdd(input)) {
      if (open.records.length === 0) {
        open.firstArrivedAt = record.arrivedAt;
        open.mapVersion = mapVersion;
      }
      open.records.push(record);
      return [];
    }
    const sealed: PutEntry[] = [];
    if (open.records.length > 0) sealed.push(this.#seal(shardId, open));
    if (open.builder.tryAdd(input)) {
      open.firstArrivedAt = record.arrivedAt;
      open.mapVersion = mapVersion;
      open.records.push(record);
    } else {
      sealed.push(plainEntry(record, shardId, mapVersion, this.#bufferTime));
    }
    return sealed;
  }

  #seal(shardId: string, open: OpenAggregate): PutEntry {
    const records = open.records;
    let entry: PutEntry;
    if (records.length === 1) {
      entry = plainEntry(records[0]!, shardId, open.mapVersion, this.#bufferTime);
    } else {
      const built = open.builder.build();
      let deadline = Number.POSITIVE_INFINITY;
      for (const r of records) deadline = Math.min(deadline, r.deadline);
      entry = {
        seq: records[0]!.id,
        records,
        data: built.data,
        partitionKey: built.partitionKey,
        explicitHashKey: built.explicitHashKey,
        size: built.data.byteLength + Buffer.byteLength(built.partitionKey, 'utf8'),
        aggregated: true,
        shardId,
        mapVersion: open.mapVersion,
        dueAt: open.firstArrivedAt + this.#bufferTime,
        deadline,
        keys: records.map((r) => r.partitionKey),
        attempts: 0,
        notBefore: 0,
        lastError: undefined,
        lastErrorDetail: undefined,
        maybeWritten: false,
      };
    }
    open.builder.reset();
    open.records = [];
    return entry;
  }

  /** Seals the open aggregates that are due at `now` (all of them with `force`). */
  sealDue(now: number, force: boolean): PutEntry[] {
    const sealed: PutEntry[] = [];
    for (const [shardId, open] of this.#open) {
      if (open.records.length === 0) continue;
      if (force || open.firstArrivedAt + this.#bufferTime <= now) sealed.push(this.#seal(shardId, open));
    }
    return sealed;
  }

  /** When the oldest open aggregate falls due, or `undefined` when none is open. */
  nextDueAt(): number | undefined {
    let due: number | undefined;
    for (const open of this.#open.values()) {
      if (open.records.length === 0) continue;
      const at = open.firstArrivedAt + this.#bufferTime;
      if (due === undefined || at < due) due = at;
    }
    return due;
  }
}
