/**
 * Enhanced fan-out on kinesis-local, at the record-source level: SubscribeToShard over the pooled
 * HTTP/2 handler, subscriptions that end and are renewed, dropped connections, injected
 * ResourceInUseException ("consumer not ACTIVE yet") and mid-subscription stream errors.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import type { KinesisClient, SubscribeToShardEventStream } from '@aws-sdk/client-kinesis';
import { type KinesisRecord, recordText, systemClock } from '@kinesis-ts/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFanOutClient,
  type FanOutApi,
  sdkFanOutApi,
  sdkStreamConsumerApi,
} from '../../packages/consumer/src/fan-out/fan-out-api.js';
import {
  FanOutShardSource,
  type FanOutSourceOptions,
} from '../../packages/consumer/src/fan-out/fan-out-source.js';
import { ensureStreamConsumer } from '../../packages/consumer/src/fan-out/stream-consumer-registration.js';
import { sdkKinesisApi } from '../../packages/consumer/src/kinesis-client.js';
import type { RecordSourceObserver } from '../../packages/consumer/src/record-source.js';
import { assertShardOrder, missingKeys, putKeys } from '../fixtures/consumer-helpers.js';
import { Capability, getBackend, skipReason } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { createStream, deleteStream, listAllShards } from '../src/streams.js';
import { uniqueName } from '../src/unique-name.js';

const backend = getBackend();
const missing = skipReason(Capability.KinesisFidelity);
if (missing !== undefined) console.log(`[consumer-efo-source] skipped: ${missing}`);
const endpoint = backend.kinesisFidelityEndpoint ?? '';

interface Logged {
  readonly level: string;
  readonly message: string;
  readonly context?: Record<string, unknown> | undefined;
}

function observer(logs: Logged[]): RecordSourceObserver {
  return { throttled: () => {}, log: (level, message, context) => logs.push({ level, message, context }) };
}

function fanOutClient(port?: number): KinesisClient {
  return createFanOutClient(
    {
      endpoint: port === undefined ? endpoint : `http://127.0.0.1:${port}`,
      region: backend.region,
      maxAttempts: 1,
    },
    backend.credentials,
  );
}

/** Reads `source` until `done(records)` or the deadline. */
async function readUntil(
  source: FanOutShardSource,
  signal: AbortSignal,
  done: (records: KinesisRecord[]) => boolean,
  timeoutMs: number,
): Promise<KinesisRecord[]> {
  const records: KinesisRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!done(records)) {
    if (Date.now() > deadline) throw new Error(`timed out with ${records.length} records`);
    const batch = await source.next(10_000, signal);
    records.push(...batch.records);
    if (batch.shardEnded) break;
  }
  return records;
}

