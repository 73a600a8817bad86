/**
 * `streams list` and `streams describe <stream>`: what streams exist and how one is laid out.
 */
import { DescribeStreamSummaryCommand, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { listAllShards, type ShardInfo, sdkKinesisApi } from '@kinesis-ts/consumer';
import { MAX_HASH_KEY } from '@kinesis-ts/core';
import { createKinesis } from '../aws-settings.js';
import { ExitCode } from '../cli-error.js';
import type { CommandSpec } from '../command-spec.js';
import { forStream } from '../stream-errors.js';

/** One stream of `streams list`. */
export interface StreamListEntry {
  readonly name: string;
  /** `ACTIVE`, `CREATING`, ... (`null` when the endpoint reports names only). */
  readonly status: string | null;
  /** `PROVISIONED` or `ON_DEMAND` (`null` when not reported). */
  readonly mode: string | null;
}

/** `streams list`. */
export const streamsList: CommandSpec = {
  name: 'streams list',
  summary: 'List the streams of the account and region',
  positionals: [],
  options: {},
  async run({ aws, out, signal }) {
    const client = createKinesis(aws);
    try {
      const streams: StreamListEntry[] = [];
      let nextToken: string | undefined;
      let exclusiveStart: string | undefined;
      for (;;) {
        const before = streams.length;
        const page = await client.send(
          new ListStreamsCommand(
            nextToken !== undefined ? { NextToken: nextToken } : { ExclusiveStartStreamName: exclusiveStart },
          ),
          { abortSignal: signal },
        );
        const summaries = page.StreamSummaries ?? [];
        if (summaries.length > 0) {
          for (const s of summaries) {
            streams.push({
              name: s.StreamName ?? '',
              status: s.StreamStatus ?? null,
              mode: s.StreamModeDetails?.StreamMode ?? null,
            });
          }
        } else {
          for (const streamName of page.StreamNames ?? [])
            streams.push({ name: streamName, status: null, mode: null });
        }
        // An endpoint that says "more" without giving any would loop forever.
        if (page.HasMoreStreams !== true || streams.length === before) break;
        nextToken = page.NextToken;
        exclusiveStart = streams.at(-1)?.name;
      }
      if (out.json) out.jsonLine({ streams });
      else if (streams.length === 0) out.line('no streams');
      else
        out.table(
          ['STREAM', 'STATUS', 'MODE'],
          streams.map((s) => [s.name, s.status ?? '-', s.mode ?? '-']),
        );
      return ExitCode.OK;
    } finally {
      client.destroy();
    }
  },
};

/** A shard of `streams describe`. */
export interface DescribedShard {
  readonly shardId: string;
  readonly state: 'open' | 'closed';
  readonly parentShardIds: readonly string[];
  readonly startingHashKey: string | null;
  readonly endingHashKey: string | null;
  /** Share of the hash-key space, 0..1 (`null` without a range). */
  readonly keyspaceShare: number | null;
}

/** The hash range share of a shard (0..1). */
export function keyspaceShare(shard: Pick<ShardInfo, 'hashKeyRange'>): number | null {
  if (shard.hashKeyRange === null) return null;
  const size = BigInt(shard.hashKeyRange.endingHashKey) - BigInt(shard.hashKeyRange.startingHashKey) + 1n;
  // Eight significant digits survive the bigint division.
  return Number((size * 100_000_000n) / (MAX_HASH_KEY + 1n)) / 100_000_000;
}

/** Shards in a readable order: open first, then by id. */
export function describeShards(shards: readonly ShardInfo[]): DescribedShard[] {
  return [...shards]
    .sort((a, b) => Number(a.closed) - Number(b.closed) || a.shardId.localeCompare(b.shardId))
    .map((s) => ({
      shardId: s.shardId,
      state: s.closed ? 'closed' : 'open',
      parentShardIds: [...s.parentShardIds],
      startingHashKey: s.hashKeyRange?.startingHashKey ?? null,
      endingHashKey: s.hashKeyRange?.endingHashKey ?? null,
      keyspaceShare: keyspaceShare(s),
    }));
}

/** `streams describe <stream>`. */
export const streamsDescribe: CommandSpec = {
  name: 'streams describe',
  summary: 'Show a stream: status, mode, retention and its shard map (open/closed, parents, hash ranges)',
  positionals: ['stream'],
  options: {},
  async run({ args, aws, out, signal }) {
    const streamName = args.stream as string;
    const client = createKinesis(aws);
    try {
      const summary = await forStream(
        client,
        streamName,
        async () =>
          (
            await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }), {
              abortSignal: signal,
            })
          ).StreamDescriptionSummary,
      );
      const shards = describeShards(
        await forStream(client, streamName, () => listAllShards(sdkKinesisApi(client), streamName, signal)),
      );
      const open = shards.filter((s) => s.state === 'open').length;
      const result = {
        streamName,
        streamArn: summary?.StreamARN ?? null,
        status: summary?.StreamStatus ?? null,
        mode: summary?.StreamModeDetails?.StreamMode ?? null,
        retentionHours: summary?.RetentionPeriodHours ?? null,
        encryption: summary?.EncryptionType ?? null,
        consumers: summary?.ConsumerCount ?? null,
        createdAt: summary?.StreamCreationTimestamp?.toISOString() ?? null,
        openShards: open,
        closedShards: shards.length - open,
        shards,
      };
      if (out.json) {
        out.jsonLine(result);
        return ExitCode.OK;
      }
      out.fields([
        ['Stream', streamName],
        ['ARN', result.streamArn ?? '-'],
        ['Status', result.status ?? '-'],
        ['Mode', result.mode ?? 'not reported (PROVISIONED)'],
        ['Retention', result.retentionHours === null ? '-' : `${result.retentionHours} h`],
        ['Encryption', result.encryption ?? '-'],
        ['Consumers', result.consumers === null ? '-' : String(result.consumers)],
        ['Shards', `${open} open, ${shards.length - open} closed`],
      ]);
      out.line();
      out.table(
        ['SHARD', 'STATE', 'PARENTS', 'KEYS', 'HASH RANGE'],
        shards.map((s) => [
          s.shardId,
          s.state === 'open' ? out.style('green', 'open') : out.style('dim', 'closed'),
          s.parentShardIds.join(',') || '-',
          s.keyspaceShare === null ? '-' : `${(s.keyspaceShare * 100).toFixed(1)}%`,
          s.startingHashKey === null ? '-' : `${s.startingHashKey}..${s.endingHashKey}`,
        ]),
      );
      return ExitCode.OK;
    } finally {
      client.destroy();
    }
  },
};
