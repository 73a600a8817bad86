import { ErrorCode, KinesisTsError, ManualClock } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { callWithTimeout, isOutcomeUnknown } from './request-timeout.js';

describe('callWithTimeout', () => {
  it('rejects TIMEOUT at the deadline and aborts the signal, even if the call never settles', async () => {
    const clock = new ManualClock();
    let signal: AbortSignal | undefined;
    const result = callWithTimeout(clock, 100, 'PutRecords', (s) => {
      signal = s;
      return new Promise<never>(() => {});
    });
    let error: unknown;
    result.catch((e: unknown) => {
      error = e;
    });
    clock.advance(99);
    await Promise.resolve();
    expect(error).toBeUndefined();
    expect(signal!.aborted).toBe(false);
    clock.advance(1);
    await Promise.resolve();
    expect(error).toBeInstanceOf(KinesisTsError);
    expect(error).toMatchObject({
      code: ErrorCode.TIMEOUT,
      context: { operation: 'PutRecords', timeoutMs: 100 },
    });
    expect(signal!.aborted).toBe(true);
  });

  it('passes results and errors through and cancels its timer', async () => {
    const clock = new ManualClock();
    await expect(callWithTimeout(clock, 100, 'x', async () => 7)).resolves.toBe(7);
    await expect(
      callWithTimeout(clock, 100, 'x', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(
      callWithTimeout(clock, 100, 'x', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    clock.advance(1000); // no timer left to fire a second outcome
  });
});

describe('isOutcomeUnknown', () => {
  const err = (name: string, extra: Record<string, unknown> = {}, message = name) =>
    Object.assign(new Error(message), { name, ...extra });
  it('is true when no answer came back after the request may have been sent', () => {
    expect(isOutcomeUnknown(new KinesisTsError(ErrorCode.TIMEOUT, 't'))).toBe(true);
    expect(isOutcomeUnknown(err('TimeoutError', { code: 'ETIMEDOUT' }))).toBe(true);
    expect(isOutcomeUnknown(err('Error', { code: 'ECONNRESET' }))).toBe(true);
    expect(isOutcomeUnknown(err('Error', {}, 'socket hang up'))).toBe(true);
  });
  it('is false for an answer from the service or a connection never made', () => {
    expect(
      isOutcomeUnknown(err('ProvisionedThroughputExceededException', { $metadata: { httpStatusCode: 400 } })),
    ).toBe(false);
    expect(isOutcomeUnknown(err('Error', { code: 'ECONNREFUSED' }))).toBe(false);
    expect(
      isOutcomeUnknown(
        err(
          'TimeoutError',
          {},
          'the request socket did not establish a connection with the server within 3000 ms',
        ),
      ),
    ).toBe(false);
    expect(isOutcomeUnknown('nope')).toBe(false);
  });
});
