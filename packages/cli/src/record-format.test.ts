import { deaggregate, encodeAggregate, type KinesisRecord } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { formatRecord, recordToJson, utf8OrNull } from './record-format.js';

const arrived = new Date('2026-11-29T17:00:00.000Z');

function plain(data: Uint8Array | string): KinesisRecord {
  return {
    data: typeof data === 'string' ? Buffer.from(data) : data,
    partitionKey: 'pk-1',
    sequenceNumber: '4959',
    subSequenceNumber: 0,
    shardId: 'shardId-000000000001',
    approximateArrivalTimestamp: arrived,
    aggregated: false,
  };
}

describe('formatRecord', () => {
  it('prints text with shard, sequence/sub-sequence and key, escaping newlines', () => {
    expect(formatRecord(plain('hello\nworld'), 'text')).toBe(
      'shardId-000000000001 4959/0 key="pk-1" hello\\nworld',
    );
  });

  it('falls back to hex for data that is not UTF-8, and prints hex on request', () => {
    const bytes = new Uint8Array([0xff, 0x00, 0x10]);
    expect(formatRecord(plain(bytes), 'text')).toBe('shardId-000000000001 4959/0 key="pk-1" hex:ff0010');
    expect(formatRecord(plain('AB'), 'hex')).toBe('shardId-000000000001 4959/0 key="pk-1" 4142');
    expect(utf8OrNull(bytes)).toBeNull();
  });

  it('prints JSON lines with data, base64 and the aggregate position of deaggregated records', () => {
    const aggregate = encodeAggregate([
      { partitionKey: 'a', data: 'first' },
      { partitionKey: 'b', data: 'second', explicitHashKey: '12345' },
    ]);
    const users = deaggregate({
      data: aggregate,
      partitionKey: 'outer',
      sequenceNumber: '777',
      shardId: 'shardId-000000000000',
      approximateArrivalTimestamp: arrived,
    });
    const lines = users.map((record) => JSON.parse(formatRecord(record, 'json')));
    expect(lines).toEqual([
      {
        shardId: 'shardId-000000000000',
        partitionKey: 'a',
        sequenceNumber: '777',
        subSequenceNumber: 0,
        aggregated: true,
        approximateArrivalTimestamp: '2026-11-29T17:00:00.000Z',
        data: 'first',
        dataBase64: Buffer.from('first').toString('base64'),
      },
      {
        shardId: 'shardId-000000000000',
        partitionKey: 'b',
        sequenceNumber: '777',
        subSequenceNumber: 1,
        aggregated: true,
        explicitHashKey: '12345',
        approximateArrivalTimestamp: '2026-11-29T17:00:00.000Z',
        data: 'second',
        dataBase64: Buffer.from('second').toString('base64'),
      },
    ]);
    expect(recordToJson(plain(new Uint8Array([0xc3]))).data).toBeNull();
  });

  it('styles only the header', () => {
    expect(formatRecord(plain('x'), 'text', (h) => `<${h}>`)).toBe(
      '<shardId-000000000001 4959/0 key="pk-1"> x',
    );
  });
});
