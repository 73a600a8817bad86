/**
 * A failure destination that puts one record per failed record into another Kinesis stream through
 * `@kinesis-ts/producer` (an optional peer dependency, loaded on the first failure).
 */
import { ErrorCode, ValidationError } from '@kinesis-ts/core';
import { type FailedRecords, type FailureDestination, failedRecordDocuments } from './failure-destination.js';

/** The part of a `KinesisProducer` this destination uses. */
export interface DestinationProducer {
  put(data: string | Uint8Array, options?: { partitionKey?: string }): Promise<unknown>;
  close(): Promise<void>;
}

/** Options of {@link kinesisStreamDestination}. */
export interface KinesisStreamDestinationOptions {
  /** The destination stream (e.g. `orders-failed`). Required unless `producer` is given. */
  readonly streamName?: string;
  /**
   * Your own producer for the destination stream (not closed by the destination). Default: one
   * created on the first failure with `producerOptions` and closed with the consumer.
   */
  readonly producer?: DestinationProducer;
  /** Options of the producer created here (`streamName` is added), e.g. `clientConfig`, `runner`. */
  readonly producerOptions?: Record<string, unknown>;
  /** Put each record's payload (base64) into its document. Default `true` (mind the 1 MiB record limit: base64 adds a third). */
  readonly includeData?: boolean;
}

const PRODUCER_MODULE = '@kinesis-ts/producer';

/**
 * Puts one JSON document per failed record (`FailedRecordDocument`) into `streamName`, partition key =
 * the record's own, so a key's failures stay in order. `send` resolves once Kinesis acknowledged every
 * document. `@kinesis-ts/producer` must be installed when no `producer` is given.
 */
export function kinesisStreamDestination(options: KinesisStreamDestinationOptions): FailureDestination {
  if (
    options.producer === undefined &&
    (typeof options.streamName !== 'string' || options.streamName === '')
  ) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      'kinesisStreamDestination: streamName (or producer) is required',
      {
        context: { streamName: options.streamName },
      },
    );
  }
  const includeData = options.includeData ?? true;
  let producer: Promise<DestinationProducer> | null =
    options.producer === undefined ? null : Promise.resolve(options.producer);
  const owned = options.producer === undefined;
  const producerFor = (): Promise<DestinationProducer> => {
    producer ??= (async () => {
      let mod: { KinesisProducer: new (o: Record<string, unknown>) => DestinationProducer };
      try {
        mod = (await import(PRODUCER_MODULE)) as typeof mod;
      } catch (cause) {
        throw new ValidationError(
          ErrorCode.INVALID_ARGUMENT,
          'kinesisStreamDestination needs @kinesis-ts/producer: npm install @kinesis-ts/producer (or pass a producer)',
          { cause },
        );
      }
      return new mod.KinesisProducer({ ...options.producerOptions, streamName: options.streamName });
    })().catch((error: unknown) => {
      producer = null;
      throw error;
    });
    return producer;
  };
  return {
    async send(failed: FailedRecords): Promise<void> {
      const target = await producerFor();
      const docs = failedRecordDocuments(failed, includeData);
      await Promise.all(
        docs.map((doc) => target.put(JSON.stringify(doc), { partitionKey: doc.partitionKey })),
      );
    },
    async close(): Promise<void> {
      if (!owned || producer === null) return;
      const created = await producer.catch(() => null);
      await created?.close();
    },
  };
}
