import type { _Record } from '@aws-sdk/client-kinesis';
import {
  atTimestampCheckpoint,
  encodeAggregate,
  LATEST_CHECKPOINT,
  TRIM_HORIZON_CHECKPOINT,
} from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { type LagProbeApi, probeShardLag } from './shard-lag.js';

const t0 = new Date('2026-11-29T17:00:00.000Z');
const t1 = new Date('2026-11-29T17:00:05.000Z');

function record(sequenceNumber: string, at: Date, data: Uint8Array = Buffer.from('x')): _Record {
  return { SequenceNumber: sequenceNumber, ApproximateArrivalTimestamp: at, Data: data, PartitionKey: 'k' };
}

function fakeApi(records: _Record[], millisBehindLatest = 0) {
  const calls: unknown[] = [];
  const api: LagProbeApi = {
    async getShardIterator(input) {
      calls.push(input);
      return { ShardIterator: 'it-1' };
    },
    async getRecords(input) {
      calls.push(input);
      return { Records: records.slice(0, input.Limit), MillisBehindLatest: millisBehindLatest };
    },
  };
  return { api, calls };
}

describe('probeShardLag', () => {
  it('reads at the checkpointed record: caught up when nothing follows it', async () => {
    const { api, calls } = fakeApi([record('100', t0)]);
    const lag = await probeShardLag(api, 's', 'shardId-0', { sequenceNumber: '100', subSequenceNumber: 0 });
    expect(lag).toEqual({
      millisBehindLatest: 0,
      checkpointArrival: t0,
      oldestUnreadArrival: null,
      caughtUp: true,
      checkpointTrimmed: false,
    });
    expect(calls).toEqual([
      {
        StreamName: 's',
        ShardId: 'shardId-0',
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: '100',
      },
      { ShardIterator: 'it-1', Limit: 2 },
    ]);
  });

  it('is behind when a record follows, with its arrival time and MillisBehindLatest', async () => {
    const { api } = fakeApi([record('100', t0), record('200', t1)], 4200);
    const lag = await probeShardLag(api, 's', 'shardId-0', { sequenceNumber: '100', subSequenceNumber: 0 });
    expect(lag).toMatchObject({ caughtUp: false, oldestUnreadArrival: t1, millisBehindLatest: 4200 });
  });

  it('is behind when the checkpoint is inside a KPL aggregate with user records after it', async () => {
    const aggregate = encodeAggregate([
      { partitionKey: 'a', data: '1' },
      { partitionKey: 'a', data: '2' },
      { partitionKey: 'a', data: '3' },
    ]);
    const { api } = fakeApi([record('100', t0, aggregate)]);
    const inside = await probeShardLag(api, 's', 'shardId-0', {
      sequenceNumber: '100',
      subSequenceNumber: 1,
    });
    expect(inside).toMatchObject({ caughtUp: false, oldestUnreadArrival: t0 });
    const last = await probeShardLag(api, 's', 'shardId-0', { sequenceNumber: '100', subSequenceNumber: 2 });
    expect(last).toMatchObject({ caughtUp: true, oldestUnreadArrival: null });
  });

  it('reports a trimmed checkpoint when the read starts past it', async () => {
    const { api } = fakeApi([record('300', t1)]);
    const lag = await probeShardLag(api, 's', 'shardId-0', { sequenceNumber: '100', subSequenceNumber: 0 });
    expect(lag).toMatchObject({
      checkpointTrimmed: true,
      caughtUp: false,
      checkpointArrival: null,
      oldestUnreadArrival: t1,
    });
  });

  it('reads a TRIM_HORIZON checkpoint at TRIM_HORIZON: the first record there is the oldest unread', async () => {
    const { api, calls } = fakeApi([record('100', t0), record('101', t1)], 5000);
    expect(await probeShardLag(api, 's', 'shardId-0', TRIM_HORIZON_CHECKPOINT)).toEqual({
      millisBehindLatest: 5000,
      checkpointArrival: null,
      oldestUnreadArrival: t0,
      caughtUp: false,
      checkpointTrimmed: false,
    });
    expect(calls).toEqual([
      { StreamName: 's', ShardId: 'shardId-0', ShardIteratorType: 'TRIM_HORIZON' },
      { ShardIterator: 'it-1', Limit: 1 },
    ]);
    const empty = fakeApi([]);
    expect((await probeShardLag(empty.api, 's', 'shardId-0', TRIM_HORIZON_CHECKPOINT)).caughtUp).toBe(true);
  });

  it('reads an AT_TIMESTAMP checkpoint at its time, and nothing for LATEST', async () => {
    const { api, calls } = fakeApi([record('101', t1)]);
    const lag = await probeShardLag(api, 's', 'shardId-0', atTimestampCheckpoint(t0));
    expect(lag.oldestUnreadArrival).toEqual(t1);
    expect(lag.caughtUp).toBe(false);
    expect(calls[0]).toEqual({
      StreamName: 's',
      ShardId: 'shardId-0',
      ShardIteratorType: 'AT_TIMESTAMP',
      Timestamp: t0,
    });
    const latest = fakeApi([record('101', t1)]);
    expect(await probeShardLag(latest.api, 's', 'shardId-0', LATEST_CHECKPOINT)).toEqual({
      millisBehindLatest: 0,
      checkpointArrival: null,
      oldestUnreadArrival: null,
      caughtUp: true,
      checkpointTrimmed: false,
    });
    expect(latest.calls).toEqual([]);
  });
});
