import { encodeAggregate, systemClock } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RecordBatch, RecordSourceObserver, ShardReadSpec, StartPosition } from '../record-source.js';
import { LATEST_PIN_MARGIN_MS } from '../start-position.js';
import { FakeKinesis } from '../test-support/fake-kinesis.js';
import { awsError, FakeFanOutApi, type FakeSubscription, rawRecord } from './fake-fan-out.js';
import { FanOutShardSource, type FanOutSourceOptions } from './fan-out-source.js';

const SHARD = 'shardId-000000000000';
const ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1';

function setup(
  options: Partial<FanOutSourceOptions> = {},
  position: StartPosition = { type: 'TRIM_HORIZON' },
  range: ShardReadSpec['hashKeyRange'] = null,
) {
  const api = new FakeFanOutApi();
  const logs: Array<{ level: string; message: string }> = [];
  const throttles: number[] = [];
  const observer: RecordSourceObserver = {
    throttled: (ms) => throttles.push(ms),
    log: (level, message) => logs.push({ level, message }),
  };
  const abort = new AbortController();
  const source = new FanOutShardSource(
    api,
    { streamName: 's', shardId: SHARD, hashKeyRange: range, position },
    observer,
    { consumerArn: ARN, clock: systemClock, ...options },
  );
  const next = (limit = 10_000): Promise<RecordBatch> => source.next(limit, abort.signal);
  return { api, source, logs, throttles, abort, next };
}

