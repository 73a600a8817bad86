/**
 * The loggers users bring (console, pino, Powertools Logger) keep kinesis-ts's structured context:
 * every field a top-level key of the JSON line, errors logged as error objects (type, message,
 * stack, cause), whether the logger is used directly or through a consumer that fails.
 */
import { Writable } from 'node:stream';
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { KinesisConsumer } from '@kinesis-ts/consumer';
import { KinesisTsError, type Logger, pinoLogger, prefixLogger, resolveLogger } from '@kinesis-ts/core';
import { KinesisProducer } from '@kinesis-ts/producer';
import { DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** A pino logger writing JSON lines into `lines`. */
function capturedPino(lines: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      callback();
    },
  });
  return pino({ level: 'debug' }, sink);
}

/** A Powertools logger whose JSON lines (written to stdout/stderr) land in `lines`. */
function capturedPowertools(lines: Record<string, unknown>[]) {
  const capture = (chunk: unknown): boolean => {
    for (const line of String(chunk).split('\n')) {
      if (line.trim().startsWith('{')) lines.push(JSON.parse(line));
    }
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  return new PowertoolsLogger({ serviceName: 'orders', logLevel: 'DEBUG' });
}

function sdkNotFound(): Error {
  const error = new Error('Stream s not found.');
  error.name = 'ResourceNotFoundException';
  return error;
}

function logSample(logger: Logger): void {
  const error = new KinesisTsError('STREAM_NOT_FOUND', 'stream s does not exist', {
    cause: sdkNotFound(),
    context: { streamName: 's' },
  });
  const log = prefixLogger(logger, '[kinesis-ts consumer]');
  log.info('lease acquired', { shardId: 'shardId-000000000001', owner: 'host-1', leaseCounter: 7 });
  log.error('consumer failed', { shardId: 'shardId-000000000001', error });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('loggers keep the structured context', () => {
  it('pino, passed as it is (recognised by its shape): fields are top-level keys, the error is serialized', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = capturedPino(lines);
    // What the packages do with the `logger` option.
    logSample(resolveLogger(logger));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: '[kinesis-ts consumer] lease acquired',
      shardId: 'shardId-000000000001',
      owner: 'host-1',
      leaseCounter: 7,
    });
    expect(lines[1]).toMatchObject({
      level: 50,
      msg: '[kinesis-ts consumer] consumer failed',
      shardId: 'shardId-000000000001',
      err: {
        type: 'KinesisTsError',
        message: expect.stringContaining('stream s does not exist'),
        code: 'STREAM_NOT_FOUND',
        stack: expect.stringContaining('KinesisTsError'),
      },
    });
    expect(JSON.stringify(lines[1])).toContain('ResourceNotFoundException');
  });

  it('pino through pinoLogger() gives the same lines', () => {
    const lines: Record<string, unknown>[] = [];
    logSample(pinoLogger(capturedPino(lines)));
    expect(lines.map((l) => [l.msg, l.shardId])).toEqual([
      ['[kinesis-ts consumer] lease acquired', 'shardId-000000000001'],
      ['[kinesis-ts consumer] consumer failed', 'shardId-000000000001'],
    ]);
    expect(lines[1]).toMatchObject({ err: { type: 'KinesisTsError', code: 'STREAM_NOT_FOUND' } });
  });

  it('Powertools Logger, passed as it is: fields are top-level keys, the error is an error object', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = capturedPowertools(lines);
    // Accepted as the option's type by every package.
    const consumer = new KinesisConsumer({ streamName: 's', runner: 'inline', logger });
    const producer = new KinesisProducer({ streamName: 's', runner: 'inline', logger });
    const state = new DynamoDBState({ tableName: 'leases', logger });
    expect([consumer, producer, state]).toHaveLength(3);
    logSample(resolveLogger(logger));
    vi.restoreAllMocks();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: '[kinesis-ts consumer] lease acquired',
      service: 'orders',
      shardId: 'shardId-000000000001',
      owner: 'host-1',
      leaseCounter: 7,
    });
    expect(lines[1]).toMatchObject({
      level: 'ERROR',
      message: '[kinesis-ts consumer] consumer failed',
      shardId: 'shardId-000000000001',
      error: { name: 'KinesisTsError', message: 'stream s does not exist' },
    });
    expect(JSON.stringify(lines[1])).toContain('ResourceNotFoundException');
  });

  it('console receives the message and the context object, the error as the Error instance', () => {
    const calls: unknown[][] = [];
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        calls.push([level, ...args]);
      });
    }
    logSample(resolveLogger(console));
    expect(calls[0]).toEqual([
      'info',
      '[kinesis-ts consumer] lease acquired',
      { shardId: 'shardId-000000000001', owner: 'host-1', leaseCounter: 7 },
    ]);
    expect(calls[1]?.[0]).toBe('error');
    const context = calls[1]?.[2] as { error: unknown };
    expect(context.error).toBeInstanceOf(KinesisTsError);
    expect(((context.error as Error).cause as Error).name).toBe('ResourceNotFoundException');
  });

  it('a consumer given pino logs its failure with the error object and the stream', async () => {
    const lines: Record<string, unknown>[] = [];
    const consumer = new KinesisConsumer({
      streamName: 'no-such-stream-loggers',
      runner: 'inline',
      logger: capturedPino(lines),
    });
    await expect(consumer.run(async () => {})).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
    await consumer.close();
    const failure = lines.find((l) => l.err !== undefined);
    expect(failure, JSON.stringify(lines)).toBeDefined();
    expect(failure).toMatchObject({ err: { code: 'STREAM_NOT_FOUND', type: 'KinesisTsError' } });
    expect(JSON.stringify(failure)).toContain('ResourceNotFoundException');
  });
});
