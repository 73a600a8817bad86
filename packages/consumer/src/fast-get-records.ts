/**
 * A faster GetRecords on an SDK client: the SDK still signs, resolves the endpoint and credentials,
 * retries and turns error responses into its typed exceptions, but a successful response body is
 * parsed here with `JSON.parse` and `Buffer.from(…, 'base64')` instead of the SDK's schema walk and
 * base64 validation regex. Anything unexpected is left to the SDK's own deserializer.
 */
import { isAscii } from 'node:buffer';
import type { Readable } from 'node:stream';
import {
  type _Record,
  type ChildShard,
  GetRecordsCommand,
  type GetRecordsCommandInput,
  type GetRecordsCommandOutput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import type { GetRecordsResult } from './kinesis-api.js';

/** Name of the middleware {@link fastGetRecords} adds to its command. */
export const FAST_GET_RECORDS_MIDDLEWARE = 'kinesisTsFastGetRecords';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The number of bytes `s` decodes to, when `s` is canonical padded base64 (as Kinesis sends). */
function base64Length(s: string): number {
  const n = s.length;
  if (n % 4 !== 0) return -1;
  if (n === 0) return 0;
  const pad = s.charCodeAt(n - 1) === 61 ? (s.charCodeAt(n - 2) === 61 ? 2 : 1) : 0;
  return (n / 4) * 3 - pad;
}

function parseRecord(value: unknown): _Record | undefined {
  if (!isObject(value)) return undefined;
  const { SequenceNumber, ApproximateArrivalTimestamp, Data, PartitionKey, EncryptionType } = value;
  if (typeof SequenceNumber !== 'string' || typeof Data !== 'string' || typeof PartitionKey !== 'string')
    return undefined;
  if (EncryptionType !== undefined && typeof EncryptionType !== 'string') return undefined;
  const record: { -readonly [K in keyof _Record]: _Record[K] } = {
    SequenceNumber,
    Data: undefined,
    PartitionKey,
  };
  if (ApproximateArrivalTimestamp !== undefined && ApproximateArrivalTimestamp !== null) {
    // Epoch seconds with a fraction, rounded to milliseconds as the SDK does.
    if (typeof ApproximateArrivalTimestamp !== 'number' || !Number.isFinite(ApproximateArrivalTimestamp))
      return undefined;
    record.ApproximateArrivalTimestamp = new Date(Math.round(ApproximateArrivalTimestamp * 1000));
  }
  // Node decodes the URL-safe alphabet too and skips characters outside it; the SDK rejects both.
  // A byte count other than the canonical one reveals the skipped ones: let the SDK produce its error.
  if (Data.indexOf('-') !== -1 || Data.indexOf('_') !== -1) return undefined;
  const data = Buffer.from(Data, 'base64');
  if (data.byteLength !== base64Length(Data)) return undefined;
  record.Data = data;
  if (EncryptionType !== undefined) record.EncryptionType = EncryptionType as _Record['EncryptionType'];
  return record;
}

function parseStrings(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  for (const item of value) if (typeof item !== 'string') return undefined;
  return value as string[];
}

function parseChildShard(value: unknown): ChildShard | undefined {
  if (!isObject(value)) return undefined;
  const { ShardId, ParentShards, HashKeyRange } = value;
  if (typeof ShardId !== 'string') return undefined;
  const parents = parseStrings(ParentShards);
  if (parents === undefined || !isObject(HashKeyRange)) return undefined;
  const { StartingHashKey, EndingHashKey } = HashKeyRange;
  if (typeof StartingHashKey !== 'string' || typeof EndingHashKey !== 'string') return undefined;
  return { ShardId, ParentShards: parents, HashKeyRange: { StartingHashKey, EndingHashKey } };
}

/**
 * Parses a successful GetRecords response body into the SDK's output shape (without `$metadata`).
 * Returns `undefined` for anything this parser does not recognise (not JSON, a member of an
 * unexpected type, base64 the SDK would reject), so the caller can fall back to the SDK.
 * Unknown members are ignored, as the SDK ignores them.
 */
export function parseGetRecordsBody(body: Uint8Array): GetRecordsResult | undefined {
  let json: unknown;
  try {
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    // Kinesis bodies are ASCII unless a partition key is not: latin1 decodes ASCII at a third of the cost.
    json = JSON.parse(isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(json)) return undefined;
  const { Records, NextShardIterator, MillisBehindLatest, ChildShards } = json;
  const out: { -readonly [K in keyof GetRecordsResult]?: GetRecordsResult[K] } = {};
  if (Records !== undefined && Records !== null) {
    if (!Array.isArray(Records)) return undefined;
    const records = new Array<_Record>(Records.length);
    for (let i = 0; i < Records.length; i++) {
      const record = parseRecord(Records[i]);
      if (record === undefined) return undefined;
      records[i] = record;
    }
    out.Records = records;
  }
  if (NextShardIterator !== undefined && NextShardIterator !== null) {
    if (typeof NextShardIterator !== 'string') return undefined;
    out.NextShardIterator = NextShardIterator;
  }
  if (MillisBehindLatest !== undefined && MillisBehindLatest !== null) {
    if (typeof MillisBehindLatest !== 'number') return undefined;
    out.MillisBehindLatest = MillisBehindLatest;
  }
  if (ChildShards !== undefined && ChildShards !== null) {
    if (!Array.isArray(ChildShards)) return undefined;
    const children = new Array<ChildShard>(ChildShards.length);
    for (let i = 0; i < ChildShards.length; i++) {
      const child = parseChildShard(ChildShards[i]);
      if (child === undefined) return undefined;
      children[i] = child;
    }
    out.ChildShards = children;
  }
  return out as GetRecordsResult;
}

/** An HTTP response as the SDK's handlers produce it (typed structurally). */
interface RawResponse {
  statusCode?: number;
  body?: unknown;
}

function isNodeStream(body: unknown): body is Readable {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Readable).pipe === 'function' &&
    typeof (body as Readable)[Symbol.asyncIterator] === 'function'
  );
}

async function collect(body: unknown): Promise<Uint8Array | undefined> {
  if (body instanceof Uint8Array) return body;
  if (!isNodeStream(body)) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * GetRecords through `client.send` with a deserialize-step middleware below the SDK's deserializer:
 * a 200 response whose body {@link parseGetRecordsBody} recognises is parsed here, and the SDK is
 * handed an empty JSON object to deserialize (so it still builds `$metadata` and runs every other
 * middleware); any other response (errors, unexpected shapes, a body that is not a Node stream or
 * bytes) goes to the SDK untouched, so its errors, retries and classification are the SDK's.
 */
export async function fastGetRecords(
  client: Pick<KinesisClient, 'send'>,
  input: GetRecordsCommandInput,
  signal?: AbortSignal,
): Promise<GetRecordsCommandOutput> {
  const command = new GetRecordsCommand(input);
  let parsed: GetRecordsResult | undefined;
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      parsed = undefined; // a retried attempt starts afresh
      const response = result.response as RawResponse;
      if (response?.statusCode !== 200) return result;
      const body = await collect(response.body);
      if (body === undefined) return result;
      parsed = parseGetRecordsBody(body);
      // The SDK deserializes what is left: the original bytes when the fast parse declined.
      response.body = parsed === undefined ? body : new Uint8Array([123, 125]);
      return result;
    },
    { step: 'deserialize', priority: 'low', name: FAST_GET_RECORDS_MIDDLEWARE },
  );
  const output = await client.send(command, { abortSignal: signal });
  if (parsed === undefined) return output;
  return { ...parsed, $metadata: output.$metadata };
}
