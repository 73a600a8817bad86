// Conditional writes per second against dynalite, and the DynamoDB request budget of a consumer.
//
//   cd /work/main && npx pnpm@10.34.8 --filter @kinesis-ts/state-dynamodb build
//   node packages/state-dynamodb/bench/conditional-writes.mjs [writes=2000]
//
// dynalite runs in this process (borrowed from the integration package, which depends on it), so
// the figures are bounded by one core shared by the emulator, the SDK and the adapter. They measure
// the adapter's overhead over the bare SDK, not DynamoDB (which is far faster per table).
import { createRequire } from 'node:module';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createStateTable, DynamoDBState, encodeLeaseKey } from '../dist/index.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const integration = createRequire(new URL('../../../integration/package.json', import.meta.url));
const dynalite = integration('dynalite');

const WRITES = Number(process.argv[2] ?? 2000);
const server = dynalite({ createTableMs: 0 });
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${server.address().port}`;
const clientConfig = {
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
};
const client = new DynamoDBClient({
  ...clientConfig,
  maxAttempts: 1,
  requestHandler: new NodeHttpHandler({ httpAgent: { keepAlive: true, maxSockets: 50 } }),
});
const tableName = 'bench-leases';
await createStateTable(client, { tableName, pollIntervalMs: 50 });
const state = new DynamoDBState({ tableName, clientConfig });
await state.start();

/** Runs `loops` serial loops of `perLoop` steps; returns writes/s and CPU ms per write. */
async function measure(loops, perLoop, step) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      for (let i = 0; i < perLoop; i++) await step(loop, i);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const writes = loops * perLoop;
  return {
    perSecond: Math.round(writes / seconds),
    cpuMsPerWrite: ((used.user + used.system) / 1000 / writes).toFixed(2),
  };
}

// Warm-up (JIT, sockets): not measured.
{
  const warm = { consumerGroup: 'warm-up', streamName: 's' };
  let lease = await state.takeLease(warm, 'shard-0', await state.createLease(warm, 'shard-0'), 'warm');
  for (let i = 0; i < 500; i++) lease = await state.renewLease(warm, 'shard-0', lease);
}

const results = [];
for (const inFlight of [1, 16]) {
  const perLoop = Math.ceil(WRITES / inFlight);
  // Bare SDK: the same conditional counter increment, hand-written.
  const bareScope = { consumerGroup: `bare-${inFlight}`, streamName: 's' };
  const counters = Array.from({ length: inFlight }, () => 0);
  for (let loop = 0; loop < inFlight; loop++) {
    const lease = await state.createLease(bareScope, `shard-${loop}`);
    const taken = await state.takeLease(bareScope, `shard-${loop}`, lease, 'bare');
    counters[loop] = taken.leaseCounter;
  }
  const bare = await measure(inFlight, perLoop, async (loop) => {
    const expected = counters[loop];
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { shard: { S: encodeLeaseKey(bareScope, `shard-${loop}`) } },
        ConditionExpression: 'attribute_exists(#shard) AND #owner = :owner AND #counter = :expected',
        UpdateExpression: 'SET #counter = :next, #updatedAt = :now',
        ExpressionAttributeNames: {
          '#shard': 'shard',
          '#owner': 'leaseOwner',
          '#counter': 'leaseCounter',
          '#updatedAt': 'updatedAt',
        },
        ExpressionAttributeValues: {
          ':owner': { S: 'bare' },
          ':expected': { N: String(expected) },
          ':next': { N: String(expected + 1) },
          ':now': { S: new Date().toISOString() },
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    counters[loop] = expected + 1;
  });
  // The adapter: renewLease and checkpoint, one serial loop per lease (owner writes are serialized per lease).
  const scope = { consumerGroup: `adapter-${inFlight}`, streamName: 's' };
  const fences = [];
  for (let loop = 0; loop < inFlight; loop++) {
    const lease = await state.createLease(scope, `shard-${loop}`);
    fences[loop] = await state.takeLease(scope, `shard-${loop}`, lease, 'bench');
  }
  const renew = await measure(inFlight, perLoop, async (loop) => {
    fences[loop] = await state.renewLease(scope, `shard-${loop}`, fences[loop]);
  });
  const checkpoint = await measure(inFlight, perLoop, async (loop, i) => {
    fences[loop] = await state.checkpoint(scope, `shard-${loop}`, fences[loop], {
      sequenceNumber: String(49_000_000 + i),
      subSequenceNumber: 0,
    });
  });
  results.push({
    inFlight,
    'bare SDK UpdateItem/s': bare.perSecond,
    'renewLease/s': renew.perSecond,
    'checkpoint/s': checkpoint.perSecond,
    'CPU ms/write (bare, renew)': `${bare.cpuMsPerWrite}, ${renew.cpuMsPerWrite}`,
  });
}
console.log(`dynalite in-process, ${WRITES} writes per row, Node ${process.version}`);
console.table(results);

// A typical stored item, sized by DynamoDB's rules (attribute names + values; numbers ~ digits/2 + 1).
const listed = await state.listLeases({ consumerGroup: 'adapter-1', streamName: 's' });
const sample = {
  shard: encodeLeaseKey(
    { consumerGroup: 'orders-processor', streamName: 'orders-prod' },
    'shardId-000000001234',
  ),
  consumerGroup: 'orders-processor',
  streamName: 'orders-prod',
  shardId: 'shardId-000000001234',
  leaseOwner: 'ip-10-0-12-34.ec2.internal-3f9c2a1e-5b7d-4e0a-9c1f-2d3e4f5a6b7c',
  checkpoint: '49659877653442097652143453246585489726405393025453051906',
  updatedAt: new Date().toISOString(),
};
const s = (name, value) => Buffer.byteLength(name) + Buffer.byteLength(value);
const n = (name, digits) => Buffer.byteLength(name) + Math.ceil(digits / 2) + 1;
const itemBytes =
  Object.entries(sample).reduce((sum, [k, v]) => sum + s(k, v), 0) +
  n('leaseCounter', 6) +
  n('checkpointSubSequenceNumber', 1) +
  Buffer.byteLength('ended') +
  1 +
  Buffer.byteLength('parentShardIds') +
  3 +
  2 * (1 + 20);
console.log(`typical item: ~${itemBytes} bytes (listed ${listed.length} bench lease(s))`);

// Requests per minute of one consumer instance holding N shards at the consumer's defaults (see
// README, "Costs"): failoverTimeMs 10 s, renew every failoverTime / 3, lease scan every
// failoverTime / 2, checkpoint every 5 s per shard while records flow (or every 1,000 records).
const failoverSeconds = 10;
const scanSeconds = failoverSeconds / 2;
const rows = [4, 64, 1024].map((N) => {
  const renews = (N * 60) / (failoverSeconds / 3);
  const checkpoints = (N * 60) / 5;
  const pages = Math.max(1, Math.ceil((itemBytes * N) / (1024 * 1024)));
  const scans = (60 / scanSeconds) * pages;
  const scanRcu = (60 / scanSeconds) * Math.ceil((itemBytes * N) / 4096);
  return {
    N,
    'renews/min': renews,
    'checkpoints/min': checkpoints,
    'scan requests/min': scans,
    'total requests/min': renews + checkpoints + scans,
    'WCU/min': renews + checkpoints,
    'scan RCU/min': scanRcu,
  };
});
console.table(rows);

await state.close();
client.destroy();
await new Promise((resolve) => server.close(resolve));
