import type { KinesisRecord } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { packRecords, transferables, unpackRecords } from './batch-codec.js';

describe('batch codec', () => {
  it('round-trips a batch through one buffer and structured clone', () => {
    const records: KinesisRecord[] = [
      {
        data: Buffer.from('hello'),
        partitionKey: 'a',
        sequenceNumber: '123',
        subSequenceNumber: 0,
        shardId: 's1',
        approximateArrivalTimestamp: new Date(1000),
        aggregated: false,
      },
      {
        data: new Uint8Array(0),
        partitionKey: 'b',
        sequenceNumber: '124',
        subSequenceNumber: 3,
        explicitHashKey: '42',
        shardId: 's1',
        approximateArrivalTimestamp: new Date(2000),
        aggregated: true,
        encryptionType: 'KMS',
      },
    ];
    const packed = structuredClone(packRecords(records));
    expect(packed.data.byteLength).toBe(5);
    const out = unpackRecords(packed, 's1');
    expect(out.map((r) => ({ ...r, data: Buffer.from(r.data).toString() }))).toEqual(
      records.map((r) => ({
        ...r,
        data: Buffer.from(r.data).toString(),
        explicitHashKey: r.explicitHashKey,
        encryptionType: r.encryptionType,
      })),
    );
    expect(Buffer.isBuffer(out[0]!.data)).toBe(true);
    const fresh = packRecords(records);
    const buffers = transferables(fresh);
    expect(new Set(buffers).size).toBe(5);
    expect(buffers[0]!.byteLength).toBe(5); // the payload buffer is the batch's own, not the shared pool
  });
});
