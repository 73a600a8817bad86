/**
 * Test doubles for enhanced fan-out: a SubscribeToShard whose event streams the test drives, and a
 * stream-consumer registry. Not exported from the package.
 */
import type {
  _Record,
  ConsumerDescription,
  SubscribeToShardCommandInput,
  SubscribeToShardEvent,
  SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import type { KinesisApi } from '../kinesis-api.js';
import type { FakeKinesis } from '../test-support/fake-kinesis.js';
import type { FanOutApi, StreamConsumerApi, SubscribeToShardResult } from './fan-out-api.js';

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
export function rawRecord(
  sequenceNumber: string | bigint,
  partitionKey: string,
  data: string | Uint8Array = partitionKey,
): _Record {
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
  #pending: {
    resolve: (r: IteratorResult<SubscribeToShardEventStream>) => void;
    reject: (e: unknown) => void;
  } | null = null;
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
      ContinuationSequenceNumber:
        continuation === null ? undefined : (continuation ?? rest.ContinuationSequenceNumber),
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
        if (this.#finished && this.#items.length === 0)
          return Promise.resolve({ done: true, value: undefined });
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

  subscribeToShard(
    input: SubscribeToShardCommandInput,
    signal: AbortSignal,
  ): Promise<SubscribeToShardResult> {
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

/** The stream ARN of {@link FakeRegistry}. */
export const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/s';

/** A registry of stream consumers: CREATING for `activeAfter` describes, then ACTIVE. */
export class FakeRegistry implements StreamConsumerApi {
  readonly consumers = new Map<string, { description: ConsumerDescription; describesLeft: number }>();
  readonly calls: Array<{ op: string; at: number }> = [];
  readonly failures: Array<{ op: string; error: Error }> = [];
  activeAfter = 2;

  #fail(op: string): void {
    this.calls.push({ op, at: Date.now() });
    const index = this.failures.findIndex((f) => f.op === op);
    if (index >= 0) {
      const [failure] = this.failures.splice(index, 1);
      throw failure!.error;
    }
  }

  async describeStreamSummary() {
    this.#fail('DescribeStreamSummary');
    return { StreamDescriptionSummary: { StreamARN: STREAM_ARN } as never };
  }

  async registerStreamConsumer(input: { StreamARN?: string; ConsumerName?: string }) {
    this.#fail('RegisterStreamConsumer');
    const name = input.ConsumerName ?? '';
    if (this.consumers.has(name)) throw awsError('ResourceInUseException');
    const description: ConsumerDescription = {
      ConsumerName: name,
      ConsumerARN: `${STREAM_ARN}/consumer/${name}:1`,
      ConsumerStatus: 'CREATING',
      ConsumerCreationTimestamp: new Date(),
      StreamARN: input.StreamARN,
    };
    this.consumers.set(name, { description, describesLeft: this.activeAfter });
    return { Consumer: description };
  }

  async describeStreamConsumer(input: { ConsumerARN?: string; ConsumerName?: string }) {
    this.#fail('DescribeStreamConsumer');
    const entry = [...this.consumers.values()].find(
      (c) =>
        c.description.ConsumerARN === input.ConsumerARN || c.description.ConsumerName === input.ConsumerName,
    );
    if (entry === undefined) throw awsError('ResourceNotFoundException');
    if (entry.describesLeft > 0) entry.describesLeft -= 1;
    else entry.description = { ...entry.description, ConsumerStatus: 'ACTIVE' };
    return { ConsumerDescription: { ...entry.description } };
  }

  async deregisterStreamConsumer(input: { ConsumerARN?: string }) {
    this.#fail('DeregisterStreamConsumer');
    const entry = [...this.consumers.entries()].find(
      ([, c]) => c.description.ConsumerARN === input.ConsumerARN,
    );
    if (entry === undefined) throw awsError('ResourceNotFoundException');
    this.consumers.delete(entry[0]);
    return {};
  }
}

/**
 * Enhanced fan-out served from a {@link FakeKinesis} stream: SubscribeToShard pushes an event every
 * `intervalMs` (at most `maxRecordsPerEvent` records, the shard's end with its children), refuses a
 * second concurrent subscription to a shard (ResourceInUseException), and registers consumers
 * through a {@link FakeRegistry}. Counts the events pulled, per shard.
 */
export class FakeFanOutKinesis implements FanOutApi {
  readonly registry = new FakeRegistry();
  /** Events pulled from subscriptions, by shard. */
  readonly pulls = new Map<string, number>();
  /** SubscribeToShard calls, by shard. */
  readonly subscribes = new Map<string, number>();
  readonly #active = new Set<string>();
  readonly #fake: FakeKinesis;
  readonly #stream: string;
  readonly #intervalMs: number;
  readonly #maxRecordsPerEvent: number;

  constructor(fake: FakeKinesis, stream: string, intervalMs = 1000, maxRecordsPerEvent = 100) {
    this.#fake = fake;
    this.#stream = stream;
    this.#intervalMs = intervalMs;
    this.#maxRecordsPerEvent = maxRecordsPerEvent;
    this.registry.activeAfter = 1;
  }

  async subscribeToShard(
    input: SubscribeToShardCommandInput,
    signal: AbortSignal,
  ): Promise<SubscribeToShardResult> {
    const shardId = input.ShardId ?? '';
    this.subscribes.set(shardId, (this.subscribes.get(shardId) ?? 0) + 1);
    if (this.#active.has(shardId))
      throw awsError('ResourceInUseException', 'Another active subscription exists');
    const shard = this.#fake.shard(this.#stream, shardId);
    const position = input.StartingPosition;
    const seq = position?.SequenceNumber ?? '';
    const find = (s: string): number => {
      const at = shard.records.findIndex((r) => r.sequenceNumber === s);
      if (at < 0) throw awsError('InvalidArgumentException', `unknown sequence number ${s}`);
      return at;
    };
    let index: number;
    switch (position?.Type) {
      case 'TRIM_HORIZON':
        index = 0;
        break;
      case 'LATEST':
        index = shard.records.length;
        break;
      case 'AT_SEQUENCE_NUMBER':
        index = find(seq);
        break;
      case 'AFTER_SEQUENCE_NUMBER':
        index = seq.startsWith('pos:') ? Number(seq.slice(4)) : find(seq) + 1;
        break;
      default: {
        const ts = position?.Timestamp?.getTime() ?? 0;
        index = shard.records.findIndex((r) => r.arrival.getTime() >= ts);
        if (index < 0) index = shard.records.length;
      }
    }
    this.#active.add(shardId);
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      this.#active.delete(shardId);
    };
    signal.addEventListener('abort', release, { once: true });
    const stream = this.#fake.streams.get(this.#stream) ?? [];
    const next = async (): Promise<IteratorResult<SubscribeToShardEventStream>> => {
      if (done) return { done: true, value: undefined };
      await sleep(this.#intervalMs, signal);
      this.pulls.set(shardId, (this.pulls.get(shardId) ?? 0) + 1);
      const slice = shard.records.slice(index, index + this.#maxRecordsPerEvent);
      index += slice.length;
      const last = index > 0 ? shard.records[index - 1]!.sequenceNumber : `pos:${index}`;
      const ended = shard.closed && index >= shard.records.length;
      const event: SubscribeToShardEvent = {
        Records: slice.map((r) => ({
          SequenceNumber: r.sequenceNumber,
          PartitionKey: r.partitionKey,
          Data: r.data,
          ApproximateArrivalTimestamp: r.arrival,
        })),
        ContinuationSequenceNumber: ended ? undefined : last,
        MillisBehindLatest: index < shard.records.length ? 1000 : 0,
        ChildShards: ended
          ? stream
              .filter((s) => s.parentShardIds.includes(shardId))
              .map((c) => ({
                ShardId: c.shardId,
                ParentShards: c.parentShardIds,
                HashKeyRange: {
                  StartingHashKey: c.range.startingHashKey,
                  EndingHashKey: c.range.endingHashKey,
                },
              }))
          : undefined,
      };
      if (ended) release();
      return { done: false, value: { SubscribeToShardEvent: event } };
    };
    return {
      EventStream: {
        [Symbol.asyncIterator]: () => ({
          next,
          return: async () => {
            release();
            return { done: true, value: undefined };
          },
        }),
      },
    };
  }

  /** The consumer's `kinesisApi`: the fake's polling calls plus registration and SubscribeToShard. */
  combinedApi(): KinesisApi & StreamConsumerApi & FanOutApi {
    const fake = this.#fake;
    const registry = this.registry;
    return {
      getShardIterator: (input) => fake.getShardIterator(input),
      getRecords: (input) => fake.getRecords(input),
      listShards: (input) => fake.listShards(input),
      describeStreamSummary: () => registry.describeStreamSummary(),
      registerStreamConsumer: (input) => registry.registerStreamConsumer(input),
      describeStreamConsumer: (input) => registry.describeStreamConsumer(input),
      deregisterStreamConsumer: (input) => registry.deregisterStreamConsumer(input),
      subscribeToShard: (input, signal) => this.subscribeToShard(input, signal),
    };
  }
}

/** Resolves after `ms` (global timers, so fake timers drive it); rejects when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(awsError('AbortError', 'Request aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(awsError('AbortError', 'Request aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
