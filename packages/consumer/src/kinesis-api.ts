/**
 * The few Kinesis calls the consumer makes, typed structurally so tests can pass a fake and the
 * shard reader does not depend on how the SDK client was built.
 */
import type {
  GetRecordsCommandInput,
  GetRecordsCommandOutput,
  GetShardIteratorCommandInput,
  GetShardIteratorCommandOutput,
  ListShardsCommandInput,
  ListShardsCommandOutput,
} from '@aws-sdk/client-kinesis';
import { ErrorCode, KinesisTsError } from '@kinesis-ts/core';

/** Output shapes without the SDK's `$metadata`, so fakes stay small. */
export type GetRecordsResult = Omit<GetRecordsCommandOutput, '$metadata'>;
/** {@link KinesisApi.getShardIterator}'s result. */
export type GetShardIteratorResult = Omit<GetShardIteratorCommandOutput, '$metadata'>;
/** {@link KinesisApi.listShards}'s result. */
export type ListShardsResult = Omit<ListShardsCommandOutput, '$metadata'>;

/** What the consumer needs from Kinesis. */
export interface KinesisApi {
  /** GetShardIterator. */
  getShardIterator(
    input: GetShardIteratorCommandInput,
    signal?: AbortSignal,
  ): Promise<GetShardIteratorResult>;
  /** GetRecords. */
  getRecords(input: GetRecordsCommandInput, signal?: AbortSignal): Promise<GetRecordsResult>;
  /** ListShards (one page). */
  listShards(input: ListShardsCommandInput, signal?: AbortSignal): Promise<ListShardsResult>;
}

/** The kinds of Kinesis failures the consumer treats differently. */
export type KinesisFailureKind =
  | 'throttled'
  | 'expired-iterator'
  | 'not-found'
  | 'fatal'
  | 'transient'
  | 'aborted';

const FATAL = new Set([
  'AccessDeniedException',
  'InvalidArgumentException',
  'ValidationException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'UnrecognizedClientException',
  'InvalidSignatureException',
]);

/** Classifies an error thrown by a Kinesis call (SDK errors carry the exception name in `name`). */
export function classifyKinesisError(error: unknown): KinesisFailureKind {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'AbortError') return 'aborted';
  if (name === 'ProvisionedThroughputExceededException' || name === 'LimitExceededException')
    return 'throttled';
  if (name === 'KMSThrottlingException' || name === 'ThrottlingException') return 'throttled';
  if (name === 'ExpiredIteratorException') return 'expired-iterator';
  if (name === 'ResourceNotFoundException') return 'not-found';
  if (typeof name === 'string' && FATAL.has(name)) return 'fatal';
  return 'transient';
}

/** Wraps a failed Kinesis call in a typed error (`STREAM_NOT_FOUND` or `KINESIS_REQUEST_FAILED`). */
export function kinesisError(
  operation: string,
  error: unknown,
  context: Record<string, unknown>,
): KinesisTsError {
  if (error instanceof KinesisTsError) return error;
  const kind = classifyKinesisError(error);
  const name = (error as { name?: unknown } | null)?.name;
  const message = (error as { message?: unknown } | null)?.message;
  if (kind === 'not-found') {
    return new KinesisTsError(
      ErrorCode.STREAM_NOT_FOUND,
      `${operation}: stream or shard not found (${String(message)})`,
      {
        cause: error,
        context,
      },
    );
  }
  return new KinesisTsError(
    ErrorCode.KINESIS_REQUEST_FAILED,
    `${operation} failed: ${String(name)}: ${String(message)}`,
    {
      cause: error,
      context,
    },
  );
}
