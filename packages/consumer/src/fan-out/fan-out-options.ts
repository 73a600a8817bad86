/**
 * The consumer's `fanOut` option: its public shape, defaults and validation.
 */
import { assertKnownOptions, ErrorCode, type OptionKeys, ValidationError } from '@kinesis-ts/core';
import { type FanOutHttpHandlerOptions, resolveFanOutHttp2Settings } from './http2-handler.js';

/**
 * Enhanced fan-out: read through SubscribeToShard with a registered stream consumer instead of
 * polling GetRecords. Leases, checkpoints, resharding and runners work the same.
 */
export interface FanOutOptions {
  /**
   * Stream consumer to find, or register when missing (RegisterStreamConsumer), at `start()`.
   * Default: the consumer group (it must then match `[a-zA-Z0-9_.-]{1,128}`).
   */
  readonly consumerName?: string;
  /** An existing stream consumer's ARN; wins over `consumerName` and is never registered. */
  readonly consumerArn?: string;
  /**
   * Deregister the stream consumer in `close()`. Default false: deregistration is never implicit,
   * since every instance reading through the consumer loses its subscriptions.
   */
  readonly deregisterOnClose?: boolean;
  /**
   * HTTP for SubscribeToShard. Default pooled HTTP/2 (`{ protocol: 'http2' }`), which AWS requires;
   * `{ protocol: 'http1' }` works on kinesis-local. Polling-side calls keep the HTTP/1.1 client.
   */
  readonly http?: FanOutHttpHandlerOptions;
  /** Events buffered per shard before the subscription is no longer read (backpressure). Default 4. */
  readonly maxBufferedEvents?: number;
  /**
   * Renew every subscription after this long instead of when the server ends it (5 minutes on AWS).
   * Mostly for tests and emulators.
   */
  readonly maxSubscriptionMs?: number;
  /** How long `start()` waits for the stream consumer to become ACTIVE. Default 120,000 ms. */
  readonly registrationTimeoutMs?: number;
}

/** {@link FanOutOptions} with the defaults applied. */
export interface ResolvedFanOutOptions {
  readonly consumerName: string | undefined;
  readonly consumerArn: string | undefined;
  readonly deregisterOnClose: boolean;
  readonly http: FanOutHttpHandlerOptions;
  readonly maxBufferedEvents: number;
  readonly maxSubscriptionMs: number | undefined;
  readonly registrationTimeoutMs: number;
}

const CONSUMER_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

const FAN_OUT_KEYS: OptionKeys<FanOutOptions> = {
  consumerName: true,
  consumerArn: true,
  deregisterOnClose: true,
  http: true,
  maxBufferedEvents: true,
  maxSubscriptionMs: true,
  registrationTimeoutMs: true,
};

const HTTP_KEYS: OptionKeys<FanOutHttpHandlerOptions> = {
  protocol: true,
  maxStreamsPerSession: true,
  initialWindowSize: true,
  maxSessionMemoryMiB: true,
  sessionIdleTimeoutMs: true,
  maxSockets: true,
};

function invalid(option: string, message: string, value: unknown): ValidationError {
  return new ValidationError(ErrorCode.INVALID_ARGUMENT, `option fanOut.${option} ${message}`, {
    context: { option: `fanOut.${option}`, value },
  });
}

function positiveInteger(value: unknown, name: string, fallback: number): number;
function positiveInteger(value: unknown, name: string, fallback: undefined): number | undefined;
function positiveInteger(value: unknown, name: string, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalid(name, 'must be a positive integer', value);
  }
  return value;
}

/**
 * Validates `fanOut` (`undefined`: polling) and applies the defaults.
 * @throws ValidationError (`INVALID_ARGUMENT`) naming the bad field.
 */
export function resolveFanOutOptions(
  input: FanOutOptions | undefined,
  consumerGroup: string,
): ResolvedFanOutOptions | null {
  if (input === undefined) return null;
  if (input === null || typeof input !== 'object') {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'option fanOut must be an object', {
      context: { option: 'fanOut', value: input },
    });
  }
  assertKnownOptions(input, FAN_OUT_KEYS, { path: 'fanOut.' });
  const consumerArn = input.consumerArn;
  if (consumerArn !== undefined && (typeof consumerArn !== 'string' || !consumerArn.startsWith('arn:'))) {
    throw invalid('consumerArn', 'must be a stream consumer ARN', consumerArn);
  }
  let consumerName = input.consumerName;
  if (consumerName !== undefined && (typeof consumerName !== 'string' || !CONSUMER_NAME.test(consumerName))) {
    throw invalid('consumerName', 'must be 1..128 characters of a-z, A-Z, 0-9, _ . -', consumerName);
  }
  if (consumerArn === undefined && consumerName === undefined) {
    if (!CONSUMER_NAME.test(consumerGroup)) {
      throw invalid(
        'consumerName',
        `is required: the consumer group ${JSON.stringify(consumerGroup)} is not a valid stream consumer name`,
        consumerName,
      );
    }
    consumerName = consumerGroup;
  }
  if (input.deregisterOnClose !== undefined && typeof input.deregisterOnClose !== 'boolean') {
    throw invalid('deregisterOnClose', 'must be a boolean', input.deregisterOnClose);
  }
  const http = input.http ?? {};
  if (typeof http !== 'object' || http === null) throw invalid('http', 'must be an object', http);
  assertKnownOptions(http, HTTP_KEYS, { path: 'fanOut.http.' });
  if (http.protocol !== undefined && http.protocol !== 'http2' && http.protocol !== 'http1') {
    throw invalid('http.protocol', "must be 'http2' or 'http1'", http.protocol);
  }
  resolveFanOutHttp2Settings(http);
  return {
    consumerName,
    consumerArn,
    deregisterOnClose: input.deregisterOnClose ?? false,
    http: { ...http },
    maxBufferedEvents: positiveInteger(input.maxBufferedEvents, 'maxBufferedEvents', 4),
    maxSubscriptionMs: positiveInteger(input.maxSubscriptionMs, 'maxSubscriptionMs', undefined),
    registrationTimeoutMs: positiveInteger(input.registrationTimeoutMs, 'registrationTimeoutMs', 120_000),
  };
}