/** Lets the pump run (microtasks and due fake timers). */
async function settle(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

const keys = (batch: RecordBatch) => batch.records.map((r) => r.partitionKey);

function records(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => rawRecord(BigInt(from + i), `k${from + i}`));
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('FanOutShardSource', () => {
  it('subscribes from the initial position and delivers events in order', async () => {
    const { api, next, abort } = setup();
    api.onSubscribe = (sub) => {
      sub.event({ Records: records(1, 2), continuation: '2', MillisBehindLatest: 1500 });
      sub.event({ Records: records(3, 1), continuation: '3' });
    };
    const first = await next(2);
    expect(keys(first)).toEqual(['k1', 'k2']);
    expect(first.millisBehindLatest).toBe(1500);
    expect(first.shardEnded).toBe(false);
    expect(keys(await next())).toEqual(['k3']);
    expect(api.calls.map((c) => c.input)).toEqual([
      { ConsumerARN: ARN, ShardId: SHARD, StartingPosition: { Type: 'TRIM_HORIZON' } },
    ]);
    abort.abort();
  });

  it('maps every start position; AFTER a checkpoint starts AT it and skips delivered sub-records', async () => {
    const aggregate = encodeAggregate([
      { partitionKey: 'a0', data: 'a0' },
      { partitionKey: 'a1', data: 'a1' },
      { partitionKey: 'a2', data: 'a2' },
    ]);
    const { api, next, abort } = setup(
      {},
      { type: 'AFTER', checkpoint: { sequenceNumber: '10', subSequenceNumber: 1 } },
    );
    api.onSubscribe = (sub) =>
      sub.event({ Records: [rawRecord(10n, 'agg', aggregate), rawRecord(11n, 'k11')], continuation: '11' });
    const batch = await next();
    expect(keys(batch)).toEqual(['a2', 'k11']);
    expect(batch.records[0]?.subSequenceNumber).toBe(2);
    expect(api.calls[0]?.input.StartingPosition).toEqual({
      Type: 'AT_SEQUENCE_NUMBER',
      SequenceNumber: '10',
    });
    abort.abort();

    for (const [position, expected] of [
      [{ type: 'LATEST' }, { Type: 'LATEST' }],
      [
        { type: 'AT_TIMESTAMP', timestamp: 5000 },
        { Type: 'AT_TIMESTAMP', Timestamp: new Date(5000) },
      ],
    ] as const) {
      const other = setup({}, position as StartPosition);
      other.api.onSubscribe = (sub) => sub.event({ continuation: '1' });
      await other.next();
      expect(other.api.calls[0]?.input.StartingPosition).toEqual(expected);
      other.abort.abort();
    }
  });

  it('drops aggregated user records outside the shard hash range, like the polling reader', async () => {
    const half = (2n ** 127n).toString();
    const { api, next, abort } = setup(
      {},
      { type: 'TRIM_HORIZON' },
      { startingHashKey: '0', endingHashKey: half },
    );
    const aggregate = encodeAggregate([
      { partitionKey: 'in', explicitHashKey: '5', data: 'in' },
      { partitionKey: 'out', explicitHashKey: (2n ** 127n + 5n).toString(), data: 'out' },
    ]);
    api.onSubscribe = (sub) => sub.event({ Records: [rawRecord(1n, 'agg', aggregate)], continuation: '1' });
    expect(keys(await next())).toEqual(['in']);
    abort.abort();
  });

  it('renews an ended subscription from ContinuationSequenceNumber: no loss, no duplicate', async () => {
    const { api, next, abort } = setup();
    api.onSubscribe = (sub) => {
      if (api.subscriptions.length === 1) sub.event({ Records: records(1, 2), continuation: '2' }).end();
      else sub.event({ Records: records(3, 2), continuation: '4' });
    };
    const seen = [...keys(await next()), ...keys(await next())];
    expect(seen).toEqual(['k1', 'k2', 'k3', 'k4']);
    expect(api.calls[1]?.input.StartingPosition).toEqual({
      Type: 'AFTER_SEQUENCE_NUMBER',
      SequenceNumber: '2',
    });
    expect(api.subscriptions[0]?.aborted).toBe(true);
    abort.abort();
  });

  it('ends each subscription after maxSubscriptionMs (the 5-minute limit, shortened) and resumes after it', async () => {
    const { api, next, abort, source } = setup({ maxSubscriptionMs: 5000 });
    api.onSubscribe = (sub) => {
      const n = api.subscriptions.length;
      sub.event({ Records: records(n * 10, 1), continuation: String(n * 10) });
    };
    expect(keys(await next())).toEqual(['k10']);
    await settle(5000);
    expect(api.subscriptions[0]?.aborted).toBe(true);
    expect(keys(await next())).toEqual(['k20']);
    expect(api.calls[1]?.input.StartingPosition).toEqual({
      Type: 'AFTER_SEQUENCE_NUMBER',
      SequenceNumber: '10',
    });
    expect(source.subscriptions).toBe(2);
    abort.abort();
  });

  it('retries ResourceInUseException after a re-subscribe with growing backoff, without giving up', async () => {
    const { api, next, abort, logs } = setup({ maxConsecutiveFailures: 2, eventTimeoutMs: 600_000 });
    api.onSubscribe = (sub) => {
      if (api.subscriptions.length === 1) sub.event({ Records: records(1, 1), continuation: '1' }).end();
      else sub.event({ Records: records(2, 1), continuation: '2' });
    };
    expect(keys(await next())).toEqual(['k1']);
    for (let i = 0; i < 4; i++)
      api.refusals.push(awsError('ResourceInUseException', 'Another active subscription exists'));
    const second = next();
    await settle(60_000);
    expect(keys(await second)).toEqual(['k2']);
    const at = api.calls.map((c) => c.at);
    const gaps = at.slice(2).map((t, i) => t - at[i + 1]!);
    expect(gaps).toHaveLength(4);
    expect(gaps[0]).toBeGreaterThanOrEqual(250);
    expect(gaps[3]!).toBeGreaterThan(gaps[0]!);
    expect(api.calls.at(-1)?.input.StartingPosition).toEqual({
      Type: 'AFTER_SEQUENCE_NUMBER',
      SequenceNumber: '1',
    });
    expect(logs.filter((l) => l.message.includes('ResourceInUseException'))).toHaveLength(4);
    abort.abort();
  });

  it('falls back to a fresh subscription after a stream error, from the last received event', async () => {
    const { api, next, abort } = setup();
    api.onSubscribe = (sub) => {
      const n = api.subscriptions.length;
      if (n === 1)
        sub.event({ Records: records(1, 2), continuation: '2' }).fail(awsError('Error', 'socket hang up'));
      else if (n === 2)
        sub.member({
          InternalFailureException: {
            name: 'InternalFailureException',
            $fault: 'server',
            message: 'x',
          } as never,
        });
      else sub.event({ Records: records(3, 1), continuation: '3' });
    };
    const got = [...keys(await next())];
    const second = next();
    await settle(30_000);
    got.push(...keys(await second));
    expect(got).toEqual(['k1', 'k2', 'k3']);
    expect(api.calls.slice(1).map((c) => c.input.StartingPosition)).toEqual([
      { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '2' },
      { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '2' },
    ]);
    abort.abort();
  });

  it('re-subscribes from the initial position when a subscription failed before its first event', async () => {
    const { api, next, abort } = setup(
      {},
      { type: 'AFTER', checkpoint: { sequenceNumber: '5', subSequenceNumber: 0 } },
    );
    api.refusals.push(awsError('InternalFailureException'));
    api.onSubscribe = (sub) =>
      sub.event({ Records: [rawRecord(5n, 'k5'), rawRecord(6n, 'k6')], continuation: '6' });
    const pending = next();
    await settle(30_000);
    expect(keys(await pending)).toEqual(['k6']);
    expect(api.calls.map((c) => c.input.StartingPosition)).toEqual([
      { Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: '5' },
      { Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: '5' },
    ]);
    abort.abort();
  });

  it('re-subscribes a LATEST start that failed before its first event at the first start time, not LATEST', async () => {
    const { api, next, abort } = setup({}, { type: 'LATEST' });
    api.refusals.push(awsError('InternalFailureException'));
    api.onSubscribe = (sub) => sub.event({ Records: [rawRecord(1n, 'k1')], continuation: '1' });
    const startedAt = Date.now();
    const pending = next();
    await settle(30_000);
    expect(keys(await pending)).toEqual(['k1']);
    expect(api.calls.map((c) => c.input.StartingPosition)).toEqual([
      { Type: 'LATEST' },
      { Type: 'AT_TIMESTAMP', Timestamp: new Date(startedAt - LATEST_PIN_MARGIN_MS) },
    ]);
    abort.abort();
  });

  it('drops a subscription that sends no event for eventTimeoutMs and renews it', async () => {
    const { api, next, abort } = setup({ eventTimeoutMs: 10_000 });
    api.onSubscribe = (sub) => {
      if (api.subscriptions.length === 1) sub.event({ Records: records(1, 1), continuation: '1' });
      else sub.event({ Records: records(2, 1), continuation: '2' });
    };
    expect(keys(await next())).toEqual(['k1']);
    const pending = next();
    await settle(9_999);
    expect(api.calls).toHaveLength(1);
    await settle(20_000);
    expect(keys(await pending)).toEqual(['k2']);
    expect(api.subscriptions[0]?.aborted).toBe(true);
    expect(api.calls[1]?.input.StartingPosition).toEqual({
      Type: 'AFTER_SEQUENCE_NUMBER',
      SequenceNumber: '1',
    });
    abort.abort();
  });

  it('reports SHARD_END with child shards (empty continuation) and does not subscribe again', async () => {
    const { api, next, abort } = setup();
    api.onSubscribe = (sub) =>
      sub.event({
        Records: records(1, 1),
        continuation: null,
        ChildShards: [
          {
            ShardId: 'shardId-000000000001',
            ParentShards: [SHARD],
            HashKeyRange: { StartingHashKey: '0', EndingHashKey: '10' },
          },
        ],
      });
    const batch = await next();
    expect(keys(batch)).toEqual(['k1']);
    expect(batch.shardEnded).toBe(true);
    expect(batch.childShards).toEqual([
      {
        shardId: 'shardId-000000000001',
        parentShardIds: [SHARD],
        hashKeyRange: { startingHashKey: '0', endingHashKey: '10' },
      },
    ]);
    await settle(60_000);
    expect(api.calls).toHaveLength(1);
    expect(api.current.aborted).toBe(true);
    await expect(next()).rejects.toThrow(/already ended/);
    abort.abort();
  });

  it('probes for the shard end when a caught-up subscription ends (emulators never send the final event)', async () => {
    const probeCalls: string[] = [];
    let closed = false;
    const shardEndProbe = {
      getShardIterator: async (input: { StartingSequenceNumber?: string }) => {
        probeCalls.push(`iterator after ${input.StartingSequenceNumber}`);
        return { ShardIterator: 'it' };
      },
      getRecords: async () => {
        probeCalls.push('records');
        return closed
          ? {
              Records: [],
              NextShardIterator: undefined,
              ChildShards: [
                { ShardId: 'shardId-000000000002', ParentShards: [SHARD], HashKeyRange: undefined },
              ],
            }
          : { Records: [], NextShardIterator: 'next', MillisBehindLatest: 0 };
      },
    };
    const { api, next, abort } = setup({ shardEndProbe: shardEndProbe as never });
    api.onSubscribe = (sub) => {
      const n = api.subscriptions.length;
      sub.event({ Records: records(n, 1), continuation: String(n), MillisBehindLatest: 0 }).end();
    };
    expect(keys(await next())).toEqual(['k1']);
    // Still open: the probe says so and the subscription is renewed.
    expect(keys(await next())).toEqual(['k2']);
    expect(probeCalls).toEqual(['iterator after 1', 'records']);
    closed = true;
    await settle(1000);
    const end = await next();
    expect(end.shardEnded).toBe(true);
    expect(end.childShards).toEqual([
      { shardId: 'shardId-000000000002', parentShardIds: [SHARD], hashKeyRange: null },
    ]);
    expect(probeCalls.slice(2)).toEqual(['iterator after 2', 'records']);
    await settle(60_000);
    expect(api.calls).toHaveLength(2);
    abort.abort();
  });

  it('splits an event larger than the limit and only marks the end with its last part', async () => {
    const { api, next, abort } = setup();
    api.onSubscribe = (sub) => sub.event({ Records: records(1, 5), continuation: null, ChildShards: [] });
    const sizes: number[] = [];
    let ended = false;
    while (!ended) {
      const batch = await next(2);
      sizes.push(batch.records.length);
      ended = batch.shardEnded;
      if (!ended) expect(batch.childShards).toBeUndefined();
    }
    expect(sizes).toEqual([2, 2, 1]);
    abort.abort();
  });

  it('backpressure: a slow reader never lets the buffer grow past the bound; the stream is not pulled while full', async () => {
    const { api, next, abort, source } = setup({ maxBufferedEvents: 3 });
    let sub!: FakeSubscription;
    api.onSubscribe = (s) => {
      sub = s;
      for (let i = 1; i <= 200; i++) s.event({ Records: records(i, 1), continuation: String(i) });
    };
    expect(keys(await next())).toEqual(['k1']);
    await settle(10_000);
    // One event handed out, three buffered: four pulls, and nothing more however long we wait.
    expect(source.bufferedEvents).toBe(3);
    expect(sub.pulls).toBe(4);
    expect(sub.queued).toBe(196);
    const seen = ['k1'];
    let maxBuffered = 0;
    for (let i = 0; i < 50; i++) {
      seen.push(...keys(await next(1)));
      await settle(1000);
      maxBuffered = Math.max(maxBuffered, source.bufferedEvents);
      expect(sub.pulls).toBeLessThanOrEqual(seen.length + 3);
    }
    expect(maxBuffered).toBe(3);
    expect(seen).toEqual(Array.from({ length: 51 }, (_, i) => `k${i + 1}`));
    abort.abort();
  });

  it('backpressure also bounds bytes (overshoot: one event)', async () => {
    const { api, next, abort, source } = setup({ maxBufferedEvents: 100, maxBufferedBytes: 1000 });
    let sub!: FakeSubscription;
    api.onSubscribe = (s) => {
      sub = s;
      for (let i = 1; i <= 50; i++)
        s.event({ Records: [rawRecord(BigInt(i), `k${i}`, 'x'.repeat(400))], continuation: String(i) });
    };
    await next();
    await settle(1000);
    expect(source.bufferedBytes).toBe(1200);
    expect(sub.pulls).toBe(4);
    abort.abort();
  });

  it('delivers what was received, then fails with STREAM_NOT_FOUND when the consumer or stream is gone', async () => {
    const { api, next, abort } = setup();
    api.onSubscribe = (sub) =>
      sub.event({ Records: records(1, 1), continuation: '1' }).fail(awsError('ResourceNotFoundException'));
    expect(keys(await next())).toEqual(['k1']);
    await expect(next()).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
    expect(api.calls).toHaveLength(1);
    abort.abort();
  });

  it('tells a trimmed shard (SHARD_NOT_FOUND, ends it) from a missing stream (STREAM_NOT_FOUND) with ListShards', async () => {
    for (const streamExists of [true, false]) {
      const fake = new FakeKinesis();
      fake.createStream('s', 1);
      fake.addChild('s', 'shardId-000000000001', [SHARD]);
      fake.trimShard('s', SHARD);
      if (!streamExists) fake.streams.delete('s');
      const { api, next, abort } = setup({ shardEndProbe: fake });
      api.onSubscribe = (sub) => sub.fail(awsError('ResourceNotFoundException'));
      const pending = next();
      pending.catch(() => {});
      await settle(1000);
      await expect(pending).rejects.toMatchObject(
        streamExists
          ? { code: 'SHARD_NOT_FOUND', context: { childShardIds: ['shardId-000000000001'] } }
          : { code: 'STREAM_NOT_FOUND' },
      );
      abort.abort();
    }
  });

  it('gives up after maxConsecutiveFailures failed subscriptions and reports throttling', async () => {
    const { api, next, abort, throttles } = setup({ maxConsecutiveFailures: 3 });
    api.refusals.push(
      awsError('LimitExceededException'),
      ...Array.from({ length: 3 }, () => awsError('InternalFailureException')),
    );
    const pending = next();
    pending.catch(() => {});
    await settle(60_000);
    await expect(pending).rejects.toMatchObject({ code: 'KINESIS_REQUEST_FAILED' });
    expect(throttles).toHaveLength(1);
    expect(api.calls).toHaveLength(4);
    abort.abort();
  });

  it('stops the subscription when the reader signal aborts, and close() is idempotent', async () => {
    const { api, next, abort, source } = setup();
    api.onSubscribe = (sub) => sub.event({ continuation: '1' });
    await next();
    const pending = next();
    abort.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    await source.close();
    await source.close();
    expect(api.current.aborted).toBe(true);
    await settle(60_000);
    expect(api.calls).toHaveLength(1);
  });
});
