import { deserialize, serialize } from 'node:v8';
import { ErrorCode, isKinesisTsError, KinesisTsError } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RecordAck } from './acks.js';
import { ProducerRecordError } from './errors.js';
import { packAcks, unpackAcks } from './host/protocol.js';
import { FakeKinesis } from './test-support/fake-kinesis.js';
import { inlineProducer as make } from './test-support/inline-producer.js';

const text = (data: Uint8Array): string => Buffer.from(data).toString('utf8');

describe('a failed record carries what Kinesis said as a typed cause', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('RECORD_EXPIRED: the cause holds the per-entry ErrorCode / ErrorMessage, stream, partition key and attempts', async () => {
    const fake = new FakeKinesis({ shards: 1 });
    fake.entryFault = (entry) =>
      text(entry.Data) === 'doomed' ? 'ProvisionedThroughputExceededException' : undefined;
    const { producer } = make(
      { bufferTime: 0, recordTtl: 1000, retry: { baseDelay: 100, maxDelay: 200 } },
      fake,
    );
    const doomed = producer.put('doomed', { partitionKey: 'pk-1' }).catch((e: unknown) => e);
    const fine = producer.put('fine');
    await vi.advanceTimersByTimeAsync(1300);
    const error = (await doomed) as ProducerRecordError;
    expect(error).toBeInstanceOf(ProducerRecordError);
    expect(error.code).toBe(ErrorCode.RECORD_EXPIRED);
    const attempts = error.context.attempts as number;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(error.cause).toBeInstanceOf(KinesisTsError);
    const cause = error.cause as KinesisTsError;
    expect(cause.code).toBe(ErrorCode.KINESIS_REQUEST_FAILED);
    expect(cause.message).toBe('PutRecords entry failed: ProvisionedThroughputExceededException: injected');
    expect(cause.context).toEqual({
      streamName: 'stream',
      partitionKey: 'pk-1',
      attempts,
      errorCode: 'ProvisionedThroughputExceededException',
      errorMessage: 'injected',
      shardId: 'shardId-000000000000',
    });
    await expect(fine).resolves.toMatchObject({ shardId: 'shardId-000000000000' });
    await producer.close();
  });

  it('a request Kinesis refuses for good: the cause is typed and its own cause is the SDK error', async () => {
    const fake = new FakeKinesis({ shards: 1 });
    fake.requestFault = () =>
      Object.assign(new Error('1 validation error detected'), {
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400, requestId: 'req-1' },
        $fault: 'client',
      });
    const { producer } = make({ bufferTime: 0, aggregation: true }, fake);
    const all = Promise.allSettled([
      producer.put('a', { partitionKey: 'ka' }),
      producer.put('b', { partitionKey: 'kb', explicitHashKey: '7' }),
    ]);
    await vi.advanceTimersByTimeAsync(10);
    const results = await all;
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]!.entries).toHaveLength(1); // both records in one aggregate
    const errors = results.map((r) => (r as PromiseRejectedResult).reason as ProducerRecordError);
    for (const [i, error] of errors.entries()) {
      expect(error.code).toBe(ErrorCode.KINESIS_REQUEST_FAILED);
      const cause = error.cause as KinesisTsError;
      expect(isKinesisTsError(cause, ErrorCode.KINESIS_REQUEST_FAILED)).toBe(true);
      // One aggregate, but each record's cause names its own key.
      expect(cause.context).toMatchObject({
        streamName: 'stream',
        partitionKey: i === 0 ? 'ka' : 'kb',
        attempts: 1,
        errorCode: 'ValidationException',
        errorMessage: '1 validation error detected',
      });
      if (i === 1) expect(cause.context.explicitHashKey).toBe('7');
      const sdk = cause.cause as Error & { $metadata?: unknown; $fault?: unknown };
      expect(sdk).toBeInstanceOf(Error);
      expect(sdk.name).toBe('ValidationException');
      expect(sdk.$metadata).toEqual({ httpStatusCode: 400, requestId: 'req-1' });
      expect(sdk.$fault).toBe('client');
    }
    await producer.close();
  });

  it('a request that timed out: the cause is TIMEOUT', async () => {
    const fake = new FakeKinesis({ shards: 1 });
    fake.gate = new Promise<void>(() => {}); // never answers
    const { producer } = make({ bufferTime: 0, recordTtl: 500, requestTimeout: 200 }, fake);
    const put = producer.put('x', { partitionKey: 'kx' }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(600);
    const error = (await put) as ProducerRecordError;
    expect(error.code).toBe(ErrorCode.RECORD_EXPIRED);
    const cause = error.cause as KinesisTsError;
    expect(cause.code).toBe(ErrorCode.TIMEOUT);
    expect(cause.context).toMatchObject({ partitionKey: 'kx', errorCode: 'RequestTimeout' });
    expect((cause.cause as KinesisTsError).code).toBe(ErrorCode.TIMEOUT);
    await producer.close({ timeoutMs: 0 });
  });

  it('crosses the host IPC channel (advanced serialization) as data', () => {
    const cause = {
      name: 'KinesisTsError',
      code: ErrorCode.KINESIS_REQUEST_FAILED,
      message: 'PutRecords entry failed: InternalFailure: boom',
      context: { streamName: 's', partitionKey: 'k', attempts: 3, errorCode: 'InternalFailure' },
    };
    const acks: RecordAck[] = [
      {
        id: 1,
        failure: { code: ErrorCode.RECORD_EXPIRED, message: 'late', context: { attempts: 3 }, cause },
      },
    ];
    const back = unpackAcks(deserialize(serialize(packAcks(acks))) as ReturnType<typeof packAcks>);
    expect(back).toEqual(acks);
  });
});
