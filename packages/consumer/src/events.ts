/**
 * Observability: the consumer's events (the consumer is a typed Node `EventEmitter` of them).
 */
import type { KinesisTsError } from '@kinesis-ts/core';

/** Events of a {@link KinesisConsumer}, with their payloads. */
export interface ConsumerEvents {
  /** This instance took (or was handed) a shard's lease. */
  leaseAcquired: { shardId: string; leaseCounter: number; stolen: boolean };
  /** This instance lost a lease it held (another owner took it, or renewals failed for `failoverTimeMs`). */
  leaseLost: { shardId: string; reason: string };
  /** This instance released a lease (handoff, quarantine, shard end or close). */
  leaseReleased: { shardId: string; reason: 'handoff' | 'close' | 'shard-end' | 'quarantine' };
  /** A shard reader started (or restarted after a crash). */
  shardStarted: { shardId: string; position: string; restart: number };
  /** A shard was read to SHARD_END and every record of it was processed. */
  shardEnded: { shardId: string; childShardIds: string[] };
  /**
   * A held shard no longer exists in the stream (trimmed after a reshard, e.g. the group was down
   * longer than the retention period): its remaining records are gone. The shard is treated as
   * ended, so its children are read next. A warning, not an error: the consumer keeps running.
   */
  shardNotFound: { shardId: string; childShardIds: string[]; message: string };
  /** A shard process/thread crashed or hung; it is restarted unless quarantined. */
  shardCrashed: { shardId: string; reason: string; crashes: number };
  /** A checkpoint was written. */
  checkpoint: { shardId: string; sequenceNumber: string; subSequenceNumber: number };
  /** Kinesis throttled a GetRecords call of a shard; the reader backs off. */
  throttled: { shardId: string; backoffMs: number };
  /** How far behind the tip of the shard the last GetRecords call was. */
  lag: { shardId: string; millisBehindLatest: number };
  /**
   * A record started with the KPL magic but failed a check (digest, protobuf, indexes): it was
   * delivered raw, as one plain record (the KCL's rule). Counted in `invalidAggregates`.
   */
  invalidAggregate: { shardId: string; sequenceNumber: string; reason: string };
  /**
   * A batch handler failed under the failure policy (`run(handler, { failure })`): it threw or reported
   * failed records. `records`: how many the failed call had.
   */
  batchFailed: { shardId: string; records: number; error: unknown };
  /** Failed records are called again after `delayMs` (`retry`: retries of the same records so far). */
  batchRetry: { shardId: string; records: number; retry: number; delayMs: number; error: unknown };
  /** A failing batch was split in two halves (`bisectOnError`). */
  batchBisected: { shardId: string; records: number; left: number; right: number };
  /** The failure destination accepted records; they are checkpointed like processed ones. */
  sentToDestination: {
    shardId: string;
    records: number;
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    firstSequenceNumber: string;
    lastSequenceNumber: string;
    attempts: number;
    error: unknown;
  };
  /** A non-fatal error (state store failure, quarantined shard, ...). Fatal errors end iteration. */
  error: KinesisTsError;
}

/**
 * The consumer's events as a Node `EventEmitter` event map: each event has one argument, its payload
 * (`consumer.on('lag', ({ shardId, millisBehindLatest }) => ...)`, `const [e] = await once(consumer, 'lag')`).
 */
export type ConsumerEventMap = { [K in keyof ConsumerEvents]: [payload: ConsumerEvents[K]] };

/** A listener of event `K`. */
export type ConsumerListener<K extends keyof ConsumerEvents> = (payload: ConsumerEvents[K]) => void;

/** Where the consumer's parts (shard sessions, the failure policy) emit events. Internal. */
export interface ConsumerEventSink {
  /** Delivers `payload` to the listeners of `event`; a listener that throws is logged and skipped. */
  emit<K extends keyof ConsumerEvents>(event: K, payload: ConsumerEvents[K]): void;
}
