import {
  type KinesisClient,
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { KinesisConsumer, type RunnerKind } from '@kinesis-ts/consumer';
import { recordText } from '@kinesis-ts/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Capability, getBackend, skipReason } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { createStream, deleteStream, listAllShards, waitStreamActive } from '../src/streams.js';
import { waitFor } from '../src/wait-for.js';

const backend = getBackend();
const fidelityMissing = skipReason(Capability.KinesisFidelity);
if (fidelityMissing !== undefined) console.log(`[consumer-resharding] skipped: ${fidelityMissing}`);
const KEYS = 8;

describe.skipIf(fidelityMissing !== undefined)(
  'consumer across a shard split and a merge (kinesis-local)',
  () => {
    let client: KinesisClient;
    let stream: string;

    beforeAll(async () => {
      client = kinesisClient(backend.kinesisFidelityEndpoint);
      stream = await createStream(client, { shardCount: 2 });
    });
    afterAll(async () => {
      await deleteStream(client, stream);
      client.destroy();
    });

    it('delivers every record; per partition key, records of parents come before those of children', async () => {
      let counter = 0;
      const sent: string[] = [];
      const put = async (n: number): Promise<void> => {
        const records = Array.from({ length: n }, () => {
          const value = counter++;
          const pk = `pk-${value % KEYS}`;
          sent.push(`${pk}#${value}`);
          return { PartitionKey: pk, Data: Buffer.from(`${pk}#${value}`) };
        });
        const out = await client.send(new PutRecordsCommand({ StreamName: stream, Records: records }));
        expect(out.FailedRecordCount ?? 0).toBe(0);
      };
      const startGroup = (consumerGroup: string, runner: RunnerKind) => {
        const consumer = new KinesisConsumer({
          streamName: stream,
          consumerGroup,
          runner,
          initialPosition: 'TRIM_HORIZON',
          clientConfig: { endpoint: backend.kinesisFidelityEndpoint },
          failoverTimeMs: 3000,
          leaseScanIntervalMs: 500,
          idlePollIntervalMs: 300,
        });
        const ended: string[] = [];
        consumer.on('shardEnded', (e) => ended.push(e.shardId));
        const delivered: Array<{ text: string; shardId: string }> = [];
        const loop = (async () => {
          for await (const record of consumer)
            delivered.push({ text: recordText(record), shardId: record.shardId });
        })();
        return { consumer, ended, delivered, loop };
      };
      // One group reads while the stream is resharded; a second starts afterwards, when parents and
      // children all hold records at once (the case where parents-before-children matters most).
      const live = startGroup('live', 'process');
      await put(40);
      await waitFor(() => live.delivered.length >= 10, { timeoutMs: 30_000, description: 'reading started' });

      const [first] = await listAllShards(client, stream);
      const start = BigInt(first!.HashKeyRange!.StartingHashKey!);
      const end = BigInt(first!.HashKeyRange!.EndingHashKey!);
      await client.send(
        new SplitShardCommand({
          StreamName: stream,
          ShardToSplit: first!.ShardId!,
          NewStartingHashKey: ((start + end) / 2n).toString(),
        }),
      );
      await waitStreamActive(client, stream);
      await put(40);

      const open = (await listAllShards(client, stream)).filter(
        (s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined,
      );
      const children = open.filter((s) => s.ParentShardId === first!.ShardId);
      expect(children).toHaveLength(2);
      children.sort((x, y) =>
        BigInt(x.HashKeyRange!.StartingHashKey!) < BigInt(y.HashKeyRange!.StartingHashKey!) ? -1 : 1,
      );
      await client.send(
        new MergeShardsCommand({
          StreamName: stream,
          ShardToMerge: children[0]!.ShardId!,
          AdjacentShardToMerge: children[1]!.ShardId!,
        }),
      );
      await waitStreamActive(client, stream);
      await put(40);

      const late = startGroup('late', 'inline');
      for (const [name, group] of [
        ['live', live],
        ['late', late],
      ] as const) {
        await waitFor(() => group.delivered.length >= sent.length, {
          timeoutMs: 60_000,
          description: `every record delivered (${name})`,
        });
        await group.consumer.close();
        await group.loop;
        const texts = group.delivered.map((d) => d.text);
        expect(texts).toHaveLength(sent.length);
        expect(new Set(texts)).toEqual(new Set(sent));
        // Per partition key, values only increase: a child's records never came before its parent's.
        const lastByKey = new Map<string, number>();
        const problems: string[] = [];
        for (const text of texts) {
          const [pk, value] = text.split('#') as [string, string];
          const previous = lastByKey.get(pk);
          if (previous !== undefined && Number(value) <= previous)
            problems.push(`${pk}: ${value} after ${previous}`);
          lastByKey.set(pk, Math.max(previous ?? -1, Number(value)));
        }
        expect(problems).toEqual([]);
        expect(group.ended).toContain(first!.ShardId);
        expect(group.ended).toEqual(expect.arrayContaining(children.map((c) => c.ShardId!)));
        console.log(
          `[consumer-resharding] ${name}: ${texts.length} records over ${new Set(group.delivered.map((d) => d.shardId)).size} shards; ended: ${group.ended.join(', ')}`,
        );
      }
    }, 150_000);
  },
);
