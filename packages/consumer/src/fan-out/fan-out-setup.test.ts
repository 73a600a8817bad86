import { KinesisClient } from '@aws-sdk/client-kinesis';
import { silentLogger, systemClock } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KinesisApi } from '../kinesis-api.js';
import { FakeFanOutApi, FakeRegistry, rawRecord } from './fake-fan-out.js';
import { resolveFanOutOptions } from './fan-out-options.js';
import { startFanOut } from './fan-out-setup.js';
import { resetStreamConsumerCallSpacing } from './stream-consumer-registration.js';

/** A kinesisApi option that also implements the fan-out calls (as tests and custom transports may). */
function combinedApi() {
  const registry = new FakeRegistry();
  registry.activeAfter = 1;
  const fanOut = new FakeFanOutApi();
  const polling: KinesisApi = {
    getShardIterator: async () => ({ ShardIterator: 'it' }),
    getRecords: async () => ({ Records: [], NextShardIterator: 'it', MillisBehindLatest: 0 }),
    listShards: async () => ({ Shards: [] }),
  };
  const api = Object.assign(polling, {
    describeStreamSummary: registry.describeStreamSummary.bind(registry),
    registerStreamConsumer: registry.registerStreamConsumer.bind(registry),
    describeStreamConsumer: registry.describeStreamConsumer.bind(registry),
    deregisterStreamConsumer: registry.deregisterStreamConsumer.bind(registry),
    subscribeToShard: fanOut.subscribeToShard.bind(fanOut),
  });
  return { api, registry, fanOut };
}

const client = new KinesisClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
  resetStreamConsumerCallSpacing();
});
afterEach(() => {
  vi.useRealTimers();
});

async function start(deregisterOnClose: boolean) {
  const { api, registry, fanOut } = combinedApi();
  const options = resolveFanOutOptions({ deregisterOnClose, maxSubscriptionMs: 60_000 }, 'app')!;
  const pending = startFanOut({
    client,
    kinesisApi: api,
    streamName: 's',
    options,
    clock: systemClock,
    logger: silentLogger,
  });
  await vi.advanceTimersByTimeAsync(5000);
  return { setup: await pending, api, registry, fanOut };
}

describe('startFanOut', () => {
  it('registers the consumer (named after the group), waits for ACTIVE and reads through its ARN inline', async () => {
    const { setup, api, registry, fanOut } = await start(false);
    expect(registry.calls.map((c) => c.op)).toContain('RegisterStreamConsumer');
    expect(setup.consumerArn).toContain('consumer/app');
    expect(setup.worker).toEqual({
      consumerArn: setup.consumerArn,
      http: {},
      maxBufferedEvents: 4,
      maxSubscriptionMs: 60_000,
    });
    fanOut.onSubscribe = (sub) => sub.event({ Records: [rawRecord(1n, 'k1')], continuation: '1' });
    const source = setup.inlineSourceFactory(
      api,
      { streamName: 's', shardId: 'shardId-000000000000', hashKeyRange: null, position: { type: 'LATEST' } },
      { throttled: () => {}, log: () => {} },
      { clock: systemClock },
    );
    const abort = new AbortController();
    const batch = await source.next(100, abort.signal);
    expect(batch.records.map((r) => r.partitionKey)).toEqual(['k1']);
    expect(fanOut.calls[0]?.input.ConsumerARN).toBe(setup.consumerArn);
    abort.abort();
    await setup.close();
    expect(registry.consumers.size).toBe(1);
  });

  it('deregisters on close only when asked, once', async () => {
    const { setup, registry } = await start(true);
    const closing = Promise.all([setup.close(), setup.close()]);
    await vi.advanceTimersByTimeAsync(1000);
    await closing;
    expect(registry.consumers.size).toBe(0);
    expect(registry.calls.filter((c) => c.op === 'DeregisterStreamConsumer')).toHaveLength(1);
  });
});
