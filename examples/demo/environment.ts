/**
 * Where the demo runs: embedded emulators on random loopback ports, a user's endpoint, or AWS; and
 * the stream and lease table it uses.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamSummaryCommand,
  KinesisClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import {
  createStream,
  deleteStream,
  deleteTable,
  httpHandler,
  type InProcessEmulator,
  startDynalite,
  startKinesalite,
} from '@kinesis-ts/integration';
import { createStateTable } from '@kinesis-ts/state-dynamodb';
import type { DemoOptions } from './options.js';
import type { Connection } from './protocol.js';

/** The demo's resources; `close()` deletes what the demo created and stops the emulators. */
export interface Environment {
  readonly connection: Connection;
  /** One line naming the back-end. */
  readonly description: string;
  readonly streamName: string;
  readonly shardCount: number;
  readonly tableName: string;
  readonly kinesis: KinesisClient;
  readonly dynamo: DynamoDBClient;
  close(): Promise<void>;
}

const suffix = (): string => randomBytes(4).toString('hex');

/** Starts (or connects to) the back-end and prepares the stream and table. */
export async function prepareEnvironment(
  options: DemoOptions,
  note: (line: string) => void,
): Promise<Environment> {
  const emulators: InProcessEmulator[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    for (const emulator of emulators) await emulator.stop().catch(() => {});
  };
  try {
    let kinesisEndpoint = options.kinesisEndpoint;
    let dynamodbEndpoint = options.dynamodbEndpoint;
    const parts: string[] = [];
    if (!options.aws && kinesisEndpoint === undefined) {
      const kinesalite = await startKinesalite();
      emulators.push(kinesalite);
      kinesisEndpoint = kinesalite.endpoint;
      parts.push(`kinesalite ${kinesisEndpoint}`);
    } else parts.push(`Kinesis ${kinesisEndpoint ?? `AWS ${options.region}`}`);
    if (!options.aws && dynamodbEndpoint === undefined) {
      const dynalite = await startDynalite();
      emulators.push(dynalite);
      dynamodbEndpoint = dynalite.endpoint;
      parts.push(`dynalite ${dynamodbEndpoint}`);
    } else parts.push(`DynamoDB ${dynamodbEndpoint ?? `AWS ${options.region}`}`);
    // Emulators take any credentials; a user endpoint or AWS gets the SDK default chain, unless
    // there is none (LocalStack accepts the fake ones too).
    const fake = { accessKeyId: 'test', secretAccessKey: 'test' };
    const credentials =
      options.aws || process.env.AWS_ACCESS_KEY_ID !== undefined || process.env.AWS_PROFILE !== undefined
        ? undefined
        : fake;
    const connection: Connection = { region: options.region, kinesisEndpoint, dynamodbEndpoint, credentials };
    const common = {
      region: options.region,
      requestHandler: httpHandler(),
      ...(credentials === undefined ? {} : { credentials }),
    };
    const kinesis = new KinesisClient({
      ...common,
      ...(kinesisEndpoint === undefined ? {} : { endpoint: kinesisEndpoint }),
    });
    const dynamo = new DynamoDBClient({
      ...common,
      ...(dynamodbEndpoint === undefined ? {} : { endpoint: dynamodbEndpoint }),
    });
    cleanups.push(async () => {
      kinesis.destroy();
      dynamo.destroy();
    });

    const streamName = options.stream ?? `kinesis-ts-demo-${suffix()}`;
    let shardCount = options.shards;
    const existing = await openShardCount(kinesis, streamName);
    if (existing === undefined) {
      note(`creating stream ${streamName} with ${shardCount} shards`);
      await createStream(kinesis, { name: streamName, shardCount, timeoutMs: 180_000 });
      if (!options.keep) cleanups.push(() => deleteStream(kinesis, streamName));
    } else {
      shardCount = existing;
      note(`using existing stream ${streamName} (${shardCount} open shards)`);
    }
    const tableName = options.table ?? `kinesis-ts-demo-leases-${suffix()}`;
    const table = await createStateTable(dynamo, { tableName, pollIntervalMs: 100 });
    note(`${table.created ? 'created' : 'using existing'} lease table ${tableName}`);
    if (table.created && !options.keep) cleanups.push(() => deleteTable(dynamo, tableName));
    return {
      connection,
      description: parts.join(', '),
      streamName,
      shardCount,
      tableName,
      kinesis,
      dynamo,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function openShardCount(kinesis: KinesisClient, streamName: string): Promise<number | undefined> {
  try {
    const { StreamDescriptionSummary: summary } = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: streamName }),
    );
    return summary?.OpenShardCount ?? 0;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}
