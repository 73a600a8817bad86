/**
 * Where the producer's buffer lives: the transport between the `put()` facade and the pipeline.
 */

import type { RecordAck } from '../acks.js';
import type { RecordFailure } from '../errors.js';
import type { ProducerEvent } from '../events.js';
import type { IncomingRecord, StreamInfo } from '../pipeline.js';

/** Callbacks a runner reports to. */
export interface RunnerCallbacks {
  /** Record outcomes, batched. */
  settled(acks: RecordAck[]): void;
  /** Observability events. */
  event(event: ProducerEvent): void;
  /** The runner died with records outstanding (process runner only). */
  crashed(error: Error): void;
  /** Its {@link Runner.backlog} shrank or stopped waiting: the producer may hand over more records. */
  backlogChanged?(): void;
}

/**
 * Records a runner sends on its own account (the spool's replay). They count against the producer's
 * `maxOutstandingRecords` / `maxOutstandingBytes`, and go out before any new record.
 */
export interface RunnerBacklog {
  /** Handed to the pipeline and not yet settled. */
  readonly records: number;
  /** Their data + partition key bytes. */
  readonly bytes: number;
  /** Some are still waiting to be handed over: the producer hands over no new record meanwhile. */
  readonly waiting: boolean;
}

/** A pipeline host. */
export interface Runner {
  /** Starts the host and the pipeline (describe stream, shard map). Idempotent; retried after a failure. */
  start(): Promise<StreamInfo>;
  /** Hands records to the host; resolves once they are handed over (written to the channel). */
  send(records: IncomingRecord[]): Promise<void>;
  /** Sends now; resolves when every record sent before the call (with `upToId`: with an id up to it) has settled. */
  flush(upToId?: number): Promise<void>;
  /** Flushes and stops the host. */
  close(): Promise<void>;
  /**
   * Stops at once without flushing (`close()` ran out of time or was aborted): records not yet
   * settled are given up (`failure`); requests in flight may still land. Idempotent.
   */
  abort(failure: RecordFailure): void;
  /** What the runner sends on its own account (absent: nothing). */
  backlog?(): RunnerBacklog;
}
