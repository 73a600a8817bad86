import {
  ProvisionedThroughputExceededException as DynamoThrottled,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListStreamsCommand,
  ProvisionedThroughputExceededException,
  PutRecordCommand,
  PutRecordsCommand,
  type PutRecordsCommandOutput,
} from '@aws-sdk/client-kinesis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend.js';
import { dynamoClient, kinesisClient } from '../src/clients.js';
import { FaultProxy } from '../src/fault-proxy.js';
import { isPortOpen } from '../src/process-check.js';
import { readAllRecords } from '../src/read-all-records.js';
import { createStateTable, deleteTable } from '../src/state-table.js';
import { createStream, deleteStream } from '../src/streams.js';
import { uniqueName } from '../src/unique-name.js';
import { waitFor } from '../src/wait-for.js';

const backend = getBackend();

describe(`FaultProxy in front of ${backend.kinesisEndpoint}`, () => {
  let proxy: FaultProxy;
  let direct: KinesisClient;
  let viaProxy: KinesisClient;
  let stream: string;

  beforeAll(async () => {
    proxy = await FaultProxy.start(backend.kinesisEndpoint);
    direct = kinesisClient();
    // One attempt: the test sees each injected fault instead of the SDK's retry hiding it.
    viaProxy = kinesisClient(proxy.endpoint, { maxAttempts: 1 });
    stream = await createStream(direct, { shardCount: 1 });
  });
  afterEach(() => proxy.clearFaults());
  afterAll(async () => {
    await deleteStream(direct, stream);
    direct.destroy();
    viaProxy.destroy();
    await proxy.close();
  });

  const put = (key: string) =>
    viaProxy.send(new PutRecordCommand({ StreamName: stream, PartitionKey: key, Data: Buffer.from(key) }));
  const iterator = async () =>
    (
      await viaProxy.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: 'shardId-000000000000',
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;

  it('forwards untouched requests and logs them', async () => {
    const before = proxy.requests.length;
    await put('plain');
    expect(proxy.requests.slice(before)).toEqual([
      { target: 'Kinesis_20131202.PutRecord', operation: 'PutRecord', fault: undefined },
    ]);
  });

  it('throttles the next N matching requests with ProvisionedThroughputExceededException, then forwards', async () => {
    const rule = proxy.throttle('PutRecord', 2);
    await expect(put('t1')).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    // Another operation does not match and does not consume the rule.
    await viaProxy.send(new ListStreamsCommand({}));
    await expect(put('t2')).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(rule.hits).toBe(2);
    expect(rule.remaining).toBe(0);
    await expect(put('t3')).resolves.toMatchObject({ ShardId: 'shardId-000000000000' });
  });

  it('the SDK retry recovers from one injected throttle (2 requests reach the proxy)', async () => {
    const retrying = kinesisClient(proxy.endpoint, { maxAttempts: 3 });
    try {
      proxy.throttle('PutRecord', 1);
      const before = proxy.requests.length;
      await retrying.send(
        new PutRecordCommand({ StreamName: stream, PartitionKey: 'r', Data: Buffer.from('r') }),
      );
      expect(proxy.requests.slice(before).map((entry) => entry.fault)).toEqual(['error', undefined]);
    } finally {
      retrying.destroy();
    }
  });

  it('answers GetRecords with ExpiredIteratorException, and a fresh iterator works afterwards', async () => {
    proxy.expireIterator(1);
    const first = await iterator();
    await expect(viaProxy.send(new GetRecordsCommand({ ShardIterator: first }))).rejects.toBeInstanceOf(
      ExpiredIteratorException,
    );
    const page = await viaProxy.send(new GetRecordsCommand({ ShardIterator: await iterator() }));
    expect(page.Records?.length).toBeGreaterThan(0);
  });

  it('drops the connection without a response', async () => {
    proxy.drop('ListStreams', 1);
    await expect(viaProxy.send(new ListStreamsCommand({}))).rejects.toThrow(/socket hang up|ECONNRESET/);
    await expect(viaProxy.send(new ListStreamsCommand({}))).resolves.toBeDefined();
  });

  it('delays a matching request by the given time', async () => {
    proxy.delay('ListStreams', 300, 1);
    const started = Date.now();
    await viaProxy.send(new ListStreamsCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('pauses (connections refused, open connections cut) and resumes on the same port', async () => {
    const port = proxy.port;
    await viaProxy.send(new ListStreamsCommand({})); // leaves a pooled keep-alive connection
    await proxy.pause();
    expect(proxy.isPaused).toBe(true);
    expect(await isPortOpen(port)).toBe(false);
    // The pooled connection was cut: reset if the client reuses it before noticing, else refused.
    await expect(viaProxy.send(new ListStreamsCommand({}))).rejects.toThrow(
      /socket hang up|ECONNRESET|ECONNREFUSED/,
    );
    const fresh = kinesisClient(proxy.endpoint, { maxAttempts: 1 });
    try {
      await expect(fresh.send(new ListStreamsCommand({}))).rejects.toThrow(/ECONNREFUSED/);
      await proxy.resume();
      expect(proxy.isPaused).toBe(false);
      expect(proxy.port).toBe(port);
      await expect(fresh.send(new ListStreamsCommand({}))).resolves.toBeDefined();
      await expect(viaProxy.send(new ListStreamsCommand({}))).resolves.toBeDefined();
    } finally {
      fresh.destroy();
    }
  });

  it('pause(ms) resumes by itself', async () => {
    const fresh = kinesisClient(proxy.endpoint, { maxAttempts: 1 });
    try {
      await proxy.pause(200);
      await expect(fresh.send(new ListStreamsCommand({}))).rejects.toThrow(/ECONNREFUSED/);
      await waitFor(() => !proxy.isPaused, {
        timeoutMs: 2_000,
        intervalMs: 20,
        description: 'proxy resumed',
      });
      await expect(fresh.send(new ListStreamsCommand({}))).resolves.toBeDefined();
    } finally {
      fresh.destroy();
    }
  });

  it('a respond fault can fake a partial PutRecords failure around a real forward', async () => {
    proxy.inject('PutRecords', {
      kind: 'respond',
      respond: async (request, forward) => {
        // Forward only the first entry, report the second as throttled.
        const input = request.json<{ StreamName: string; Records: unknown[] }>();
        const upstream = await forward(JSON.stringify({ ...input, Records: input.Records.slice(0, 1) }));
        const output = JSON.parse(upstream.body.toString()) as { Records: unknown[] };
        const failed = { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'injected' };
        return {
          status: upstream.status,
          headers: upstream.headers,
          body: JSON.stringify({ ...output, FailedRecordCount: 1, Records: [...output.Records, failed] }),
        };
      },
    });
    const partialStream = await createStream(direct, { shardCount: 1 });
    try {
      const result: PutRecordsCommandOutput = await viaProxy.send(
        new PutRecordsCommand({
          StreamName: partialStream,
          Records: [
            { PartitionKey: 'a', Data: Buffer.from('kept') },
            { PartitionKey: 'b', Data: Buffer.from('lost') },
          ],
        }),
      );
      expect(result.FailedRecordCount).toBe(1);
      expect(result.Records?.[1]?.ErrorCode).toBe('ProvisionedThroughputExceededException');
      const stored = await readAllRecords(direct, partialStream);
      expect(stored.map((record) => Buffer.from(record.Data!).toString())).toEqual(['kept']);
    } finally {
      await deleteStream(direct, partialStream);
    }
  });

  it('matches DynamoDB targets too (awsJson 1.0 error)', async () => {
    const dynamoProxy = await FaultProxy.start(backend.dynamodbEndpoint);
    const dynamo = dynamoClient();
    const viaDynamoProxy = dynamoClient(dynamoProxy.endpoint, { maxAttempts: 1 });
    const table = uniqueName('it-fault');
    try {
      await createStateTable(dynamo, table);
      dynamoProxy.throttle('DynamoDB_20120810.GetItem', 1);
      const get = () =>
        viaDynamoProxy.send(new GetItemCommand({ TableName: table, Key: { shard: { S: 'x' } } }));
      await expect(get()).rejects.toBeInstanceOf(DynamoThrottled);
      await expect(get()).resolves.toBeDefined();
    } finally {
      await deleteTable(dynamo, table);
      dynamo.destroy();
      viaDynamoProxy.destroy();
      await dynamoProxy.close();
    }
  });
});
