import { ErrorCode } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import type { RecordAck } from '../acks.js';
import { packAcks, packRecords, unpackAcks, unpackRecords } from './protocol.js';

describe('IPC protocol', () => {
  it('packs records into one buffer plus offsets and back', () => {
    const records = [
      { id: 1, data: Buffer.from('alpha'), partitionKey: 'k1' },
      { id: 2, data: new Uint8Array(0), partitionKey: 'k2', explicitHashKey: '42' },
      { id: 3, data: Buffer.from('γάμμα'), partitionKey: 'k3' },
    ];
    const packed = packRecords(records);
    expect(packed.data.byteLength).toBe(5 + 0 + Buffer.byteLength('γάμμα'));
    expect([...packed.offsets]).toEqual([0, 5, 5, 5 + Buffer.byteLength('γάμμα')]);
    const back = unpackRecords(structuredClone(packed));
    expect(
      back.map((r) => [r.id, Buffer.from(r.data).toString(), r.partitionKey, r.explicitHashKey]),
    ).toEqual([
      [1, 'alpha', 'k1', undefined],
      [2, '', 'k2', '42'],
      [3, 'γάμμα', 'k3', undefined],
    ]);
  });

  it('packs acknowledgements columnar and back', () => {
    const acks: RecordAck[] = [
      { id: 1, shardId: 's-1', sequenceNumber: '10', subSequenceNumber: undefined },
      { id: 2, shardId: 's-2', sequenceNumber: '11', subSequenceNumber: 0 },
      { id: 3, failure: { code: ErrorCode.RECORD_EXPIRED, message: 'late', context: { attempts: 3 } } },
      { id: 4, shardId: 's-1', sequenceNumber: '12', subSequenceNumber: 7 },
    ];
    const packed = packAcks(acks);
    expect(packed.shards).toEqual(['s-1', 's-2']);
    const back = unpackAcks(structuredClone(packed));
    expect(back).toEqual([acks[0], acks[1], acks[3], acks[2]]);
  });
});
