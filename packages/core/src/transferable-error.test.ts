import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { ErrorCode, KinesisTsError, LeaseLostError, StateStoreError, ValidationError } from './errors.js';
import {
  fromTransferableError,
  fromTransferableLogContext,
  toTransferableError,
  toTransferableLogContext,
} from './transferable-error.js';

/** What the AWS SDK throws for a missing stream (shape of a ServiceException). */
function sdkNotFound(): Error {
  const error = new Error('Stream s under account 000000000000 not found.') as Error &
    Record<string, unknown>;
  error.name = 'ResourceNotFoundException';
  error.$fault = 'client';
  error.$metadata = {
    httpStatusCode: 400,
    requestId: 'req-1',
    attempts: 1,
    totalRetryDelay: 0,
    extra: { x: 1 },
  };
  return error;
}

/** Both wire formats the runners use: `advanced` IPC / worker threads (v8) and `json` IPC. */
const wires = {
  v8: (value: unknown) => deserialize(serialize(value)),
  json: (value: unknown) => JSON.parse(JSON.stringify(value)),
};

describe.each(Object.entries(wires))('transferable errors over %s', (_name, wire) => {
  it('keep code, message, context and the SDK cause with its metadata', () => {
    const original = new KinesisTsError(ErrorCode.STREAM_NOT_FOUND, 'stream s does not exist', {
      cause: sdkNotFound(),
      context: { streamName: 's' },
    });
    const back = fromTransferableError(wire(toTransferableError(original)));
    expect(back).toBeInstanceOf(KinesisTsError);
    expect(back).toMatchObject({
      name: 'KinesisTsError',
      code: 'STREAM_NOT_FOUND',
      message: 'stream s does not exist',
      context: { streamName: 's' },
    });
    expect(back.stack).toBe(original.stack);
    const cause = back.cause as Error & Record<string, unknown>;
    expect(cause).toBeInstanceOf(Error);
    expect(cause.name).toBe('ResourceNotFoundException');
    expect(cause.message).toBe('Stream s under account 000000000000 not found.');
    expect(cause.$fault).toBe('client');
    expect(cause.$metadata).toEqual({
      httpStatusCode: 400,
      requestId: 'req-1',
      attempts: 1,
      totalRetryDelay: 0,
    });
  });

  it('rebuild the core classes, lease details included', () => {
    const details = {
      consumerGroup: 'g',
      streamName: 's',
      shardId: 'shardId-000000000001',
      operation: 'renew' as const,
      expectedOwner: 'a',
      expectedCounter: 3,
      actualOwner: 'b',
      actualCounter: 4,
    };
    const lost = fromTransferableError(wire(toTransferableError(new LeaseLostError(details))));
    expect(lost).toBeInstanceOf(LeaseLostError);
    expect(lost).toMatchObject({ code: 'LEASE_LOST', ...details });
    const store = fromTransferableError(
      wire(toTransferableError(new StateStoreError(ErrorCode.TIMEOUT, 'slow', { context: { ms: 5 } }))),
    );
    expect(store).toBeInstanceOf(StateStoreError);
    expect(store).toMatchObject({ code: 'TIMEOUT', context: { ms: 5 } });
    const invalid = fromTransferableError(
      wire(toTransferableError(new ValidationError(ErrorCode.INVALID_PARTITION_KEY, 'empty'))),
    );
    expect(invalid).toBeInstanceOf(ValidationError);
  });

  it('keep the name of another package subclass, the code of system errors, and the cause chain', () => {
    class ProducerRecordError extends KinesisTsError {}
    const system = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const nested = new Error('request failed', { cause: system });
    const original = new ProducerRecordError(ErrorCode.RECORD_EXPIRED, 'expired', {
      cause: nested,
      context: { attempts: 3, lastError: new Error('throttled') },
    });
    const back = fromTransferableError(wire(toTransferableError(original))) as KinesisTsError;
    expect(back.name).toBe('ProducerRecordError');
    expect(back.code).toBe('RECORD_EXPIRED');
    expect(back.context.attempts).toBe(3);
    expect(back.context.lastError).toMatchObject({ name: 'Error', message: 'throttled' });
    expect((back.cause as Error).message).toBe('request failed');
    expect(((back.cause as Error).cause as Error & { code: string }).code).toBe('ECONNRESET');
  });

  it('turn thrown non-errors into messages', () => {
    expect(fromTransferableError(wire(toTransferableError('plain string'))).message).toBe('plain string');
    expect(fromTransferableError(wire(toTransferableError(42))).message).toBe('42');
  });
});

describe('toTransferableError', () => {
  it('stops at a bounded cause depth (cyclic causes do not loop)', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as Error & { cause: unknown }).cause = b;
    let value = toTransferableError(a);
    let depth = 0;
    while (value.cause !== undefined) {
      value = value.cause;
      depth++;
    }
    expect(depth).toBeLessThanOrEqual(8);
  });
});

describe('log contexts', () => {
  it.each(Object.entries(wires))('keep error fields as errors over %s', (_name, wire) => {
    const cause = sdkNotFound();
    const context = { shardId: 'shardId-1', attempts: 2, error: new Error('GetRecords failed', { cause }) };
    const back = fromTransferableLogContext(
      wire(toTransferableLogContext(context)) as Record<string, unknown>,
    )!;
    expect(Object.keys(back).sort()).toEqual(['attempts', 'error', 'shardId']);
    expect(back.shardId).toBe('shardId-1');
    expect(back.error).toBeInstanceOf(Error);
    expect((back.error as Error).message).toBe('GetRecords failed');
    expect(((back.error as Error).cause as Error).name).toBe('ResourceNotFoundException');
  });
  it('leave contexts without errors, and undefined, as they are', () => {
    expect(toTransferableLogContext(undefined)).toBeUndefined();
    expect(fromTransferableLogContext(undefined)).toBeUndefined();
    expect(fromTransferableLogContext(toTransferableLogContext({ a: 1 }))).toEqual({ a: 1 });
  });
});
