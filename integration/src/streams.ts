import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  ResourceNotFoundException,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { uniqueName } from './unique-name.js';
import { waitFor } from './wait-for.js';

/** Options of {@link createStream}. */
export interface CreateStreamOptions {
  /** Stream name (default: a {@link uniqueName} with prefix `it`). */
  name?: string;
  /** Number of shards of a provisioned stream (default 1). */
  shardCount?: number;
  /** `ON_DEMAND` needs a faithful back-end (kinesalite ignores it). Default `PROVISIONED`. */
  mode?: 'PROVISIONED' | 'ON_DEMAND';
  /** Wait until the stream is ACTIVE (default true). */
  waitActive?: boolean;
  /** How long to wait for ACTIVE (default 30 s). */
  timeoutMs?: number;
}

/** Creates a stream and (by default) waits until it is ACTIVE; returns its name. */
export async function createStream(
  client: KinesisClient,
  options: CreateStreamOptions = {},
): Promise<string> {
  const name = options.name ?? uniqueName('it');
  const onDemand = options.mode === 'ON_DEMAND';
  await client.send(
    new CreateStreamCommand({
      StreamName: name,
      ...(onDemand
        ? { StreamModeDetails: { StreamMode: 'ON_DEMAND' } }
        : { ShardCount: options.shardCount ?? 1 }),
    }),
  );
  if (options.waitActive ?? true) await waitStreamActive(client, name, options.timeoutMs);
  return name;
}

/** Polls DescribeStreamSummary until the stream is ACTIVE (the SDK waiter's 10 s minimum delay is too slow). */
export async function waitStreamActive(
  client: KinesisClient,
  name: string,
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    async () => {
      const { StreamDescriptionSummary: summary } = await client.send(
        new DescribeStreamSummaryCommand({ StreamName: name }),
      );
      return summary?.StreamStatus === 'ACTIVE';
    },
    { timeoutMs, description: `stream ${name} ACTIVE` },
  );
}

/** Deletes a stream (and its consumers); a stream that does not exist is not an error. */
export async function deleteStream(client: KinesisClient, name: string): Promise<void> {
  try {
    await client.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}

/** Every shard of the stream, open and closed, following ListShards pagination (`NextToken`). */
export async function listAllShards(
  client: KinesisClient,
  name: string,
  pageSize?: number,
): Promise<Shard[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListShardsCommand(
        nextToken === undefined
          ? { StreamName: name, ...(pageSize === undefined ? {} : { MaxResults: pageSize }) }
          : { NextToken: nextToken, ...(pageSize === undefined ? {} : { MaxResults: pageSize }) },
      ),
    );
    shards.push(...(page.Shards ?? []));
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return shards;
}
