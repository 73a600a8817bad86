/**
 * Registered stream consumers (enhanced fan-out): find or register one and wait until it is ACTIVE,
 * or deregister it. Register and Deregister allow 5 calls per second per account, Describe 20 per
 * second per stream: calls are spaced accordingly within the process, and LimitExceededException
 * is retried with backoff.
 */
import type { ConsumerDescription } from '@aws-sdk/client-kinesis';
import {
  backoffDelay,
  type Clock,
  ErrorCode,
  KinesisTsError,
  type Logger,
  silentLogger,
  sleep,
  systemClock,
  ValidationError,
} from '@kinesis-ts/core';
import { classifyKinesisError, kinesisError } from '../kinesis-api.js';
import type { StreamConsumerApi } from './fan-out-api.js';

/** Which consumer to use: an existing ARN, or a name registered on the stream when missing. */
export interface StreamConsumerOptions {
  /** The stream (needed with `consumerName`). */
  readonly streamName?: string;
  /** The stream ARN; looked up with DescribeStreamSummary when absent. */
  readonly streamArn?: string;
  /** Consumer name to find or register (1..128 of a-z, A-Z, 0-9, _ . -). */
  readonly consumerName?: string;
  /** An existing consumer's ARN (wins over `consumerName`). */
  readonly consumerArn?: string;
  /** How long to wait for ACTIVE (or for a DELETING namesake to go away). Default 120,000 ms. */
  readonly timeoutMs?: number;
  /** Gap between DescribeStreamConsumer calls while waiting. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Time source. Default the system clock. */
  readonly clock?: Clock;
  /** Diagnostics. Default silent. */
  readonly logger?: Logger;
}

/** A stream consumer that is ACTIVE. */
export interface StreamConsumerInfo {
  readonly consumerArn: string;
  readonly consumerName: string;
  readonly streamArn: string | undefined;
  /** True when this call registered it. */
  readonly registered: boolean;
}

/** Minimum spacing of calls per operation within the process (5 TPS / 20 TPS). */
export const STREAM_CONSUMER_CALL_SPACING_MS = {
  RegisterStreamConsumer: 200,
  DeregisterStreamConsumer: 200,
  DescribeStreamConsumer: 50,
} as const;

type SpacedOperation = keyof typeof STREAM_CONSUMER_CALL_SPACING_MS;

/** Per-operation call gate: each call waits until `spacing` after the previous one was let through. */
class CallGate {
  readonly #nextAt = new Map<SpacedOperation, number>();

