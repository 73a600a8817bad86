/**
 * Kinesis failures as typed errors that name the stream and where the CLI looked.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ErrorCode, KinesisTsError } from '@kinesis-ts/core';
import { describeKinesisTarget } from './aws-settings.js';

/**
 * Runs a Kinesis call for `streamName`; a `ResourceNotFoundException` (or an already typed
 * `STREAM_NOT_FOUND`) becomes a `STREAM_NOT_FOUND` error that says where the CLI looked.
 */
export async function forStream<T>(
  client: KinesisClient,
  streamName: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const name = (error as { name?: unknown } | null)?.name;
    const code = (error as { code?: unknown } | null)?.code;
    if (name === 'ResourceNotFoundException' || code === ErrorCode.STREAM_NOT_FOUND) {
      throw new KinesisTsError(
        ErrorCode.STREAM_NOT_FOUND,
        `stream "${streamName}" not found (${await describeKinesisTarget(client)})`,
        { cause: error, context: { streamName } },
      );
    }
    throw error;
  }
}
