/**
 * One consumer instance of the demo, in its own OS process: a `KinesisConsumer` with the process
 * runner (one more OS process per shard it owns) and leases/checkpoints in DynamoDB, shared with the
 * other instance. It reports what it consumes and owns as JSON lines on stdout (see `protocol.ts`).
 *
 * SIGTERM closes it gracefully (checkpoints flushed, leases released). It also exits when its stdin
 * closes, i.e. when the demo that started it is gone, so no instance outlives the demo.
 */
import { KinesisConsumer } from '@kinesis-ts/consumer';
import { recordText } from '@kinesis-ts/core';
import { DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { type InstanceConfig, type InstanceMessage, parsePayload } from './protocol.js';

const config = JSON.parse(process.argv[2] ?? '{}') as InstanceConfig;
const { connection } = config;
const clientConfig = (endpoint: string | undefined) => ({
  region: connection.region,
  ...(endpoint === undefined ? {} : { endpoint }),
  ...(connection.credentials === undefined ? {} : { credentials: connection.credentials }),
});

const state = new DynamoDBState({
  tableName: config.tableName,
  clientConfig: clientConfig(connection.dynamodbEndpoint),
});
const consumer = new KinesisConsumer({
  streamName: config.streamName,
  state,
  consumerGroup: config.consumerGroup,
  instanceId: config.instanceId,
  initialPosition: 'TRIM_HORIZON',
  runner: 'process',
  failoverTimeMs: config.failoverTimeMs,
  leaseScanIntervalMs: config.leaseScanIntervalMs,
  checkpointInterval: { records: config.checkpointRecords, ms: config.checkpointMs },
  clientConfig: clientConfig(connection.kinesisEndpoint),
});

let out: string[] = [];
const send = (message: InstanceMessage): void => {
  out.push(`${JSON.stringify(message)}\n`);
};
const flushOut = (): void => {
  if (out.length === 0) return;
  process.stdout.write(out.join(''));
  out = [];
};

const lag: Record<string, number> = {};
let foreign = 0;
consumer.on('lag', ({ shardId, millisBehindLatest }) => {
  lag[shardId] = millisBehindLatest;
});
consumer.on('leaseAcquired', ({ shardId, stolen }) =>
  send({
    t: 'lease',
    event: 'acquired',
    shardId,
    detail: stolen ? 'taken from another owner' : 'unowned or expired',
  }),
);
consumer.on('leaseLost', ({ shardId, reason }) =>
  send({ t: 'lease', event: 'lost', shardId, detail: reason }),
);
consumer.on('leaseReleased', ({ shardId, reason }) =>
  send({ t: 'lease', event: 'released', shardId, detail: reason }),
);
consumer.on('error', (error) => send({ t: 'error', code: error.code, message: error.message }));

const report = (): void => {
  const owned = consumer.ownedShards;
  for (const shardId of Object.keys(lag)) if (!owned.includes(shardId)) delete lag[shardId];
  send({ t: 'status', owned, shardPids: consumer.shardProcessIds, lag: { ...lag }, foreign });
  flushOut();
};
const ticker = setInterval(report, 200);

let stopping = false;
const stop = (code: number): void => {
  if (stopping) return;
  stopping = true;
  void consumer
    .close()
    .then(() => state.close())
    .catch((error: unknown) => send({ t: 'error', code: 'CLOSE_FAILED', message: String(error) }))
    .finally(() => {
      clearInterval(ticker);
      report();
      send({ t: 'closed' });
      flushOut();
      process.exit(code);
    });
};
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
process.stdin.on('end', () => stop(0));
process.stdin.resume();

send({ t: 'started', instanceId: config.instanceId, pid: process.pid });
flushOut();
// The batch handler reports a batch's ids to the demo, and resolves only once they are written to the
// pipe: a record counts as processed (and may be checkpointed) after the handler resolves, so a
// SIGKILL can never checkpoint a record the demo did not hear about (at-least-once).
consumer
  .run(async (records) => {
    const ids: number[] = [];
    for (const record of records) {
      const id = parsePayload(config.runId, recordText(record));
      if (id === undefined) foreign++;
      else ids.push(id);
    }
    const shardId = records[0]?.shardId;
    if (shardId === undefined || ids.length === 0) return;
    send({ t: 'records', shardId, ids });
    const chunk = out.join('');
    out = [];
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(chunk, (error) => (error ? reject(error) : resolve())),
    );
  })
  .catch((error: unknown) => {
    const e = error as { code?: string; message?: string };
    send({ t: 'error', code: e.code ?? 'FATAL', message: String(e.message ?? error) });
    stop(1);
  });
