import { ValidationError } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { type KinesisProducerOptions, resolveProducerOptions } from './options.js';

function rejection(options: Record<string, unknown>): Record<string, unknown> {
  try {
    resolveProducerOptions(options as unknown as KinesisProducerOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('INVALID_ARGUMENT');
    return { message: (error as Error).message, ...(error as ValidationError).context };
  }
  throw new Error('expected a ValidationError');
}

describe('producer options', () => {
  it('reject unknown keys at every level, with the nearest known key', () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ bufferTimeMs: 100 }, 'bufferTimeMs', 'bufferTime'],
      [{ retry: { maxDelayMs: 100 } }, 'retry.maxDelayMs', 'maxDelay'],
      [{ rateLimit: { recordsPerSec: 10 } }, 'rateLimit.recordsPerSec', 'recordsPerSecond'],
      [{ aggregation: { maxByte: 1000 } }, 'aggregation.maxByte', 'maxBytes'],
      [{ spool: { dir: '/tmp/x', fsnyc: 'always' } }, 'spool.fsnyc', 'fsync'],
      [{ recordTTL: 100 }, 'recordTTL', 'recordTtl'],
    ];
    for (const [options, option, suggestion] of cases) {
      const error = rejection({ streamName: 's', ...options });
      expect(error).toMatchObject({ option, suggestion });
      expect(error.message).toMatch(/^KinesisProducer option .* is not a known option \(did you mean /);
    }
  });

  it('reject wrong-typed credentials, client config and client', () => {
    expect(rejection({ streamName: 's', credentials: 'AKIA' })).toMatchObject({ option: 'credentials' });
    expect(rejection({ streamName: 's', clientConfig: { endpoint: 4567 } })).toMatchObject({
      option: 'clientConfig.endpoint',
    });
    expect(rejection({ streamName: 's', runner: 'inline', client: { region: 'x' } })).toMatchObject({
      option: 'client',
    });
  });

  it('accept well-formed options', () => {
    const resolved = resolveProducerOptions({
      streamName: 's',
      bufferTime: 10,
      retry: { baseDelay: 10, maxDelay: 100 },
      rateLimit: { recordsPerSecond: 5 },
      aggregation: { maxBytes: 1000 },
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      clientConfig: { region: 'eu-west-1', endpoint: 'http://localhost:4567' },
      spool: { dir: '/tmp/spool', fsync: 'always' },
    });
    expect(resolved.pipeline.bufferTime).toBe(10);
    expect(resolved.pipeline.retry).toEqual({ baseDelay: 10, maxDelay: 100 });
    expect(resolved.spool?.fsync).toBe('always');
  });
});
