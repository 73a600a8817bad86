import { availableParallelism } from 'node:os';
import { ValidationError } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { KinesisConsumer, type RunOptions } from './consumer.js';
import { type FailurePolicyOptions, resolveFailurePolicy } from './failure-policy.js';
import { type KinesisConsumerOptions, resolveOptions } from './options.js';

describe('pool size options', () => {
  it('default to the available parallelism for both pooled runners', () => {
    const resolved = resolveOptions({ streamName: 's' });
    expect(resolved.maxProcesses).toBe(availableParallelism());
    expect(resolved.maxThreads).toBe(availableParallelism());
  });

  it('accept a positive integer or Infinity (one worker per shard)', () => {
    const resolved = resolveOptions({ streamName: 's', maxProcesses: Infinity, maxThreads: 3 });
    expect(resolved.maxProcesses).toBe(Number.POSITIVE_INFINITY);
    expect(resolved.maxThreads).toBe(3);
  });

  it('reject anything else, naming the option', () => {
    for (const bad of [0, -2, 1.5, Number.NaN, '4']) {
      expect(() => resolveOptions({ streamName: 's', maxProcesses: bad as number })).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          context: { option: 'maxProcesses', value: bad },
        }),
      );
      expect(() => resolveOptions({ streamName: 's', maxThreads: bad as number })).toThrow(/maxThreads/);
    }
  });
});

describe('unknown option keys', () => {
  function rejection(fn: () => unknown): Record<string, unknown> {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).code).toBe('INVALID_ARGUMENT');
      return { message: (error as Error).message, ...(error as ValidationError).context };
    }
    throw new Error('expected a ValidationError');
  }

  it('are rejected at every level, with the nearest known key', () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ streamName: 's', intialPosition: 'TRIM_HORIZON' }, 'intialPosition', 'initialPosition'],
      [{ streamName: 's', checkpointInterval: { record: 10 } }, 'checkpointInterval.record', 'records'],
      [{ streamName: 's', fanOut: { consumerNmae: 'c' } }, 'fanOut.consumerNmae', 'consumerName'],
      [{ streamName: 's', fanOut: { http: { protocl: 'http1' } } }, 'fanOut.http.protocl', 'protocol'],
      [{ streamName: 's', maxBuferedRecords: 5 }, 'maxBuferedRecords', 'maxBufferedRecords'],
    ];
    for (const [options, option, suggestion] of cases) {
      const error = rejection(() => resolveOptions(options as unknown as KinesisConsumerOptions));
      expect(error).toMatchObject({ option, suggestion });
      expect(error.message).toContain(`did you mean`);
      expect(error.message).toContain(suggestion);
    }
  });

  it('are rejected in the failure policy and in run() options', async () => {
    expect(
      rejection(() => resolveFailurePolicy({ maxRetryAttempt: 3 } as FailurePolicyOptions)),
    ).toMatchObject({
      option: 'failure.maxRetryAttempt',
      suggestion: 'maxRetryAttempts',
    });
    const consumer = new KinesisConsumer({ streamName: 's', runner: 'inline' });
    await expect(
      consumer.run(async () => {}, { failur: { maxRetryAttempts: 1 } } as unknown as RunOptions),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      context: { option: 'failur', suggestion: 'failure' },
    });
    await consumer.close();
  });

  it('wrong-typed SDK values fail in the constructor', () => {
    const bad: Array<[Partial<KinesisConsumerOptions>, string]> = [
      [{ kinesisClient: { region: 'eu-west-1' } as never }, 'kinesisClient'],
      [{ credentials: { accessKey: 'a', secret: 'b' } as never }, 'credentials'],
      [{ clientConfig: 'eu-west-1' as never }, 'clientConfig'],
      [{ clientConfig: { region: 1 } as never }, 'clientConfig.region'],
    ];
    for (const [options, option] of bad) {
      expect(() => new KinesisConsumer({ streamName: 's', runner: 'inline', ...options })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', context: expect.objectContaining({ option }) }),
      );
    }
    expect(
      () =>
        new KinesisConsumer({
          streamName: 's',
          runner: 'inline',
          credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
          clientConfig: { region: 'eu-west-1', endpoint: 'http://localhost:4567' },
        }),
    ).not.toThrow();
  });
});
