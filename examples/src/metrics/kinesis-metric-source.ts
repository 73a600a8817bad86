/**
 * What the metric recipes read: a consumer's and a producer's counters (`stats()`, exact totals read
 * when a metrics system collects) plus what only events tell (lag per shard, consumer throttles, lease
 * changes, errors). Shared by the OpenTelemetry, prom-client and Powertools recipes next to it.
 */
import type { EventEmitter } from 'node:events';
import type { ConsumerEvents, KinesisConsumer } from '@kinesis-ts/consumer';
import type { KinesisProducer } from '@kinesis-ts/producer';

/** Consumer figures at one moment. Counters are totals since the source was created. */
export interface ConsumerMetricsSnapshot {
  /** `millisBehindLatest` of the last GetRecords call, per shard this instance holds. */
  readonly lagByShard: ReadonlyMap<string, number>;
  /** Records the user's code processed (`stats().recordsProcessed`). */
  readonly recordsProcessed: number;
  /** Throttled GetRecords calls, per shard. */
  readonly throttlesByShard: ReadonlyMap<string, number>;
  /** Leases held now. */
  readonly leasesOwned: number;
  /** Lease changes by kind. */
  readonly leaseChanges: { readonly acquired: number; readonly lost: number; readonly released: number };
  /** Handler calls that failed (under a failure policy). */
  readonly handlerFailures: number;
  /** Non-fatal `error` events, by error code. */
  readonly errorsByCode: ReadonlyMap<string, number>;
}

/** Producer figures at one moment (`stats()`): totals since the producer was created. */
export interface ProducerMetricsSnapshot {
  /** Records by outcome: accepted by `put()`, acknowledged by Kinesis, failed (their promise rejected). */
  readonly records: { readonly put: number; readonly acknowledged: number; readonly failed: number };
  /** Kinesis entries sent again after a failed entry or request. */
  readonly retried: number;
  /** Of those, entries Kinesis throttled. */
  readonly throttled: number;
  /** PutRecords requests completed. */
  readonly requests: number;
  /** PutRecords requests that got no answer within their timeout. */
  readonly requestsTimedOut: number;
}

/**
 * Listens to a consumer and/or a producer and answers {@link KinesisMetricSource.consumer} /
 * {@link KinesisMetricSource.producer} snapshots. Listeners cost one map update per event (per
 * GetRecords call at most), never per record. `close()` removes them.
 */
export class KinesisMetricSource {
  readonly #consumer: KinesisConsumer | undefined;
  readonly #producer: KinesisProducer | undefined;
  readonly #lag = new Map<string, number>();
  readonly #throttles = new Map<string, number>();
  readonly #errors = new Map<string, number>();
  readonly #leaseChanges = { acquired: 0, lost: 0, released: 0 };
  readonly #detach: (() => void)[] = [];

  constructor(targets: { consumer?: KinesisConsumer; producer?: KinesisProducer }) {
    this.#consumer = targets.consumer;
    this.#producer = targets.producer;
    const consumer = targets.consumer;
    if (consumer === undefined) return;
    const forget = (shardId: string): void => {
      this.#lag.delete(shardId);
    };
    this.#listen(consumer, 'lag', ({ shardId, millisBehindLatest }) => {
      this.#lag.set(shardId, millisBehindLatest);
    });
    this.#listen(consumer, 'throttled', ({ shardId }) => {
      this.#throttles.set(shardId, (this.#throttles.get(shardId) ?? 0) + 1);
    });
    this.#listen(consumer, 'leaseAcquired', () => {
      this.#leaseChanges.acquired += 1;
    });
    this.#listen(consumer, 'leaseLost', ({ shardId }) => {
      this.#leaseChanges.lost += 1;
      forget(shardId);
    });
    this.#listen(consumer, 'leaseReleased', ({ shardId }) => {
      this.#leaseChanges.released += 1;
      forget(shardId);
    });
    this.#listen(consumer, 'shardEnded', ({ shardId }) => forget(shardId));
    this.#listen(consumer, 'error', (error) => {
      this.#errors.set(error.code, (this.#errors.get(error.code) ?? 0) + 1);
    });
  }

  #listen<K extends keyof ConsumerEvents>(
    consumer: KinesisConsumer,
    event: K,
    listener: (payload: ConsumerEvents[K]) => void,
  ): void {
    // Node's emitter typings do not narrow a generic event name; the listener's type is checked above.
    const untyped = consumer as EventEmitter;
    untyped.on(event, listener);
    this.#detach.push(() => untyped.off(event, listener));
  }

  /** The consumer's figures now, or `undefined` without a consumer. */
  consumer(): ConsumerMetricsSnapshot | undefined {
    const consumer = this.#consumer;
    if (consumer === undefined) return undefined;
    const stats = consumer.stats();
    return {
      lagByShard: new Map(this.#lag),
      recordsProcessed: stats.recordsProcessed,
      throttlesByShard: new Map(this.#throttles),
      leasesOwned: consumer.ownedShards.length,
      leaseChanges: { ...this.#leaseChanges },
      handlerFailures: stats.handlerFailures,
      errorsByCode: new Map(this.#errors),
    };
  }

  /** The producer's figures now, or `undefined` without a producer. */
  producer(): ProducerMetricsSnapshot | undefined {
    const producer = this.#producer;
    if (producer === undefined) return undefined;
    const s = producer.stats();
    return {
      records: { put: s.recordsPut, acknowledged: s.recordsAcknowledged, failed: s.recordsFailed },
      retried: s.retried,
      throttled: s.throttled,
      requests: s.requests,
      requestsTimedOut: s.requestsTimedOut,
    };
  }

  /** Removes the listeners. Idempotent. */
  close(): void {
    for (const detach of this.#detach.splice(0)) detach();
  }
}
