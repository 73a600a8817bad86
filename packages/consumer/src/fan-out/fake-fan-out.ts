/**
 * Test doubles for enhanced fan-out: a SubscribeToShard whose event streams the test drives, and a
 * stream-consumer registry. Not exported from the package.
 */
import type {
  _Record,
  SubscribeToShardCommandInput,
  SubscribeToShardEvent,
  SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import type { FanOutApi, SubscribeToShardResult } from './fan-out-api.js';

type Item =
  | { readonly type: 'event'; readonly event: SubscribeToShardEventStream }
  | { readonly type: 'error'; readonly error: Error }
  | { readonly type: 'end' };

/** An AWS-style error (the SDK puts the exception name in `name`). */
export function awsError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** A raw Kinesis record. */
export function rawRecord(sequenceNumber: string | bigint, partitionKey: string, data: string | Uint8Array = partitionKey): _Record {
  return {
    SequenceNumber: String(sequenceNumber),
    PartitionKey: partitionKey,
    Data: typeof data === 'string' ? new TextEncoder().encode(data) : data,
    ApproximateArrivalTimestamp: new Date(0),
  };
}

/** One subscription's event stream, driven by the test. Counts how often it was pulled. */
export class FakeSubscription implements AsyncIterable<SubscribeToShardEventStream> {
  readonly input: SubscribeToShardCommandInput;
  /** `next()` calls on the iterator. */
  pulls = 0;
  /** True once the subscription's signal aborted (the client ended it). */
  aborted = false;
  readonly #items: Item[] = [];
  #pending: { resolve: (r: IteratorResult<SubscribeToShardEventStream>) => void; reject: (e: unknown) => void } | null =
    null;
  #finished = false;

  constructor(input: SubscribeToShardCommandInput, signal: AbortSignal) {
    this.input = input;
    signal.addEventListener(
      'abort',
      () => {
        this.aborted = true;
        const abortError = awsError('AbortError', 'Request aborted');
        this.#finished = true;
        this.#pending?.reject(abortError);
        this.#pending = null;
      },
      { once: true },
    );
  }

  /** Queues an event (records + continuation; `continuation: null` ends the shard). */
  event(event: Partial<SubscribeToShardEvent> & { continuation?: string | null }): this {
    const { continuation, ...rest } = event;
    const body: SubscribeToShardEvent = {
      Records: [],
      MillisBehindLatest: 0,
      ...rest,
      ContinuationSequenceNumber: continuation === null ? undefined : (continuation ?? rest.ContinuationSequenceNumber),
    };
    return this.#push({ type: 'event', event: { SubscribeToShardEvent: body } });
  }

  /** Queues a raw event-stream member (e.g. an exception member). */
  member(event: SubscribeToShardEventStream): this {
    return this.#push({ type: 'event', event });
  }

  /** The stream fails with `error` after what is queued. */
  fail(error: Error): this {
    return this.#push({ type: 'error', error });
  }

  /** The server ends the subscription after what is queued. */
  end(): this {
    return this.#push({ type: 'end' });
  }

  /** Items queued and not pulled yet. */
  get queued(): number {
    return this.#items.length;
  }

  #push(item: Item): this {
    this.#items.push(item);
    this.#deliver();
    return this;
  }

  #deliver(): void {
    if (this.#pending === null) return;
    const item = this.#items.shift();
    if (item === undefined) return;
    const pending = this.#pending;
    this.#pending = null;
    if (item.type === 'event') pending.resolve({ done: false, value: item.event });
    else if (item.type === 'end') {
      this.#finished = true;
      pending.resolve({ done: true, value: undefined });
    } else {
      this.#finished = true;
      pending.reject(item.error);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<SubscribeToShardEventStream> {
    return {
      next: () => {
        this.pulls += 1;
        if (this.#finished && this.#items.length === 0) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve, reject) => {
          this.#pending = { resolve, reject };
          this.#deliver();
        });
      },
      return: () => {
        this.#finished = true;
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }
}

/** A fake SubscribeToShard: each call opens a {@link FakeSubscription} unless a refusal is queued. */
export class FakeFanOutApi implements FanOutApi {
  /** Every call's input, with the fake time it was made. */
  readonly calls: Array<{ readonly input: SubscribeToShardCommandInput; readonly at: number }> = [];
  /** Open and past subscriptions, in order. */
  readonly subscriptions: FakeSubscription[] = [];
  /** Errors the next calls reject with (one per call). */
  readonly refusals: Error[] = [];
  /** Called with each new subscription (tests queue events on it). */
  onSubscribe: ((subscription: FakeSubscription) => void) | null = null;

  subscribeToShard(input: SubscribeToShardCommandInput, signal: AbortSignal): Promise<SubscribeToShardResult> {
    this.calls.push({ input, at: Date.now() });
    const refusal = this.refusals.shift();
    if (refusal !== undefined) return Promise.reject(refusal);
    const subscription = new FakeSubscription(input, signal);
    this.subscriptions.push(subscription);
    this.onSubscribe?.(subscription);
    return Promise.resolve({ EventStream: subscription });
  }

  /** The latest subscription. */
  get current(): FakeSubscription {
    const last = this.subscriptions[this.subscriptions.length - 1];
    if (last === undefined) throw new Error('no subscription yet');
    return last;
  }
}
