/**
 * An in-memory Kinesis for unit tests: shards with records, iterators that can be expired, ListShards
 * pages, ChildShards at shard end, and scripted failures. Not exported from the package.
 */
import type {
  _Record,
  GetRecordsCommandInput,
  GetShardIteratorCommandInput,
  ListShardsCommandInput,
} from '@aws-sdk/client-kinesis';
import type {
  GetRecordsResult,
  GetShardIteratorResult,
  KinesisApi,
  ListShardsResult,
} from '../kinesis-api.js';

/** A record stored in a fake shard. */
export interface FakeRecord {
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly arrival: Date;
}

/** A fake shard. */
export interface FakeShard {
  readonly shardId: string;
  readonly parentShardIds: string[];
  readonly range: { startingHashKey: string; endingHashKey: string };
  readonly records: FakeRecord[];
  closed: boolean;
}

/** An error with an SDK exception name. */
export function awsError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const MAX = (2n ** 128n - 1n).toString();

/** The fake service. */
export class FakeKinesis implements KinesisApi {
  readonly streams = new Map<string, FakeShard[]>();
  /** Every call: operation, shard, time (Date.now()). */
  readonly calls: Array<{
    op: string;
    shardId?: string;
    at: number;
    limit?: number;
    type?: string;
    seq?: string;
  }> = [];
  /** Scripted failures: the next calls of `op` (optionally for one shard) throw these, in order. */
  readonly failures: Array<{ op: string; shardId?: string; error: Error }> = [];
  /** ListShards page size (emulates pagination). */
  pageSize = 1000;
  /** Report ChildShards at shard end (kinesis-local/AWS do, kinesalite does not). */
  childShards = true;
  #iteratorSeq = 0;
  readonly #iterators = new Map<
    string,
    { stream: string; shardId: string; index: number; expired: boolean }
  >();
  #seq = 1_000_000;

  /** Creates a stream with `count` shards splitting the hash space evenly. */
  createStream(name: string, count: number): FakeShard[] {
    const shards: FakeShard[] = [];
    const size = 2n ** 128n / BigInt(count);
    for (let i = 0; i < count; i++) {
      const start = size * BigInt(i);
      const end = i === count - 1 ? 2n ** 128n - 1n : size * BigInt(i + 1) - 1n;
      shards.push({
        shardId: `shardId-${String(i).padStart(12, '0')}`,
        parentShardIds: [],
        range: { startingHashKey: start.toString(), endingHashKey: end.toString() },
        records: [],
        closed: false,
      });
    }
    this.streams.set(name, shards);
    return shards;
  }

  shard(stream: string, shardId: string): FakeShard {
    const shard = this.streams.get(stream)?.find((s) => s.shardId === shardId);
    if (shard === undefined) throw new Error(`no shard ${shardId}`);
    return shard;
  }

  /** Appends a record to a shard; returns its sequence number. */
  put(stream: string, shardId: string, partitionKey: string, data: Uint8Array | string): string {
    const sequenceNumber = String(++this.#seq);
    this.shard(stream, shardId).records.push({
      sequenceNumber,
      partitionKey,
      data: typeof data === 'string' ? Buffer.from(data) : data,
      arrival: new Date(Date.now()),
    });
    return sequenceNumber;
  }

  /** Closes `parent` and adds children (split: two children of one parent; merge: one of two). */
  addChild(
    stream: string,
    shardId: string,
    parents: string[],
    range?: { startingHashKey: string; endingHashKey: string },
  ): FakeShard {
    const shards = this.streams.get(stream)!;
    for (const parent of parents) this.shard(stream, parent).closed = true;
    const child: FakeShard = {
      shardId,
      parentShardIds: parents,
      range: range ?? { startingHashKey: '0', endingHashKey: MAX },
      records: [],
      closed: false,
    };
    shards.push(child);
    return child;
  }

  /** Removes a shard from the stream, as retention does to a closed shard after a reshard. */
  trimShard(stream: string, shardId: string): void {
    const shards = this.streams.get(stream)!;
    shards.splice(shards.indexOf(this.shard(stream, shardId)), 1);
  }

  /** Marks every iterator handed out so far as expired. */
  expireIterators(): void {
    for (const iterator of this.#iterators.values()) iterator.expired = true;
  }

  #fail(op: string, shardId?: string): void {
    const index = this.failures.findIndex(
      (f) => f.op === op && (f.shardId === undefined || f.shardId === shardId),
    );
    if (index >= 0) {
      const [failure] = this.failures.splice(index, 1);
      throw failure!.error;
    }
  }

  #iterator(stream: string, shardId: string, index: number): string {
    const token = `it-${++this.#iteratorSeq}`;
    this.#iterators.set(token, { stream, shardId, index, expired: false });
    return token;
  }

