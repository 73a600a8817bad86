import { systemClock } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsError, FakeRegistry, STREAM_ARN } from './fake-fan-out.js';
import {
  deregisterStreamConsumer,
  ensureStreamConsumer,
  resetStreamConsumerCallSpacing,
} from './stream-consumer-registration.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
  resetStreamConsumerCallSpacing();
});
afterEach(() => {
  vi.useRealTimers();
});

async function run<T>(promise: Promise<T>, ms = 120_000): Promise<T> {
  promise.catch(() => {});
  await vi.advanceTimersByTimeAsync(ms);
  return promise;
}

describe('ensureStreamConsumer', () => {
  it('registers a missing consumer and waits until it is ACTIVE', async () => {
    const api = new FakeRegistry();
    const info = await run(
      ensureStreamConsumer(api, { streamName: 's', consumerName: 'app', clock: systemClock }),
    );
    expect(info).toMatchObject({ consumerName: 'app', registered: true, streamArn: STREAM_ARN });
    expect(info.consumerArn).toBe(`${STREAM_ARN}/consumer/app:1`);
    expect(api.calls.map((c) => c.op)).toEqual([
      'DescribeStreamSummary',
      'DescribeStreamConsumer', // not found
      'RegisterStreamConsumer',
      'DescribeStreamConsumer', // CREATING
      'DescribeStreamConsumer', // CREATING
      'DescribeStreamConsumer', // ACTIVE
    ]);
    const describes = api.calls.filter((c) => c.op === 'DescribeStreamConsumer').map((c) => c.at);
    expect(describes[2]! - describes[1]!).toBe(1000);
  });

  it('uses an existing ACTIVE consumer, by name or by ARN, without registering', async () => {
    const api = new FakeRegistry();
    api.activeAfter = 0;
    await run(ensureStreamConsumer(api, { streamArn: STREAM_ARN, consumerName: 'app', clock: systemClock }));
    api.calls.length = 0;
    const byName = await run(
      ensureStreamConsumer(api, { streamArn: STREAM_ARN, consumerName: 'app', clock: systemClock }),
    );
    expect(byName.registered).toBe(false);
    const byArn = await run(
      ensureStreamConsumer(api, { consumerArn: byName.consumerArn, clock: systemClock }),
    );
    expect(byArn.consumerArn).toBe(byName.consumerArn);
    expect(api.calls.map((c) => c.op)).toEqual(['DescribeStreamConsumer', 'DescribeStreamConsumer']);
  });

  it('converges when another instance registered the consumer first (ResourceInUseException)', async () => {
    const api = new FakeRegistry();
    const real = api.registerStreamConsumer.bind(api);
    api.registerStreamConsumer = async (input) => {
      await real(input); // the other instance's call
      return real(input); // ours: ResourceInUseException
    };
    const info = await run(
      ensureStreamConsumer(api, { streamArn: STREAM_ARN, consumerName: 'app', clock: systemClock }),
    );
    expect(info.registered).toBe(false);
    expect(info.consumerArn).toContain('consumer/app');
  });

  it('respects the 5 TPS limit: register calls are spaced 200 ms apart and LimitExceeded backs off', async () => {
    const api = new FakeRegistry();
    api.activeAfter = 0;
    for (let i = 0; i < 3; i++)
      api.failures.push({ op: 'RegisterStreamConsumer', error: awsError('LimitExceededException') });
    const names = ['a', 'b', 'c', 'd'];
    const infos = await run(
      Promise.all(
        names.map((name) =>
          ensureStreamConsumer(api, { streamArn: STREAM_ARN, consumerName: name, clock: systemClock }),
        ),
      ),
    );
    expect(infos.map((i) => i.consumerName)).toEqual(names);
    const registers = api.calls.filter((c) => c.op === 'RegisterStreamConsumer').map((c) => c.at);
    expect(registers).toHaveLength(7);
    const sorted = [...registers].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(200);
  });

  it('times out with TIMEOUT when the consumer never becomes ACTIVE', async () => {
    const api = new FakeRegistry();
    api.activeAfter = 1_000_000;
    await expect(
      run(
        ensureStreamConsumer(api, {
          streamArn: STREAM_ARN,
          consumerName: 'app',
          clock: systemClock,
          timeoutMs: 10_000,
        }),
      ),
    ).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('rejects bad options and a consumer ARN that does not exist', async () => {
    const api = new FakeRegistry();
    await expect(
      ensureStreamConsumer(api, { streamName: 's', consumerName: 'bad name' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(ensureStreamConsumer(api, { consumerArn: 'nope' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      run(ensureStreamConsumer(api, { consumerArn: `${STREAM_ARN}/consumer/x:1`, clock: systemClock })),
    ).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
  });

  it('fails with a typed error when the stream does not exist', async () => {
    const api = new FakeRegistry();
    api.failures.push({ op: 'DescribeStreamSummary', error: awsError('ResourceNotFoundException') });
    await expect(
      run(ensureStreamConsumer(api, { streamName: 's', consumerName: 'app', clock: systemClock })),
    ).rejects.toMatchObject({
      code: 'STREAM_NOT_FOUND',
    });
  });
});

describe('deregisterStreamConsumer', () => {
  it('deregisters by ARN, retries throttling, and treats a missing consumer as done', async () => {
    const api = new FakeRegistry();
    api.activeAfter = 0;
    const info = await run(
      ensureStreamConsumer(api, { streamArn: STREAM_ARN, consumerName: 'app', clock: systemClock }),
    );
    api.failures.push({ op: 'DeregisterStreamConsumer', error: awsError('LimitExceededException') });
    await run(deregisterStreamConsumer(api, { consumerArn: info.consumerArn }, { clock: systemClock }));
    expect(api.consumers.size).toBe(0);
    await run(deregisterStreamConsumer(api, { consumerArn: info.consumerArn }, { clock: systemClock }));
    expect(api.calls.filter((c) => c.op === 'DeregisterStreamConsumer')).toHaveLength(3);
  });
});
