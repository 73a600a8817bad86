/**
 * Messages between the producer (parent) and its background host (child process). Records travel
 * packed: one Buffer plus offsets per message, never one message per record; acknowledgements travel
 * columnar, one message per PutRecords response.
 */

import { packPayloads, unpackPayloads } from '@kinesis-ts/core';
import type { RecordAck, RecordRejection } from '../acks.js';
import type { ProducerEvent } from '../events.js';
import type { IncomingRecord, PipelineOptions } from '../pipeline.js';
import type { HostAckMarksTarget } from '../spool/host-ack-marks.js';

/** Client settings that can cross the channel (credentials never do; they are asked for). */
export interface HostClientSettings {
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly maxAttempts?: number | undefined;
}

/** Records packed for the channel. */
export interface PackedRecords {
  /** Record ids. */
  readonly ids: Float64Array;
  /** All payloads back to back. */
  readonly data: Uint8Array;
  /** `offsets[i]..offsets[i+1]` is record i's payload (length n + 1). */
  readonly offsets: Uint32Array;
  /** Partition keys. */
  readonly keys: string[];
  /** Explicit hash keys by record index, for the records that have one. */
  readonly explicitHashKeys: Record<number, string> | undefined;
}

/** Parent to child. */
export type ParentMessage =
  | {
      readonly t: 'init';
      readonly options: PipelineOptions;
      readonly client: HostClientSettings;
      readonly forwardLogs: boolean;
      readonly orphanFlushTimeout: number;
      /** With a disk spool: where to write acknowledgement marks once the producer is gone. */
      readonly ackMarks?: HostAckMarksTarget | undefined;
    }
  | { readonly t: 'start' | 'close'; readonly rid: number }
  | { readonly t: 'flush'; readonly rid: number; readonly upToId?: number | undefined }
  | { readonly t: 'put'; readonly records: PackedRecords }
  | { readonly t: 'credentials'; readonly rid: number; readonly ok: boolean; readonly value: unknown };

/** Acknowledgements of one response, columnar. */
export interface PackedAcks {
  readonly ids: Float64Array;
  /** Shard ids in use by this message. */
  readonly shards: string[];
  readonly shardIndex: Uint16Array;
  readonly sequenceNumbers: string[];
  /** -1 = plain record. */
  readonly subSequenceNumbers: Int32Array;
  readonly rejections: RecordRejection[];
}

/** Child to parent. */
export type ChildMessage =
  | { readonly t: 'reply'; readonly rid: number; readonly ok: boolean; readonly value: unknown }
  | { readonly t: 'acks'; readonly acks: PackedAcks }
  | { readonly t: 'event'; readonly event: ProducerEvent }
  | { readonly t: 'credentials'; readonly rid: number }
  | {
      readonly t: 'log';
      readonly level: 'debug' | 'info' | 'warn' | 'error';
      readonly message: string;
      readonly context: Record<string, unknown> | undefined;
    };

/** Packs records into one buffer plus offsets. */
export function packRecords(records: readonly IncomingRecord[]): PackedRecords {
  const n = records.length;
  const { data, offsets } = packPayloads(records);
  const ids = new Float64Array(n);
  const keys = new Array<string>(n);
  let explicitHashKeys: Record<number, string> | undefined;
  for (let i = 0; i < n; i++) {
    const record = records[i]!;
    ids[i] = record.id;
    keys[i] = record.partitionKey;
    if (record.explicitHashKey !== undefined) {
      explicitHashKeys ??= {};
      explicitHashKeys[i] = record.explicitHashKey;
    }
  }
  return { ids, data, offsets, keys, explicitHashKeys };
}

/** Unpacks records; payloads are views into the message's buffer. */
export function unpackRecords(packed: PackedRecords): IncomingRecord[] {
  const n = packed.ids.length;
  const out = new Array<IncomingRecord>(n);
  const payloads = unpackPayloads(packed);
  for (let i = 0; i < n; i++) {
    out[i] = {
      id: packed.ids[i]!,
      data: payloads[i]!,
      partitionKey: packed.keys[i]!,
      explicitHashKey: packed.explicitHashKeys?.[i],
    };
  }
  return out;
}

/** Packs acknowledgements columnar. */
export function packAcks(acks: readonly RecordAck[]): PackedAcks {
  const successes = acks.filter((a) => !('failure' in a)) as Extract<RecordAck, { shardId: string }>[];
  const rejections = acks.filter((a) => 'failure' in a) as RecordRejection[];
  const n = successes.length;
  const ids = new Float64Array(n);
  const shardIndex = new Uint16Array(n);
  const subSequenceNumbers = new Int32Array(n);
  const sequenceNumbers = new Array<string>(n);
  const shards: string[] = [];
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const ack = successes[i]!;
    let s = index.get(ack.shardId);
    if (s === undefined) {
      s = shards.length;
      shards.push(ack.shardId);
      index.set(ack.shardId, s);
    }
    ids[i] = ack.id;
    shardIndex[i] = s;
    sequenceNumbers[i] = ack.sequenceNumber;
    subSequenceNumbers[i] = ack.subSequenceNumber ?? -1;
  }
  return { ids, shards, shardIndex, sequenceNumbers, subSequenceNumbers, rejections };
}

/** Unpacks acknowledgements. */
export function unpackAcks(packed: PackedAcks): RecordAck[] {
  const out: RecordAck[] = [];
  for (let i = 0; i < packed.ids.length; i++) {
    const sub = packed.subSequenceNumbers[i]!;
    out.push({
      id: packed.ids[i]!,
      shardId: packed.shards[packed.shardIndex[i]!]!,
      sequenceNumber: packed.sequenceNumbers[i]!,
      subSequenceNumber: sub < 0 ? undefined : sub,
    });
  }
  for (const rejection of packed.rejections) out.push(rejection);
  return out;
}