/** A TCP pass-through that can cut every connection (a dropped connection, as the client sees it). */
async function startCuttableProxy(
  target: URL,
): Promise<{ port: number; cut(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut: () => {
      const n = sockets.size;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      return n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(missing !== undefined)(`enhanced fan-out record source (${endpoint})`, () => {
  let admin: KinesisClient;
  let stream: string;
  let streamArn: string;
  let shardIds: string[];
  const keys = Array.from({ length: 200 }, (_, i) => `efo-${String(i).padStart(4, '0')}`);

  beforeAll(async () => {
    admin = kinesisClient(endpoint);
    stream = await createStream(admin, { shardCount: 4 });
    shardIds = (await listAllShards(admin, stream)).map((s) => s.ShardId!).sort();
    const puts = await putKeys(admin, stream, keys);
    expect(new Set(puts.map((p) => p.shardId)).size).toBe(4);
    const info = await ensureStreamConsumer(sdkStreamConsumerApi(admin), {
      streamName: stream,
      consumerName: 'probe',
    });
    streamArn = info.streamArn ?? '';
  }, 60_000);
  afterAll(async () => {
    await deleteStream(admin, stream);
    admin.destroy();
  });

  async function consumerArn(name: string): Promise<string> {
    const info = await ensureStreamConsumer(sdkStreamConsumerApi(admin), {
      streamArn,
      consumerName: name,
      pollIntervalMs: 200,
    });
    return info.consumerArn;
  }

  function sources(api: FanOutApi, arn: string, logs: Logged[], options: Partial<FanOutSourceOptions> = {}) {
    return shardIds.map(
      (shardId) =>
        new FanOutShardSource(
          api,
          { streamName: stream, shardId, hashKeyRange: null, position: { type: 'TRIM_HORIZON' } },
          observer(logs),
          { consumerArn: arn, clock: systemClock, ...options },
        ),
    );
  }

  it('delivers every record of a 4-shard stream in order per shard over one pooled HTTP/2 client', async () => {
    const arn = await consumerArn(uniqueName('all'));
    const client = fanOutClient();
    const abort = new AbortController();
    const logs: Logged[] = [];
    try {
      const all = await Promise.all(
        sources(sdkFanOutApi(client), arn, logs).map(async (source) => {
          return readUntil(
            source,
            abort.signal,
            (records) => records.length > 0 && records.length >= countFor(records[0]!.shardId),
            30_000,
          );
        }),
      );
      const delivered = all
        .flat()
        .map((r) => ({ key: recordText(r), shardId: r.shardId, sequenceNumber: r.sequenceNumber }));
      expect(
        missingKeys(
          keys,
          delivered.map((d) => d.key),
        ),
      ).toEqual([]);
      expect(delivered).toHaveLength(keys.length);
      expect(assertShardOrder(delivered)).toEqual([]);
    } finally {
      abort.abort();
      client.destroy();
    }
  }, 60_000);

  // Per-shard record counts of the initial fill, from the bare-SDK reference reader.
  const perShard = new Map<string, number>();
  function countFor(shardId: string): number {
    return perShard.get(shardId) ?? Number.POSITIVE_INFINITY;
  }
  beforeAll(async () => {
    const { readAllRecords } = await import('../src/read-all-records.js');
    for (const r of await readAllRecords(admin, stream))
      perShard.set(r.shardId, (perShard.get(r.shardId) ?? 0) + 1);
  }, 60_000);

  it('renews ending subscriptions (shortened to 2 s) from the continuation while records keep coming: no loss, no duplicate', async () => {
    const arn = await consumerArn(uniqueName('renew'));
    const client = fanOutClient();
    const abort = new AbortController();
    const logs: Logged[] = [];
    const shardId = shardIds[0]!;
    const source = new FanOutShardSource(
      sdkFanOutApi(client),
      { streamName: stream, shardId, hashKeyRange: null, position: { type: 'LATEST' } },
      observer(logs),
      { consumerArn: arn, clock: systemClock, maxSubscriptionMs: 2000, initialBackoffMs: 200 },
    );
    const fresh = Array.from({ length: 60 }, (_, i) => `renew-${String(i).padStart(3, '0')}`);
    try {
      // The first event fixes the position (LATEST), then records arrive over ~7 s, across renewals.
      const first = await source.next(10_000, abort.signal);
      expect(first.records).toHaveLength(0);
      const writer = (async () => {
        for (let i = 0; i < fresh.length; i += 5) {
          await admin.send(
            new (await import('@aws-sdk/client-kinesis')).PutRecordsCommand({
              StreamName: stream,
              Records: fresh
                .slice(i, i + 5)
                .map((key) => ({ PartitionKey: key, Data: Buffer.from(key), ExplicitHashKey: '0' })),
            }),
          );
          await new Promise((r) => setTimeout(r, 550));
        }
      })();
      const records = await readUntil(source, abort.signal, (rs) => rs.length >= fresh.length, 40_000);
      await writer;
      expect(records.map(recordText)).toEqual(fresh);
      expect(source.subscriptions).toBeGreaterThanOrEqual(3);
      const refused = logs.filter((l) => l.message.includes('ResourceInUseException')).length;
      console.log(
        `[consumer-efo-source] renewals: ${source.subscriptions} subscriptions, ${refused} ResourceInUseException retries`,
      );
    } finally {
      abort.abort();
      await source.close();
      client.destroy();
    }
  }, 60_000);

  it('survives dropped connections mid-subscription (a TCP proxy cuts every socket twice)', async () => {
    const arn = await consumerArn(uniqueName('drop'));
    const proxy = await startCuttableProxy(new URL(endpoint));
    const client = fanOutClient(proxy.port);
    const abort = new AbortController();
    const logs: Logged[] = [];
    const fresh = Array.from({ length: 40 }, (_, i) => `drop-${String(i).padStart(3, '0')}`);
    const source = new FanOutShardSource(
      sdkFanOutApi(client),
      { streamName: stream, shardId: shardIds[0]!, hashKeyRange: null, position: { type: 'LATEST' } },
      observer(logs),
      { consumerArn: arn, clock: systemClock, initialBackoffMs: 200 },
    );
    const { PutRecordsCommand } = await import('@aws-sdk/client-kinesis');
    try {
      await source.next(10_000, abort.signal);
      let cuts = 0;
      let wanted = 0;
      const writer = (async () => {
        for (let i = 0; i < fresh.length; i += 5) {
          await admin.send(
            new PutRecordsCommand({
              StreamName: stream,
              Records: fresh
                .slice(i, i + 5)
                .map((key) => ({ PartitionKey: key, Data: Buffer.from(key), ExplicitHashKey: '0' })),
            }),
          );
          // Cut after the 3rd and 6th put (retried at the next put if no connection was open then).
          if (i === 10 || i === 25) wanted += 1;
          if (wanted > 0 && proxy.cut() > 0) {
            wanted -= 1;
            cuts += 1;
          }
          await new Promise((r) => setTimeout(r, 400));
        }
      })();
      const records = await readUntil(source, abort.signal, (rs) => rs.length >= fresh.length, 40_000);
      await writer;
      expect(cuts).toBe(2);
      expect(records.map(recordText)).toEqual(fresh);
      expect(source.subscriptions).toBeGreaterThanOrEqual(3);
      // A cut connection surfaces as a stream error or as an early end of the event stream; either way
      // the source subscribes again after the last event it received.
      const renewals = logs.filter((l) => /subscription (failed|ended)/.test(l.message));
      console.log(
        `[consumer-efo-source] dropped connections: ${source.subscriptions} subscriptions; ${renewals.map((l) => l.message).join(' | ')}`,
      );
      expect(renewals.length).toBeGreaterThanOrEqual(2);
    } finally {
      abort.abort();
      await source.close();
      client.destroy();
      await proxy.close();
    }
  }, 60_000);

  it('injected faults: ResourceInUseException while the consumer is not ACTIVE yet, then stream errors mid-subscription', async () => {
    const arn = await consumerArn(uniqueName('faults'));
    const client = fanOutClient();
    const real = sdkFanOutApi(client);
    let calls = 0;
    let opened = 0;
    const faulty: FanOutApi = {
      subscribeToShard: async (input, signal) => {
        calls += 1;
        if (calls <= 2) {
          const error = new Error(`Consumer ${arn} is not ACTIVE`);
          error.name = 'ResourceInUseException';
          throw error;
        }
        const output = await real.subscribeToShard(input, signal);
        const events = output.EventStream!;
        opened += 1;
        if (opened > 2) return output;
        // The first two subscriptions that open break after two events each.
        return {
          EventStream: {
            async *[Symbol.asyncIterator](): AsyncGenerator<SubscribeToShardEventStream> {
              let n = 0;
              for await (const event of events) {
                yield event;
                if (++n === 2)
                  throw Object.assign(new Error('injected stream error'), {
                    name: 'InternalFailureException',
                  });
              }
            },
          },
        };
      },
    };
    const abort = new AbortController();
    const logs: Logged[] = [];
    const shardId = shardIds[1]!;
    const source = new FanOutShardSource(
      faulty,
      { streamName: stream, shardId, hashKeyRange: null, position: { type: 'TRIM_HORIZON' } },
      observer(logs),
      { consumerArn: arn, clock: systemClock, initialBackoffMs: 100, maxBufferedEvents: 1 },
    );
    try {
      const records = await readUntil(
        source,
        abort.signal,
        (rs) => rs.length >= countFor(shardId) && opened >= 3,
        40_000,
      );
      const delivered = records.map((r) => ({
        key: recordText(r),
        shardId: r.shardId,
        sequenceNumber: r.sequenceNumber,
      }));
      expect(delivered).toHaveLength(countFor(shardId));
      expect(new Set(delivered.map((d) => d.key)).size).toBe(delivered.length);
      expect(assertShardOrder(delivered)).toEqual([]);
      expect(opened).toBeGreaterThanOrEqual(3);
      expect(logs.filter((l) => l.message.includes('ResourceInUseException')).length).toBeGreaterThanOrEqual(
        2,
      );
      expect(logs.filter((l) => l.message.includes('subscription failed')).length).toBeGreaterThanOrEqual(2);
    } finally {
      abort.abort();
      await source.close();
      client.destroy();
    }
  }, 60_000);

  it('a shard split during a subscription ends the parent with its children (found at renewal on kinesis-local), then the children are read', async () => {
    const { PutRecordsCommand, SplitShardCommand } = await import('@aws-sdk/client-kinesis');
    const { waitStreamActive } = await import('../src/streams.js');
    const single = await createStream(admin, { shardCount: 1 });
    const client = fanOutClient();
    const abort = new AbortController();
    const logs: Logged[] = [];
    try {
      const parent = (await listAllShards(admin, single))[0]!;
      const { consumerArn: arn } = await ensureStreamConsumer(sdkStreamConsumerApi(admin), {
        streamName: single,
        consumerName: 'split',
        pollIntervalMs: 200,
      });
      const put = (prefix: string, hashKey: string) =>
        admin.send(
          new PutRecordsCommand({
            StreamName: single,
            Records: Array.from({ length: 10 }, (_, i) => ({
              PartitionKey: `${prefix}-${i}`,
              Data: Buffer.from(`${prefix}-${i}`),
              ExplicitHashKey: hashKey,
            })),
          }),
        );
      await put('before', '1');
      // kinesis-local never ends a closed shard's subscription with a ChildShards event (AWS does): the
      // source finds the end with one GetRecords when a caught-up subscription ends (here every 2 s).
      const source = new FanOutShardSource(
        sdkFanOutApi(client),
        {
          streamName: single,
          shardId: parent.ShardId!,
          hashKeyRange: null,
          position: { type: 'TRIM_HORIZON' },
        },
        observer(logs),
        {
          consumerArn: arn,
          clock: systemClock,
          maxSubscriptionMs: 2000,
          shardEndProbe: sdkKinesisApi(admin),
        },
      );
      const first = await readUntil(source, abort.signal, (rs) => rs.length >= 10, 20_000);
      const middle = (BigInt(parent.HashKeyRange!.EndingHashKey!) / 2n).toString();
      await admin.send(
        new SplitShardCommand({
          StreamName: single,
          ShardToSplit: parent.ShardId!,
          NewStartingHashKey: middle,
        }),
      );
      await waitStreamActive(admin, single);
      await put('low', '1');
      await put('high', (BigInt(middle) + 1n).toString());
      let last: Awaited<ReturnType<FanOutShardSource['next']>> | undefined;
      const rest: KinesisRecord[] = [];
      const deadline = Date.now() + 20_000;
      while (last?.shardEnded !== true) {
        if (Date.now() > deadline) throw new Error('the parent never ended');
        last = await source.next(10_000, abort.signal);
        rest.push(...last.records);
      }
      expect([...first, ...rest].map(recordText)).toEqual(
        Array.from({ length: 10 }, (_, i) => `before-${i}`),
      );
      const children = last.childShards ?? [];
      expect(children).toHaveLength(2);
      for (const child of children) expect(child.parentShardIds).toEqual([parent.ShardId]);
      const fromChildren = await Promise.all(
        children.map((child) =>
          readUntil(
            new FanOutShardSource(
              sdkFanOutApi(client),
              {
                streamName: single,
                shardId: child.shardId,
                hashKeyRange: child.hashKeyRange,
                position: { type: 'TRIM_HORIZON' },
              },
              observer(logs),
              { consumerArn: arn, clock: systemClock },
            ),
            abort.signal,
            (rs) => rs.length >= 10,
            20_000,
          ),
        ),
      );
      const expected = ['high', 'low'].flatMap((p) => Array.from({ length: 10 }, (_, i) => `${p}-${i}`));
      expect(fromChildren.flat().map(recordText).sort()).toEqual(expected.sort());
    } finally {
      abort.abort();
      client.destroy();
      await deleteStream(admin, single);
    }
  }, 60_000);
});
