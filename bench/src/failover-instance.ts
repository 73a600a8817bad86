/**
 * One consumer instance of the failover benchmark, in its own process: DynamoDB state (dynalite),
 * process runner. Prints `{ owned, at }` whenever the set of shards it reads changes. Exits when
 * stdin closes or on SIGTERM (graceful close).
 */
import { KinesisConsumer } from '@kinesis-ts/consumer';
import { DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { startEmulatorsFromArgs } from './lib/side-args.js';

interface InstanceArgs {
  readonly stream: string;
  readonly table: string;
  readonly instanceId: string;
  readonly failoverTimeMs: number;
  readonly leaseScanIntervalMs: number;
}

const { args, kinesisConfig, dynamoConfig } = startEmulatorsFromArgs<InstanceArgs>();
const state = new DynamoDBState({ tableName: args.table, clientConfig: dynamoConfig });
const consumer = new KinesisConsumer({
  streamName: args.stream,
  state,
  consumerGroup: 'bench-failover',
  instanceId: args.instanceId,
  initialPosition: 'TRIM_HORIZON',
  clientConfig: kinesisConfig,
  failoverTimeMs: args.failoverTimeMs,
  leaseScanIntervalMs: args.leaseScanIntervalMs,
});
let last = '';
const report = (): void => {
  const owned = consumer.ownedShards;
  if (owned.join() === last) return;
  last = owned.join();
  process.stdout.write(`${JSON.stringify({ owned, at: Date.now() })}\n`);
};
consumer.on('leaseAcquired', () => queueMicrotask(report));
consumer.on('leaseLost', () => queueMicrotask(report));
const ticker = setInterval(report, 20);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  clearInterval(ticker);
  void consumer
    .close()
    .then(() => state.close())
    .finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
for await (const record of consumer) {
  if (record.data.byteLength === 0) throw new Error('empty record');
}
