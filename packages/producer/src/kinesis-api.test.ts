import { DescribeStreamSummaryCommand, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { MAX_HASH_KEY } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { sdkKinesisApi } from './kinesis-api.js';

type Command = { input: Record<string, unknown> };

describe('sdkKinesisApi', () => {
  it('follows ListShards pages and marks closed shards', async () => {
    const inputs: Record<string, unknown>[] = [];
    const range = { StartingHashKey: '0', EndingHashKey: MAX_HASH_KEY.toString() };
    const api = sdkKinesisApi({
      send: (async (command: Command) => {
        expect(command).toBeInstanceOf(ListShardsCommand);
        inputs.push(command.input);
        if (command.input.NextToken === undefined) {
          return {
            Shards: [
              {
                ShardId: 'a',
                HashKeyRange: range,
                SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '9' },
              },
            ],
            NextToken: 't1',
          };
        }
        return {
          Shards: [
            { ShardId: 'b', HashKeyRange: range, SequenceNumberRange: { StartingSequenceNumber: '10' } },
          ],
        };
      }) as never,
    });
    const shards = await api.listShards('s');
    expect(shards.map((s) => [s.shardId, s.open])).toEqual([
      ['a', false],
      ['b', true],
    ]);
    expect(inputs).toEqual([{ StreamName: 's' }, { NextToken: 't1' }]);
  });

  it('reads the max record size, defaulting to 1 MiB when the field is missing (emulators)', async () => {
    let kib: number | undefined = 10240;
    const api = sdkKinesisApi({
      send: (async (command: Command) => {
        expect(command).toBeInstanceOf(DescribeStreamSummaryCommand);
        return { StreamDescriptionSummary: { StreamStatus: 'ACTIVE', MaxRecordSizeInKiB: kib } };
      }) as never,
    });
    expect((await api.describeStream('s')).maxRecordSizeBytes).toBe(10 * 1024 * 1024);
    kib = undefined;
    expect((await api.describeStream('s')).maxRecordSizeBytes).toBe(1024 * 1024);
  });

  it('rejects a PutRecords answer that does not match the request', async () => {
    const api = sdkKinesisApi({
      send: (async (command: Command) => {
        expect(command).toBeInstanceOf(PutRecordsCommand);
        return { Records: [] };
      }) as never,
    });
    await expect(api.putRecords('s', [{ Data: new Uint8Array(1), PartitionKey: 'k' }])).rejects.toMatchObject(
      {
        name: 'InternalFailure',
      },
    );
  });
});
