import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { GetRecordsCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { fastGetRecords, parseGetRecordsBody } from './fast-get-records.js';
import { classifyKinesisError, kinesisError } from './kinesis-api.js';
import { ShardRecordDecoder } from './shard-record-decoder.js';

interface CannedResponse {
  readonly status: number;
  readonly body: string | Uint8Array;
  readonly headers?: Record<string, string>;
  /** Split the body into chunks of this many bytes (a Node stream, as the HTTP handler gives). */
  readonly chunk?: number;
}

/** An SDK client whose HTTP handler answers from a script, recording the requests it got. */
function scriptedClient(script: () => CannedResponse, maxAttempts = 1) {
  const requests: Array<{ headers: Record<string, string>; body: string }> = [];
  const client = new KinesisClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts,
    requestHandler: {
      handle: async (request: { headers: Record<string, string>; body: string }) => {
        requests.push({ headers: { ...request.headers }, body: String(request.body) });
        const canned = script();
        const bytes = typeof canned.body === 'string' ? Buffer.from(canned.body) : Buffer.from(canned.body);
        const size = canned.chunk ?? bytes.length;
        const chunks: Buffer[] = [];
        for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
        return {
          response: {
            statusCode: canned.status,
            reason: undefined,
            headers: { 'content-type': 'application/x-amz-json-1.1', ...canned.headers },
            body: Readable.from(chunks),
          },
        };
      },
    } as never,
  });
  return { client, requests };
}

/** Plain data for comparing outputs of the two paths (Buffer vs Uint8Array, Date identity). */
function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => {
      if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
      if (v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer')
        return { bytes: Buffer.from((v as { data: number[] }).data).toString('hex') };
      return v;
    }),
  );
}

/** Runs the same canned response through the SDK path and the fast path; returns both outcomes. */
async function bothPaths(response: CannedResponse | (() => CannedResponse), maxAttempts = 1) {
  const script = typeof response === 'function' ? response : () => response;
  const sdk = scriptedClient(script, maxAttempts);
  const fast = scriptedClient(script, maxAttempts);
  const input = { ShardIterator: 'iterator-1', Limit: 10_000 };
  const settle = async <T>(p: Promise<T>) =>
    p.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error: error as Error & Record<string, unknown> }),
    );
  const a = await settle(sdk.client.send(new GetRecordsCommand(input)));
  const b = await settle(fastGetRecords(fast.client, input));
  return { sdk: a, fast: b, sdkRequests: sdk.requests, fastRequests: fast.requests };
}

function expectSameOutput(result: Awaited<ReturnType<typeof bothPaths>>) {
  if (!result.sdk.ok) throw result.sdk.error;
  if (!result.fast.ok) throw result.fast.error;
  const { $metadata: m1, ...sdk } = result.sdk.value;
  const { $metadata: m2, ...fast } = result.fast.value;
  expect(plain(fast)).toEqual(plain(sdk));
  // The retry delay has random jitter; everything else of the metadata is the same.
  expect({ ...m2, totalRetryDelay: 0 }).toEqual({ ...m1, totalRetryDelay: 0 });
  // Same types where it matters: Dates, bytes (a Buffer from the fast path, as KinesisRecord documents).
  for (const [i, record] of (fast.Records ?? []).entries()) {
    expect(record.ApproximateArrivalTimestamp?.getTime()).toBe(
      sdk.Records![i]!.ApproximateArrivalTimestamp?.getTime(),
    );
    expect(record.Data).toBeInstanceOf(Uint8Array);
  }
  return { sdk, fast };
}

/** True when the fast parser produced the output (its payloads are Buffers; the SDK's are not). */
const fastParsed = (output: { Records?: Array<{ Data?: Uint8Array }> }) =>
  Array.isArray(output.Records) && output.Records.every((r) => Buffer.isBuffer(r.Data));

const ok = (body: unknown, chunk?: number): CannedResponse => ({
  status: 200,
  body: JSON.stringify(body),
  ...(chunk === undefined ? {} : { chunk }),
});

const errorResponse = (status: number, type: string, message: string): CannedResponse => ({
  status,
  headers: {
    'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazonaws.kinesis.v20131202/`,
  },
  body: JSON.stringify({ __type: type, message }),
});

interface KplVector {
  readonly name: string;
  readonly outer_partition_key: string;
  readonly outer_sequence_number: string;
  readonly data_base64: string;
}

const vectors = (
  JSON.parse(
    readFileSync(
      new URL('../../core/test-fixtures/kpl/kpl_aggregated_vectors.json', import.meta.url),
      'utf8',
    ),
  ) as { vectors: KplVector[] }
).vectors;

