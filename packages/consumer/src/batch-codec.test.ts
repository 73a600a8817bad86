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

  it('unpacks many records with the right fields, sharing a Date only between equal arrival times', () => {
    const records: KinesisRecord[] = Array.from({ length: 50 }, (_, i) => ({
      data: Buffer.from(`payload-${i}`),
      partitionKey: `k${i}`,
      sequenceNumber: String(1000 + Math.floor(i / 5)),
      subSequenceNumber: i % 5,
      shardId: 's1',
      approximateArrivalTimestamp: new Date(5000 + Math.floor(i / 10)),
      aggregated: i % 5 !== 0,
    }));
    const out = unpackRecords(structuredClone(packRecords(records)), 's1');
    expect(out).toHaveLength(50);
    for (const [i, r] of out.entries()) {
      expect(Buffer.from(r.data).toString()).toBe(`payload-${i}`);
      expect(r.partitionKey).toBe(`k${i}`);
      expect(r.sequenceNumber).toBe(records[i]!.sequenceNumber);
      expect(r.subSequenceNumber).toBe(i % 5);
      expect(r.aggregated).toBe(i % 5 !== 0);
      expect(r.approximateArrivalTimestamp.getTime()).toBe(5000 + Math.floor(i / 10));
      expect(r.explicitHashKey).toBeUndefined();
      expect(r.encryptionType).toBeUndefined();
      if (i > 0) {
        const same = records[i - 1]!.approximateArrivalTimestamp.getTime() === 5000 + Math.floor(i / 10);
        expect(r.approximateArrivalTimestamp === out[i - 1]!.approximateArrivalTimestamp).toBe(same);
      }
    }
    // Own enumerable fields only, as before: spreading a record keeps every field.
    expect(Object.keys({ ...out[0]! }).sort()).toEqual(
      [
        'aggregated',
        'approximateArrivalTimestamp',
        'data',
        'encryptionType',
        'explicitHashKey',
        'partitionKey',
        'sequenceNumber',
        'shardId',
        'subSequenceNumber',
      ].sort(),
    );
  });
});