  async pass(operation: SpacedOperation, clock: Clock, signal?: AbortSignal): Promise<void> {
    const now = clock.now();
    const at = Math.max(now, this.#nextAt.get(operation) ?? now);
    this.#nextAt.set(operation, at + STREAM_CONSUMER_CALL_SPACING_MS[operation]);
    if (at > now) await sleep(at - now, clock, signal);
  }

  /** Forgets every reservation (tests). */
  reset(): void {
    this.#nextAt.clear();
  }
}

/** The process-wide gate (the limits are per account, not per consumer instance). */
const gate = new CallGate();

/** Forgets the process-wide call spacing (for tests that swap clocks). */
export function resetStreamConsumerCallSpacing(): void {
  gate.reset();
}

const CONSUMER_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const INITIAL_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;
const MAX_TRANSIENT_FAILURES = 8;

interface CallSettings {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  readonly context: Record<string, unknown>;
}

/** Runs a spaced call; retries throttling (and transient errors a few times) with backoff until the deadline. */
async function call<T>(
  operation: SpacedOperation | 'DescribeStreamSummary',
  s: CallSettings,
  run: () => Promise<T>,
): Promise<T> {
  let retries = 0;
  let failures = 0;
  for (;;) {
    if (operation !== 'DescribeStreamSummary') await gate.pass(operation, s.clock, s.signal);
    s.signal?.throwIfAborted();
    try {
      return await run();
    } catch (error) {
      s.signal?.throwIfAborted();
      const kind = classifyKinesisError(error);
      const name = (error as { name?: unknown } | null)?.name;
      if ((kind !== 'throttled' && kind !== 'transient') || name === 'ResourceInUseException') throw error;
      if (kind === 'transient' && ++failures >= MAX_TRANSIENT_FAILURES)
        throw kinesisError(operation, error, s.context);
      retries += 1;
      const delay = backoffDelay(retries, {
        baseMs: INITIAL_BACKOFF_MS,
        maxMs: MAX_BACKOFF_MS,
        jitter: 'equal',
      });
      if (s.clock.now() + delay > s.deadline) throw timeout(`${operation} kept failing`, s.context, error);
      s.logger.debug(`${operation} ${kind === 'throttled' ? 'throttled' : 'failed'}; retrying`, {
        ...s.context,
        delayMs: delay,
        error,
      });
      await sleep(delay, s.clock, s.signal);
    }
  }
}

function timeout(message: string, context: Record<string, unknown>, cause?: unknown): KinesisTsError {
  return new KinesisTsError(ErrorCode.TIMEOUT, message, { cause, context });
}

function isNotFound(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ResourceNotFoundException';
}

/**
 * Returns an ACTIVE stream consumer: `consumerArn` when given (waiting while it is CREATING), else
 * the consumer named `consumerName` on the stream, registered when missing. Concurrent callers
 * (several instances starting at once) converge on the same consumer.
 * @throws ValidationError for bad options; KinesisTsError `TIMEOUT` when it does not become ACTIVE in
 *   time; `STREAM_NOT_FOUND` / `KINESIS_REQUEST_FAILED` when the stream is missing or a call fails for good.
 */
export async function ensureStreamConsumer(
  api: StreamConsumerApi,
  options: StreamConsumerOptions,
  signal?: AbortSignal,
): Promise<StreamConsumerInfo> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  if (options.consumerArn === undefined) {
    if (typeof options.consumerName !== 'string' || !CONSUMER_NAME.test(options.consumerName)) {
      throw new ValidationError(
        ErrorCode.INVALID_ARGUMENT,
        'fanOut.consumerName must be 1..128 characters of a-z, A-Z, 0-9, _ . -',
        {
          context: { option: 'consumerName', value: options.consumerName },
        },
      );
    }
    if (
      options.streamArn === undefined &&
      (typeof options.streamName !== 'string' || options.streamName === '')
    ) {
      throw new ValidationError(
        ErrorCode.INVALID_ARGUMENT,
        'a stream name or ARN is needed to register a consumer',
        {
          context: { option: 'streamName', value: options.streamName },
        },
      );
    }
  } else if (typeof options.consumerArn !== 'string' || !options.consumerArn.startsWith('arn:')) {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'fanOut.consumerArn must be an ARN', {
      context: { option: 'consumerArn', value: options.consumerArn },
    });
  }
  const context = {
    streamName: options.streamName,
    consumerName: options.consumerName,
    consumerArn: options.consumerArn,
  };
  const s: CallSettings = { clock, logger, deadline: clock.now() + timeoutMs, signal, context };
  const describe = async (): Promise<ConsumerDescription | null> => {
    try {
      const out = await call('DescribeStreamConsumer', s, () =>
        api.describeStreamConsumer(
          options.consumerArn !== undefined
            ? { ConsumerARN: options.consumerArn }
            : { StreamARN: streamArn, ConsumerName: options.consumerName },
          signal,
        ),
      );
      return out.ConsumerDescription ?? null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw kinesisError('DescribeStreamConsumer', error, context);
    }
  };

  let streamArn = options.streamArn;
  if (options.consumerArn === undefined && streamArn === undefined) {
    try {
      const summary = await call('DescribeStreamSummary', s, () =>
        api.describeStreamSummary({ StreamName: options.streamName }, signal),
      );
      streamArn = summary.StreamDescriptionSummary?.StreamARN;
    } catch (error) {
      throw kinesisError('DescribeStreamSummary', error, context);
    }
    if (streamArn === undefined) {
      throw new KinesisTsError(
        ErrorCode.KINESIS_REQUEST_FAILED,
        'DescribeStreamSummary returned no stream ARN',
        { context },
      );
    }
  }

  let registered = false;
  for (;;) {
    const description = await describe();
    const status = description?.ConsumerStatus;
    if (description !== null && status === 'ACTIVE') {
      logger.info('stream consumer is active', { ...context, consumerArn: description.ConsumerARN });
      return {
        consumerArn: description.ConsumerARN ?? '',
        consumerName: description.ConsumerName ?? options.consumerName ?? '',
        streamArn: description.StreamARN ?? streamArn,
        registered,
      };
    }
    if (description === null && options.consumerArn !== undefined) {
      throw new KinesisTsError(
        ErrorCode.STREAM_NOT_FOUND,
        `stream consumer ${options.consumerArn} does not exist`,
        { context },
      );
    }
    if (description === null) {
      try {
        await call('RegisterStreamConsumer', s, () =>
          api.registerStreamConsumer({ StreamARN: streamArn, ConsumerName: options.consumerName }, signal),
        );
        registered = true;
        logger.info('registered a stream consumer; waiting until it is ACTIVE', context);
      } catch (error) {
        // Another instance registered it first: describe it again.
        if ((error as { name?: unknown } | null)?.name !== 'ResourceInUseException')
          throw kinesisError('RegisterStreamConsumer', error, context);
      }
      continue;
    }
    // CREATING (wait for ACTIVE) or DELETING (wait until gone, then register again).
    if (clock.now() + pollIntervalMs > s.deadline) {
      throw timeout(`stream consumer not ACTIVE after ${timeoutMs} ms (status ${String(status)})`, {
        ...context,
        status,
      });
    }
    await sleep(pollIntervalMs, clock, signal);
  }
}

/**
 * Deregisters a stream consumer (by ARN, or by stream ARN + name). Never called implicitly: every
 * application reading through this consumer loses its subscriptions. Resolves when the call was
 * accepted (the consumer is DELETING); a consumer that does not exist counts as done.
 */
export async function deregisterStreamConsumer(
  api: StreamConsumerApi,
  target: { readonly consumerArn: string } | { readonly streamArn: string; readonly consumerName: string },
  options: { readonly clock?: Clock; readonly logger?: Logger; readonly timeoutMs?: number } = {},
  signal?: AbortSignal,
): Promise<void> {
  const clock = options.clock ?? systemClock;
  const context = { ...target };
  const s: CallSettings = {
    clock,
    logger: options.logger ?? silentLogger,
    deadline: clock.now() + (options.timeoutMs ?? 60_000),
    signal,
    context,
  };
  try {
    await call('DeregisterStreamConsumer', s, () =>
      api.deregisterStreamConsumer(
        'consumerArn' in target
          ? { ConsumerARN: target.consumerArn }
          : { StreamARN: target.streamArn, ConsumerName: target.consumerName },
        signal,
      ),
    );
  } catch (error) {
    if (isNotFound(error)) return;
    throw kinesisError('DeregisterStreamConsumer', error, context);
  }
}