describe('fastGetRecords', () => {
  it('returns what the SDK returns for the KPL vectors, and the same user records after deaggregation', async () => {
    const body = {
      Records: vectors.map((v, i) => ({
        SequenceNumber: v.outer_sequence_number,
        ApproximateArrivalTimestamp: 1_732_900_000.123 + i,
        Data: v.data_base64,
        PartitionKey: v.outer_partition_key,
        EncryptionType: i % 2 === 0 ? 'NONE' : 'KMS',
      })),
      NextShardIterator: 'iterator-2',
      MillisBehindLatest: 1234,
    };
    const result = await bothPaths(ok(body, 97));
    const { sdk, fast } = expectSameOutput(result);
    expect(fastParsed(fast)).toBe(true);
    expect(fastParsed(sdk)).toBe(false);
    expect(fast.Records).toHaveLength(vectors.length);
    const spec = {
      streamName: 's',
      shardId: 'shardId-000000000000',
      hashKeyRange: null,
      position: { type: 'TRIM_HORIZON' as const },
    };
    const a = new ShardRecordDecoder(spec).decode(sdk.Records!);
    const b = new ShardRecordDecoder(spec).decode(fast.Records!);
    expect(b.records.length).toBeGreaterThan(vectors.length); // aggregates were unpacked
    expect(plain(b)).toEqual(plain(a));
  });

  it('returns what the SDK returns for many records: empty and binary payloads, UTF-8 keys, fractional timestamps, a chunked body', async () => {
    const records = Array.from({ length: 300 }, (_, i) => {
      const data = Buffer.alloc(i % 7 === 0 ? 0 : (i * 37) % 1500);
      for (let j = 0; j < data.length; j++) data[j] = (i * 31 + j * 17) % 256;
      return {
        SequenceNumber: (49_590_000_000_000_000_000_000_000_000_000n + BigInt(i)).toString(),
        // Fractions that round up, down, and sit on .5 ms.
        ApproximateArrivalTimestamp: 1_732_900_000 + i * 0.0005 + (i % 3) * 0.0001234,
        Data: data.toString('base64'),
        PartitionKey: i % 5 === 0 ? `ключ-${i}-🔑` : `key-${i}`,
        ...(i % 4 === 0 ? { EncryptionType: 'KMS' } : {}),
      };
    });
    // 13-byte chunks split multi-byte UTF-8 characters across chunks.
    const result = await bothPaths(
      ok({ Records: records, NextShardIterator: 'n', MillisBehindLatest: 0 }, 13),
    );
    const { fast } = expectSameOutput(result);
    expect(fastParsed(fast)).toBe(true);
    expect(fast.Records).toHaveLength(300);
  });

  it('returns what the SDK returns for an empty batch, with and without lag', async () => {
    for (const body of [
      { Records: [], NextShardIterator: 'n', MillisBehindLatest: 0 },
      { Records: [], NextShardIterator: 'n', MillisBehindLatest: 86_400_000 },
      { Records: [], NextShardIterator: 'n' },
    ]) {
      const { fast } = expectSameOutput(await bothPaths(ok(body)));
      expect(fastParsed(fast)).toBe(true);
      expect(fast.Records).toEqual([]);
      expect(fast.MillisBehindLatest).toBe(body.MillisBehindLatest);
    }
  });

  it('returns what the SDK returns at shard end: no next iterator, ChildShards of a split and a merge', async () => {
    const childShards = [
      {
        ShardId: 'shardId-000000000002',
        ParentShards: ['shardId-000000000000'],
        HashKeyRange: { StartingHashKey: '0', EndingHashKey: '170141183460469231731687303715884105727' },
      },
      {
        ShardId: 'shardId-000000000003',
        ParentShards: ['shardId-000000000000', 'shardId-000000000001'],
        HashKeyRange: {
          StartingHashKey: '170141183460469231731687303715884105728',
          EndingHashKey: '340282366920938463463374607431768211455',
        },
      },
    ];
    for (const next of [{ NextShardIterator: null }, {}]) {
      const { fast } = expectSameOutput(
        await bothPaths(ok({ Records: [], MillisBehindLatest: 0, ChildShards: childShards, ...next })),
      );
      expect(fast.NextShardIterator).toBeUndefined();
      expect(fast.ChildShards).toEqual(childShards);
    }
  });

  it('ignores members it does not know, as the SDK does', async () => {
    const body = {
      Records: [
        {
          SequenceNumber: '1',
          ApproximateArrivalTimestamp: 1_732_900_000,
          Data: 'aGVsbG8=',
          PartitionKey: 'k',
          Future: { a: 1 },
        },
      ],
      NextShardIterator: 'n',
      MillisBehindLatest: 0,
      SomethingNew: [1, 2, 3],
    };
    const { fast } = expectSameOutput(await bothPaths(ok(body)));
    expect(fastParsed(fast)).toBe(true);
    expect(Buffer.from(fast.Records![0]!.Data!).toString()).toBe('hello');
  });

  it.each([
    ['ExpiredIteratorException', 400, 'expired-iterator', 'KINESIS_REQUEST_FAILED'],
    ['ProvisionedThroughputExceededException', 400, 'throttled', 'KINESIS_REQUEST_FAILED'],
    ['ResourceNotFoundException', 400, 'not-found', 'STREAM_NOT_FOUND'],
    ['AccessDeniedException', 400, 'fatal', 'KINESIS_REQUEST_FAILED'],
    ['InternalFailure', 500, 'transient', 'KINESIS_REQUEST_FAILED'],
  ])(
    'throws the SDK error for %s (HTTP %i): same class, name, fields and classification',
    async (type, status, kind, code) => {
      const result = await bothPaths(errorResponse(status, type, `${type} happened`));
      expect(result.sdk.ok).toBe(false);
      expect(result.fast.ok).toBe(false);
      if (result.sdk.ok || result.fast.ok) return;
      const a = result.sdk.error;
      const b = result.fast.error;
      expect(b.constructor).toBe(a.constructor);
      expect(b.name).toBe(type);
      expect(b.name).toBe(a.name);
      expect(b.message).toBe(a.message);
      expect(b.$fault).toBe(a.$fault);
      expect(b.$metadata).toEqual(a.$metadata);
      expect(classifyKinesisError(b)).toBe(kind);
      expect(kinesisError('GetRecords', b, {}).code).toBe(code);
      expect(kinesisError('GetRecords', b, {}).message).toBe(kinesisError('GetRecords', a, {}).message);
    },
  );

  it.each([
    ['URL-safe base64', '{"Records":[{"SequenceNumber":"1","Data":"a-_b","PartitionKey":"k"}]}'],
    [
      'base64 with a character outside the alphabet',
      '{"Records":[{"SequenceNumber":"1","Data":"aG!sbG8=","PartitionKey":"k"}]}',
    ],
    [
      'base64 with padding inside',
      '{"Records":[{"SequenceNumber":"1","Data":"aA==aA==","PartitionKey":"k"}]}',
    ],
    ['base64 with wrong padding', '{"Records":[{"SequenceNumber":"1","Data":"aGVsbG8","PartitionKey":"k"}]}'],
    ['a body that is not JSON', '<html>proxy error</html>'],
    ['Records of the wrong type', '{"Records":"nope","NextShardIterator":"n"}'],
    [
      'a timestamp as a string',
      '{"Records":[{"SequenceNumber":"1","ApproximateArrivalTimestamp":"1732900000.5","Data":"","PartitionKey":"k"}]}',
    ],
  ])('leaves %s to the SDK (same outcome)', async (_name, body) => {
    const result = await bothPaths({ status: 200, body });
    expect(result.fast.ok).toBe(result.sdk.ok);
    if (result.sdk.ok && result.fast.ok) {
      expect(plain(result.fast.value)).toEqual(plain(result.sdk.value));
      expect(fastParsed(result.fast.value)).toBe(fastParsed(result.sdk.value));
    } else if (!result.sdk.ok && !result.fast.ok) {
      expect(result.fast.error.name).toBe(result.sdk.error.name);
      expect(result.fast.error.message).toBe(result.sdk.error.message);
    }
  });

  it('signs the request the way the SDK does and retries through the SDK', async () => {
    let calls = 0;
    const script = (): CannedResponse =>
      ++calls % 2 === 1
        ? errorResponse(500, 'InternalFailure', 'try again')
        : ok({ Records: [{ SequenceNumber: '7', Data: 'eA==', PartitionKey: 'p' }], NextShardIterator: 'n' });
    const result = await bothPaths(script, 2);
    const { fast } = expectSameOutput(result);
    expect(fastParsed(fast)).toBe(true);
    expect(result.fast.ok && result.fast.value.$metadata.attempts).toBe(2);
    expect(result.fastRequests).toHaveLength(2);
    const headers = result.fastRequests[0]!.headers;
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\//);
    expect(headers['x-amz-target']).toBe('Kinesis_20131202.GetRecords');
    expect(result.fastRequests[0]!.body).toBe(result.sdkRequests[0]!.body);
  });
});

describe('parseGetRecordsBody', () => {
  it('declines what it does not recognise instead of guessing', () => {
    const bytes = (s: string) => Buffer.from(s);
    expect(parseGetRecordsBody(bytes('[]'))).toBeUndefined();
    expect(parseGetRecordsBody(bytes('{"MillisBehindLatest":"5"}'))).toBeUndefined();
    expect(parseGetRecordsBody(bytes('{"ChildShards":[{"ShardId":"a"}]}'))).toBeUndefined();
    expect(parseGetRecordsBody(bytes('{"Records":[{"Data":"","PartitionKey":"k"}]}'))).toBeUndefined();
    expect(parseGetRecordsBody(bytes('{"Records":[],"MillisBehindLatest":3}'))).toEqual({
      Records: [],
      MillisBehindLatest: 3,
    });
  });
});