  async getShardIterator(input: GetShardIteratorCommandInput): Promise<GetShardIteratorResult> {
    const stream = input.StreamName ?? '';
    const shardId = input.ShardId ?? '';
    this.calls.push({
      op: 'GetShardIterator',
      shardId,
      at: Date.now(),
      type: input.ShardIteratorType,
      seq: input.StartingSequenceNumber,
    });
    this.#fail('GetShardIterator', shardId);
    if (!this.streams.has(stream)) throw awsError('ResourceNotFoundException');
    const shard = this.streams.get(stream)!.find((s) => s.shardId === shardId);
    if (shard === undefined)
      throw awsError('ResourceNotFoundException', `Shard ${shardId} in stream ${stream} does not exist`);
    let index: number;
    switch (input.ShardIteratorType) {
      case 'TRIM_HORIZON':
        index = 0;
        break;
      case 'LATEST':
        index = shard.records.length;
        break;
      case 'AT_TIMESTAMP': {
        const ts = input.Timestamp?.getTime() ?? 0;
        index = shard.records.findIndex((r) => r.arrival.getTime() >= ts);
        if (index < 0) index = shard.records.length;
        break;
      }
      default: {
        const at = shard.records.findIndex((r) => r.sequenceNumber === input.StartingSequenceNumber);
        if (at < 0) throw awsError('InvalidArgumentException', 'unknown sequence number');
        index = input.ShardIteratorType === 'AT_SEQUENCE_NUMBER' ? at : at + 1;
      }
    }
    return { ShardIterator: this.#iterator(stream, shardId, index) };
  }

  async getRecords(input: GetRecordsCommandInput): Promise<GetRecordsResult> {
    const state = this.#iterators.get(input.ShardIterator ?? '');
    this.calls.push({ op: 'GetRecords', shardId: state?.shardId, at: Date.now(), limit: input.Limit });
    this.#fail('GetRecords', state?.shardId);
    if (state === undefined) throw awsError('InvalidArgumentException', 'bad iterator');
    if (state.expired) throw awsError('ExpiredIteratorException');
    const shard = this.streams.get(state.stream)?.find((s) => s.shardId === state.shardId);
    if (shard === undefined) throw awsError('ResourceNotFoundException', `Shard ${state.shardId} not found`);
    const limit = input.Limit ?? 10_000;
    const slice = shard.records.slice(state.index, state.index + limit);
    const index = state.index + slice.length;
    this.#iterators.delete(input.ShardIterator ?? '');
    const ended = shard.closed && index >= shard.records.length;
    const children = ended
      ? this.streams.get(state.stream)!.filter((s) => s.parentShardIds.includes(shard.shardId))
      : [];
    const records: _Record[] = slice.map((r) => ({
      SequenceNumber: r.sequenceNumber,
      PartitionKey: r.partitionKey,
      Data: r.data,
      ApproximateArrivalTimestamp: r.arrival,
    }));
    return {
      Records: records,
      NextShardIterator: ended ? undefined : this.#iterator(state.stream, state.shardId, index),
      MillisBehindLatest: index < shard.records.length ? 1000 : 0,
      ChildShards:
        ended && this.childShards
          ? children.map((c) => ({
              ShardId: c.shardId,
              ParentShards: c.parentShardIds,
              HashKeyRange: {
                StartingHashKey: c.range.startingHashKey,
                EndingHashKey: c.range.endingHashKey,
              },
            }))
          : undefined,
    };
  }

  async listShards(input: ListShardsCommandInput): Promise<ListShardsResult> {
    this.calls.push({ op: 'ListShards', at: Date.now() });
    this.#fail('ListShards');
    let stream: string;
    let offset = 0;
    if (input.NextToken !== undefined) {
      const [name, start] = input.NextToken.split('|');
      stream = name!;
      offset = Number(start);
    } else {
      stream = input.StreamName ?? '';
    }
    const shards = this.streams.get(stream);
    if (shards === undefined) throw awsError('ResourceNotFoundException', `Stream ${stream} not found`);
    const page = shards.slice(offset, offset + this.pageSize);
    const next = offset + page.length;
    return {
      Shards: page.map((s) => ({
        ShardId: s.shardId,
        ParentShardId: s.parentShardIds[0],
        AdjacentParentShardId: s.parentShardIds[1],
        HashKeyRange: { StartingHashKey: s.range.startingHashKey, EndingHashKey: s.range.endingHashKey },
        SequenceNumberRange: {
          StartingSequenceNumber: '0',
          EndingSequenceNumber: s.closed ? '9' : undefined,
        },
      })),
      NextToken: next < shards.length ? `${stream}|${next}` : undefined,
    };
  }
}
