/**
 * Protobuf wire code of the KPL `AggregatedRecord` message (internal).
 *
 * ```proto
 * message AggregatedRecord {
 *   repeated string partition_key_table = 1;
 *   repeated string explicit_hash_key_table = 2;
 *   repeated Record records = 3;
 * }
 * message Record {
 *   required uint64 partition_key_index = 1;
 *   optional uint64 explicit_hash_key_index = 2;
 *   required bytes data = 3;
 *   repeated Tag tags = 4;
 * }
 * message Tag { required string key = 1; optional string value = 2; }
 * ```
 *
 * Reading and writing go through `@bufbuild/protobuf/wire` (no code generation). Unknown fields, and
 * known field numbers with an unexpected wire type, are skipped as protobuf parsers do.
 */

import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** One entry of `AggregatedRecord.records` with its table indexes (`-1`: no explicit hash key). */
export interface WireRecord {
  readonly partitionKeyIndex: number;
  readonly explicitHashKeyIndex: number;
  readonly data: Uint8Array;
}

/** A parsed `AggregatedRecord`; indexes are not checked against the tables here. */
export interface WireAggregate {
  readonly partitionKeys: string[];
  readonly explicitHashKeys: string[];
  readonly records: WireRecord[];
}

/** A structural problem found while parsing (the caller wraps it in a typed error). */
export class WireFormatError extends Error {}

/** Tags of the fields this codec reads: `(fieldNo << 3) | wireType`. */
const TAG_PARTITION_KEY_TABLE = (1 << 3) | WireType.LengthDelimited;
const TAG_EXPLICIT_HASH_KEY_TABLE = (2 << 3) | WireType.LengthDelimited;
const TAG_RECORDS = (3 << 3) | WireType.LengthDelimited;
const TAG_PARTITION_KEY_INDEX = (1 << 3) | WireType.Varint;
const TAG_EXPLICIT_HASH_KEY_INDEX = (2 << 3) | WireType.Varint;
const TAG_DATA = (3 << 3) | WireType.LengthDelimited;
const TAG_TAGS = (4 << 3) | WireType.LengthDelimited;
const TAG_TAG_KEY = (1 << 3) | WireType.LengthDelimited;

/**
 * Reads a field tag. `reader.uint32()` rather than `reader.tag()` saves a tuple per field; the checks
 * of `tag()` are kept (field number 0 is illegal, wire types 6 and 7 make `skip` throw).
 */
function readTag(reader: BinaryReader): number {
  const tag = reader.uint32();
  if (tag >>> 3 === 0) throw new WireFormatError(`illegal tag ${tag} (field number 0)`);
  return tag;
}

function skipField(reader: BinaryReader, tag: number): void {
  reader.skip(tag & 7, tag >>> 3);
}

/** Reads a uint64 varint as a number; values past 2^53 become `Infinity` (they index nothing). */
function readIndex(reader: BinaryReader, body: Uint8Array): number {
  const first = body[reader.pos];
  if (first !== undefined && first < 0x80) {
    reader.pos++;
    return first;
  }
  const value = BigInt(reader.uint64());
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(value);
}

/** Reads the length prefix of a sub-message and returns where it ends. */
function subMessageEnd(reader: BinaryReader): number {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > reader.len) throw new WireFormatError('length-delimited field runs past the end');
  return end;
}

function checkEnd(reader: BinaryReader, end: number, what: string): void {
  if (reader.pos !== end) throw new WireFormatError(`${what} runs past its declared length`);
}

function parseTag(reader: BinaryReader): void {
  const end = subMessageEnd(reader);
  let hasKey = false;
  while (reader.pos < end) {
    const tag = readTag(reader);
    if (tag === TAG_TAG_KEY) hasKey = true;
    skipField(reader, tag);
  }
  checkEnd(reader, end, 'tag');
  if (!hasKey) throw new WireFormatError('tag without its required key');
}

function parseRecord(reader: BinaryReader, body: Buffer, ordinal: number): WireRecord {
  const end = subMessageEnd(reader);
  let partitionKeyIndex = -1;
  let explicitHashKeyIndex = -1;
  let data: Uint8Array | undefined;
  while (reader.pos < end) {
    const tag = readTag(reader);
    if (tag === TAG_PARTITION_KEY_INDEX) {
      partitionKeyIndex = readIndex(reader, body);
    } else if (tag === TAG_DATA) {
      data = reader.bytes();
    } else if (tag === TAG_EXPLICIT_HASH_KEY_INDEX) {
      explicitHashKeyIndex = readIndex(reader, body);
    } else if (tag === TAG_TAGS) {
      parseTag(reader);
    } else {
      skipField(reader, tag);
    }
  }
  checkEnd(reader, end, `record ${ordinal}`);
  if (partitionKeyIndex < 0) throw new WireFormatError(`record ${ordinal} has no partition_key_index`);
  if (data === undefined) throw new WireFormatError(`record ${ordinal} has no data`);
  return { partitionKeyIndex, explicitHashKeyIndex, data };
}

/** Reads a string field as UTF-8 (invalid sequences become U+FFFD, as protobuf-java's proto2 does). */
function readString(reader: BinaryReader): string {
  // `body` is a Buffer, so `bytes()` returns a Buffer view: its native UTF-8 decoder beats the
  // library's per-character ASCII path several times over for keys such as UUIDs.
  return (reader.bytes() as Buffer).toString('utf8');
}

/**
 * Parses the protobuf part of an aggregate (between the magic and the digest). `data` of each record
 * is a `Buffer` view into `body` (no copy). Throws on truncated or malformed input.
 */
export function parseAggregatedRecord(bytes: Uint8Array): WireAggregate {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = new BinaryReader(body);
  const partitionKeys: string[] = [];
  const explicitHashKeys: string[] = [];
  const records: WireRecord[] = [];
  while (reader.pos < reader.len) {
    const tag = readTag(reader);
    if (tag === TAG_RECORDS) {
      records.push(parseRecord(reader, body, records.length));
    } else if (tag === TAG_PARTITION_KEY_TABLE) {
      partitionKeys.push(readString(reader));
    } else if (tag === TAG_EXPLICIT_HASH_KEY_TABLE) {
      explicitHashKeys.push(readString(reader));
    } else {
      skipField(reader, tag);
    }
  }
  return { partitionKeys, explicitHashKeys, records };
}

/** One record to write: its table indexes (`-1`: no explicit hash key) and its data bytes. */
export interface WireRecordInput {
  readonly partitionKeyIndex: number;
  readonly explicitHashKeyIndex: number;
  readonly data: Uint8Array;
}

/**
 * Serializes an `AggregatedRecord` (fields in field-number order, as the KPL's C++ protobuf writes
 * them) and returns the protobuf bytes.
 */
export function serializeAggregatedRecord(
  partitionKeys: readonly string[],
  explicitHashKeys: readonly string[],
  records: readonly WireRecordInput[],
): Uint8Array {
  const writer = new BinaryWriter();
  for (const key of partitionKeys) writer.tag(1, WireType.LengthDelimited).string(key);
  for (const key of explicitHashKeys) writer.tag(2, WireType.LengthDelimited).string(key);
  for (const record of records) {
    writer.tag(3, WireType.LengthDelimited).fork();
    writer.tag(1, WireType.Varint).uint32(record.partitionKeyIndex);
    if (record.explicitHashKeyIndex >= 0) writer.tag(2, WireType.Varint).uint32(record.explicitHashKeyIndex);
    writer.tag(3, WireType.LengthDelimited).bytes(record.data);
    writer.join();
  }
  return writer.finish();
}
