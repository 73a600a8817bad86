/**
 * The enhanced fan-out record source: one shard read through SubscribeToShard. A background pump
 * pulls the subscription's events into a small bounded queue and stops pulling while it is full,
 * so HTTP/2 flow control holds the server back; `next()` hands queued events out in shard order.
 * Subscriptions end (AWS: after 5 minutes) and are renewed from the last queued event's
 * `ContinuationSequenceNumber`; ResourceInUseException (the previous subscription is still
 * winding down, or the consumer is not ACTIVE yet) is retried with backoff; stream errors fall back
 * to a fresh subscription from the same position, so nothing is lost and nothing repeats.
 */
import type {
  _Record,
  SubscribeToShardCommandInput,
  SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import {
  backoffDelay,
  type Clock,
  ErrorCode,
  KinesisTsError,
  sleep,
  type TimerHandle,
} from '@kinesis-ts/core';
import { classifyKinesisError, type KinesisApi, kinesisError } from '../kinesis-api.js';
import type {
  ChildShardInfo,
  RecordBatch,
  RecordSourceObserver,
  ShardReadSpec,
  ShardRecordSource,
  StartPosition,
} from '../record-source.js';
import { explainShardNotFound } from '../shard-not-found.js';
import { ShardRecordDecoder, toChildShardInfo } from '../shard-record-decoder.js';
import { pinLatest } from '../start-position.js';
import type { FanOutApi } from './fan-out-api.js';

/** Tuning of {@link FanOutShardSource}. */
export interface FanOutSourceOptions {
  /** ARN of the registered (ACTIVE) stream consumer. */
  readonly consumerArn: string;
  /** Time source (backoff, event timeout, subscription duration). */
  readonly clock: Clock;
  /** Most events received and not yet handed out; the pump stops reading while full. Default 4. */
  readonly maxBufferedEvents?: number;
  /** Most record bytes of those events (may be overshot by one event). Default 4 MiB. */
  readonly maxBufferedBytes?: number;
  /** First backoff after a failed or refused subscription; doubles up to `maxBackoffMs`. Default 500 ms. */
  readonly initialBackoffMs?: number;
  /** Longest backoff. Default 10,000 ms. */
  readonly maxBackoffMs?: number;
  /**
   * Consecutive failed subscriptions (errors without any event in between) after which the source
   * gives up. ResourceInUseException and throttling do not count. Default 10.
   */
  readonly maxConsecutiveFailures?: number;
  /**
   * A subscription that delivers no event for this long while being read is dropped and renewed
   * (AWS sends one at least every 5 s). Default 35,000 ms.
   */
  readonly eventTimeoutMs?: number;
  /**
   * Ends each subscription after this long and renews it, as AWS does after 5 minutes. Default:
   * never (the server decides). A test hook, and a way to bound a subscription's life.
   */
  readonly maxSubscriptionMs?: number;
  /**
   * GetShardIterator + GetRecords, used only when a caught-up subscription ends: one GetRecords after
   * the last event tells whether the shard is closed and fully read (`NextShardIterator` null) and
   * names its children. AWS ends a closed shard's subscription with a ChildShards event anyway;
   * kinesis-local never does, so without this a split parent would be read forever there. Its
   * ListShards tells a trimmed shard (ended, `SHARD_NOT_FOUND`) from a missing stream (fatal) when a
   * subscription gets `ResourceNotFoundException`.
   */
  readonly shardEndProbe?: Pick<KinesisApi, 'getShardIterator' | 'getRecords' | 'listShards'>;
}

interface QueuedEvent {
  readonly records: _Record[];
  offset: number;
  readonly bytes: number;
  readonly millisBehindLatest: number;
  readonly ended: boolean;
  readonly childShards: ChildShardInfo[] | undefined;
}

const EXCEPTION_MEMBERS = [
  'ResourceNotFoundException',
  'ResourceInUseException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSAccessDeniedException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'KMSThrottlingException',
  'InternalFailureException',
] as const;

/** An exception delivered as an event-stream member, as an error with the exception's name. */
function eventException(event: SubscribeToShardEventStream): Error | null {
  const members = event as unknown as Record<string, unknown>;
  for (const name of EXCEPTION_MEMBERS) {
    const value = members[name] as { message?: unknown } | undefined;
    if (value !== undefined) {
      const error = new Error(String(value?.message ?? name));
      error.name = name;
      return error;
    }
  }
  return null;
}

/**
 * Reads one shard through SubscribeToShard (see the module comment). The pump starts at the first
 * `next()` and stops when that call's signal aborts or {@link close} is called.
 */
export class FanOutShardSource implements ShardRecordSource {
  readonly #api: FanOutApi;
  readonly #spec: ShardReadSpec;
  readonly #observer: RecordSourceObserver;
  readonly #o: Required<Omit<FanOutSourceOptions, 'maxSubscriptionMs' | 'shardEndProbe'>> & {
    maxSubscriptionMs: number | undefined;
    shardEndProbe: FanOutSourceOptions['shardEndProbe'];
  };
  readonly #decoder: ShardRecordDecoder;
  readonly #stop = new AbortController();
  #queue: QueuedEvent[] = [];
  #queuedBytes = 0;
  /** Continuation of the last queued event: where the next subscription starts (after it). */
  #resumeAfter: string | null = null;
  /** Where a subscription starts before any event: the spec's, `LATEST` pinned once used. */
  #position: StartPosition;
  #endQueued = false;
  /** The last queued event found the shard caught up (`MillisBehindLatest` 0). */
  #caughtUp = false;
  #endDelivered = false;
  #failure: KinesisTsError | null = null;
  #pump: Promise<void> | null = null;
  #dataWaiter: (() => void) | null = null;
  #roomWaiter: (() => void) | null = null;
  #subscriptions = 0;

  constructor(
    api: FanOutApi,
    spec: ShardReadSpec,
    observer: RecordSourceObserver,
    options: FanOutSourceOptions,
  ) {
    this.#api = api;
    this.#spec = spec;
    this.#position = spec.position;
    this.#observer = observer;
    this.#o = {
      maxBufferedEvents: 4,
      maxBufferedBytes: 4 * 1024 * 1024,
      initialBackoffMs: 500,
      maxBackoffMs: 10_000,
      maxConsecutiveFailures: 10,
      eventTimeoutMs: 35_000,
      ...options,
      maxSubscriptionMs: options.maxSubscriptionMs,
      shardEndProbe: options.shardEndProbe,
    };
    this.#decoder = new ShardRecordDecoder(spec);
  }

  /** SubscribeToShard calls made so far. */
  get subscriptions(): number {
    return this.#subscriptions;
  }

  /** Events received and not fully handed out. */
  get bufferedEvents(): number {
    return this.#queue.length;
  }

  /** Record bytes of those events. */
  get bufferedBytes(): number {
    return this.#queuedBytes;
  }

  /** The sequence number the next subscription would start after (`null`: the start position). */
  get resumeAfter(): string | null {
    return this.#resumeAfter;
  }

  async next(limit: number, signal: AbortSignal): Promise<RecordBatch> {
    if (this.#endDelivered) throw new Error(`shard ${this.#spec.shardId} already ended`);
    signal.throwIfAborted();
    this.#start(signal);
    for (;;) {
      if (this.#queue.length > 0) return this.#take(Math.max(1, limit));
      if (this.#failure !== null) throw this.#failure;
      signal.throwIfAborted();
      if (this.#stop.signal.aborted)
        throw new Error(`fan-out source of shard ${this.#spec.shardId} is closed`);
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          this.#dataWaiter = null;
          reject(signal.reason);
        };
        this.#dataWaiter = () => {
          this.#dataWaiter = null;
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /** Ends the current subscription and stops the pump. Idempotent; resolves when the pump is done. */
  async close(): Promise<void> {
    this.#stop.abort();
    this.#roomWaiter?.();
    this.#dataWaiter?.();
    await this.#pump;
  }

  #start(signal: AbortSignal): void {
    if (this.#pump !== null) return;
    signal.addEventListener('abort', () => void this.close(), { once: true });
    this.#pump = this.#run().catch((error: unknown) => {
      // #run handles its own failures; anything else is a bug surfaced to the reader.
      this.#fail(kinesisError('SubscribeToShard', error, this.#context()));
    });
  }

  #context(): Record<string, unknown> {
    return {
      streamName: this.#spec.streamName,
      shardId: this.#spec.shardId,
      consumerArn: this.#o.consumerArn,
    };
  }

  #fail(error: KinesisTsError): void {
    this.#failure = error;
    this.#dataWaiter?.();
  }

  #take(limit: number): RecordBatch {
    const raw: _Record[] = [];
    let millisBehindLatest = 0;
    let ended = false;
    let childShards: ChildShardInfo[] | undefined;
    while (
      this.#queue.length > 0 &&
      (raw.length < limit || this.#queue[0]!.offset === this.#queue[0]!.records.length)
    ) {
      const event = this.#queue[0]!;
      const count = Math.min(limit - raw.length, event.records.length - event.offset);
      for (let i = 0; i < count; i++) raw.push(event.records[event.offset + i]!);
      event.offset += count;
      millisBehindLatest = event.millisBehindLatest;
      if (event.offset < event.records.length) break;
      this.#queue.shift();
      this.#queuedBytes -= event.bytes;
      if (event.ended) {
        ended = true;
        childShards = event.childShards;
        break;
      }
    }
    this.#roomWaiter?.();
    const decoded = this.#decoder.decode(raw);
    if (ended) this.#endDelivered = true;
    return {
      records: decoded.records,
      bytes: decoded.bytes,
      millisBehindLatest,
      shardEnded: ended,
      childShards: ended ? childShards : undefined,
      invalidAggregates: decoded.invalidAggregates,
    };
  }

  #hasRoom(): boolean {
    return this.#queue.length < this.#o.maxBufferedEvents && this.#queuedBytes < this.#o.maxBufferedBytes;
  }

  /** Resolves when the queue has room or the source stopped. */
  #room(): Promise<void> {
    if (this.#hasRoom() || this.#stop.signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#roomWaiter = () => {
        if (!this.#hasRoom() && !this.#stop.signal.aborted) return;
        this.#roomWaiter = null;
        resolve();
      };
    });
  }

  #startingPosition(): SubscribeToShardCommandInput['StartingPosition'] {
    if (this.#resumeAfter !== null)
      return { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: this.#resumeAfter };
    const position = this.#position;
    // A re-subscription before the first event must not go back to LATEST (see start-position.ts).
    if (position.type === 'LATEST') this.#position = pinLatest(position, Date.now());
    switch (position.type) {
      case 'AFTER':
        // The checkpoint may point inside an aggregate: start at it and let the decoder skip.
        return { Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: position.checkpoint.sequenceNumber };
      case 'AT_TIMESTAMP':
        return { Type: 'AT_TIMESTAMP', Timestamp: new Date(position.timestamp) };
      default:
        return { Type: position.type };
    }
  }

  #enqueue(event: NonNullable<SubscribeToShardEventStream['SubscribeToShardEvent']>): void {
    const records = event.Records ?? [];
    let bytes = 0;
    for (const record of records) bytes += record.Data?.byteLength ?? 0;
    const continuation = event.ContinuationSequenceNumber;
    const ended = continuation === undefined || continuation === null || continuation === '';
    if (!ended) this.#resumeAfter = continuation;
    this.#caughtUp = (event.MillisBehindLatest ?? 0) === 0;
    this.#queue.push({
      records,
      offset: 0,
      bytes,
      millisBehindLatest: event.MillisBehindLatest ?? 0,
      ended,
      childShards:
        ended && event.ChildShards !== undefined ? event.ChildShards.map(toChildShardInfo) : undefined,
    });
    this.#queuedBytes += bytes;
    if (ended) this.#endQueued = true;
    this.#dataWaiter?.();
  }

  /** The pump: subscribe, read events while there is room, renew, back off. */
  async #run(): Promise<void> {
    const stop = this.#stop.signal;
    let retries = 0;
    let failures = 0;
    const delayAfter = (): number => {
      retries += 1;
      // Jitter above half the backoff keeps the shards of one instance from retrying in lockstep.
      return backoffDelay(retries, {
        baseMs: this.#o.initialBackoffMs,
        maxMs: this.#o.maxBackoffMs,
        jitter: 'equal',
      });
    };
    while (!stop.aborted && !this.#endQueued) {
      const subscription = new AbortController();
      const onStop = (): void => subscription.abort(stop.reason);
      stop.addEventListener('abort', onStop, { once: true });
      let expired = false;
      let expiry: TimerHandle | null = null;
      let received = 0;
      try {
        await this.#room();
        if (stop.aborted) return;
        const startingPosition = this.#startingPosition();
        this.#subscriptions += 1;
        const output = await this.#api.subscribeToShard(
          {
            ConsumerARN: this.#o.consumerArn,
            ShardId: this.#spec.shardId,
            StartingPosition: startingPosition,
          },
          subscription.signal,
        );
        const stream = output.EventStream;
        if (stream === undefined) throw new Error('SubscribeToShard answered without an event stream');
        const iterator = stream[Symbol.asyncIterator]();
        if (this.#o.maxSubscriptionMs !== undefined) {
          expiry = this.#o.clock.setTimeout(() => {
            expired = true;
            subscription.abort(new Error('subscription reached maxSubscriptionMs'));
            this.#roomWaiter?.();
          }, this.#o.maxSubscriptionMs);
        }
        try {
          for (;;) {
            await this.#room();
            if (stop.aborted || expired) break;
            const result = await this.#pull(iterator, subscription);
            if (result.done) break;
            const exception = eventException(result.value);
            if (exception !== null) throw exception;
            const event = result.value.SubscribeToShardEvent;
            if (event === undefined) continue;
            received += 1;
            failures = 0;
            retries = 0;
            this.#enqueue(event);
            if (this.#endQueued) break;
          }
        } finally {
          subscription.abort();
          iterator.return?.().catch(() => {});
        }
        if (!stop.aborted && !this.#endQueued) {
          if (!expired) {
            this.#observer.log('debug', 'subscription ended; renewing it', {
              ...this.#context(),
              after: this.#resumeAfter,
              events: received,
            });
          }
          await this.#probeShardEnd(stop);
        }
      } catch (error) {
        if (stop.aborted) return;
        if (expired) {
          await this.#probeShardEnd(stop);
          continue;
        }
        const name = (error as { name?: unknown } | null)?.name;
        const kind = classifyKinesisError(error);
        const context = {
          ...this.#context(),
          after: this.#resumeAfter,
          error,
        };
        if (name === 'ResourceInUseException') {
          const delay = delayAfter();
          this.#observer.log('info', 'subscription refused (ResourceInUseException); retrying', {
            ...context,
            delayMs: delay,
          });
          await sleep(delay, this.#o.clock, stop).catch(() => {});
          continue;
        }
        if (kind === 'not-found' && this.#o.shardEndProbe !== undefined) {
          // A trimmed shard ends (SHARD_NOT_FOUND); a missing stream or consumer stays fatal.
          const verdict = await explainShardNotFound(
            this.#o.shardEndProbe,
            this.#spec.streamName,
            this.#spec.shardId,
            'SubscribeToShard',
            error,
            stop,
          ).catch(() => null);
          if (verdict?.kind === 'shard-gone' || verdict?.kind === 'stream-gone') {
            this.#fail(verdict.error);
            return;
          }
        }
        if (kind === 'not-found' || kind === 'fatal') {
          this.#fail(kinesisError('SubscribeToShard', error, this.#context()));
          return;
        }
        const delay = delayAfter();
        if (kind === 'throttled') {
          this.#observer.throttled(delay);
        } else {
          failures += 1;
          if (failures >= this.#o.maxConsecutiveFailures) {
            this.#fail(kinesisError('SubscribeToShard', error, { ...this.#context(), failures }));
            return;
          }
          this.#observer.log('warn', 'subscription failed; subscribing again from the last received event', {
            ...context,
            delayMs: delay,
          });
        }
        await sleep(delay, this.#o.clock, stop).catch(() => {});
      } finally {
        if (expiry !== null) this.#o.clock.clearTimeout(expiry);
        stop.removeEventListener('abort', onStop);
      }
    }
  }

  /**
   * After a caught-up subscription ended: is the shard closed and read to its end? If so, queues the
   * end (with the children GetRecords reports). Any failure just means "renew the subscription".
   */
  async #probeShardEnd(signal: AbortSignal): Promise<void> {
    const probe = this.#o.shardEndProbe;
    if (probe === undefined || this.#resumeAfter === null || !this.#caughtUp) return;
    try {
      const iterator = await probe.getShardIterator(
        {
          StreamName: this.#spec.streamName,
          ShardId: this.#spec.shardId,
          ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
          StartingSequenceNumber: this.#resumeAfter,
        },
        signal,
      );
      if (iterator.ShardIterator === undefined) return;
      const output = await probe.getRecords({ ShardIterator: iterator.ShardIterator, Limit: 1 }, signal);
      const closed = output.NextShardIterator === undefined || output.NextShardIterator === null;
      if (!closed || (output.Records ?? []).length > 0) return;
      this.#observer.log('info', 'shard is closed and fully read (found after the subscription ended)', {
        ...this.#context(),
        after: this.#resumeAfter,
      });
      this.#queue.push({
        records: [],
        offset: 0,
        bytes: 0,
        millisBehindLatest: 0,
        ended: true,
        childShards: output.ChildShards?.map(toChildShardInfo),
      });
      this.#endQueued = true;
      this.#dataWaiter?.();
    } catch (error) {
      this.#observer.log('debug', 'shard-end probe failed; renewing the subscription', {
        ...this.#context(),
        error,
      });
    }
  }

  /** The iterator's next event, or a timeout error when none comes within `eventTimeoutMs`. */
  #pull(
    iterator: AsyncIterator<SubscribeToShardEventStream>,
    subscription: AbortController,
  ): Promise<IteratorResult<SubscribeToShardEventStream>> {
    const pending = iterator.next();
    return new Promise((resolve, reject) => {
      const timer = this.#o.clock.setTimeout(() => {
        pending.catch(() => {});
        const error = new KinesisTsError(
          ErrorCode.TIMEOUT,
          `no SubscribeToShard event for ${this.#o.eventTimeoutMs} ms`,
          { context: this.#context() },
        );
        reject(error);
        subscription.abort(error);
      }, this.#o.eventTimeoutMs);
      pending.then(
        (value) => {
          this.#o.clock.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.#o.clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
