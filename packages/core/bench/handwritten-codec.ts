/**
 * A hand-written wire codec for the KPL `AggregatedRecord`, with the same contract as
 * `src/aggregation-wire.ts` (which uses `@bufbuild/protobuf/wire`). It exists only so the benchmark
 * can say whether hand-written code pays; the library's tests do not cover it beyond the benchmark's
 * own equivalence check.
 */

import { createHash } from 'node:crypto';
import type { WireAggregate, WireRecord, WireRecordInput } from '../src/aggregation-wire.js';

class CorruptError extends Error {}

let next = 0;

/** Reads a varint at `pos` (value up to 2^53-ish, else Infinity); sets `next` past it. */
function varint(buf: Uint8Array, pos: number, end: number): number {
  let b = buf[pos]!;
  if (pos >= end) throw new CorruptError('varint past end');
  if (b < 0x80) {
    next = pos + 1;
    return b;
  }
  let value = b & 0x7f;
  let shift = 7;
  let mul = 128;
  for (let i = 1; i < 10; i++) {
    if (pos + i >= end) throw new CorruptError('varint past end');
    b = buf[pos + i]!;
    value = shift < 28 ? value | ((b & 0x7f) << shift) : value + (b & 0x7f) * mul;
    if (shift === 21) value >>>= 0;
    if (b < 0x80) {
      next = pos + i + 1;
      return value > Number.MAX_SAFE_INTEGER ? Number.POSITIVE_INFINITY : value;
    }
    shift += 7;
    mul *= 128;
  }
  throw new CorruptError('varint too long');
}

function skip(buf: Uint8Array, pos: number, wireType: number, end: number): number {
  switch (wireType) {
    case 0:
      varint(buf, pos, end);
      return next;
    case 1:
      return pos + 8;
    case 2: {
      const length = varint(buf, pos, end);
      return next + length;
    }
    case 5:
      return pos + 4;
    default:
      throw new CorruptError(`unsupported wire type ${wireType}`);
  }
}

/** Parses the protobuf body; `data` are subarrays of `body`. */
export function parseAggregatedRecordHandwritten(body: Uint8Array): WireAggregate {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const len = buf.length;
  const partitionKeys: string[] = [];
  const explicitHashKeys: string[] = [];
  const records: WireRecord[] = [];
  let pos = 0;
  while (pos < len) {
    const tag = varint(buf, pos, len);
    pos = next;
    if (tag === 0x1a || tag === 0x0a || tag === 0x12) {
      const length = varint(buf, pos, len);
      pos = next;
      const end = pos + length;
      if (end > len) throw new CorruptError('field past end');
      if (tag === 0x0a) partitionKeys.push(buf.toString('utf8', pos, end));
      else if (tag === 0x12) explicitHashKeys.push(buf.toString('utf8', pos, end));
      else {
        let pk = -1;
        let ehk = -1;
        let data: Uint8Array | undefined;
        while (pos < end) {
          const t = varint(buf, pos, end);
          pos = next;
          if (t === 0x08) {
            pk = varint(buf, pos, end);
            pos = next;
          } else if (t === 0x10) {
            ehk = varint(buf, pos, end);
            pos = next;
          } else if (t === 0x1a) {
            const dl = varint(buf, pos, end);
            pos = next;
            if (pos + dl > end) throw new CorruptError('data past end');
            data = buf.subarray(pos, pos + dl);
            pos += dl;
          } else {
            pos = skip(buf, pos, t & 7, end);
          }
        }
        if (pos !== end) throw new CorruptError('record past end');
        if (pk < 0 || data === undefined) throw new CorruptError('missing required field');
        records.push({ partitionKeyIndex: pk, explicitHashKeyIndex: ehk, data });
      }
      pos = end;
    } else {
      pos = skip(buf, pos, tag & 7, len);
      if (pos > len) throw new CorruptError('field past end');
    }
  }
  return { partitionKeys, explicitHashKeys, records };
}

function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

function writeVarint(buf: Buffer, pos: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

const MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);

/** Serializes and frames (magic + message + MD5) in one exactly-sized buffer. */
export function encodeFramedHandwritten(
  partitionKeys: readonly string[],
  explicitHashKeys: readonly string[],
  records: readonly WireRecordInput[],
): Uint8Array {
  const pkLengths = partitionKeys.map((k) => Buffer.byteLength(k, 'utf8'));
  let size = 0;
  for (const l of pkLengths) size += 1 + varintSize(l) + l;
  for (const k of explicitHashKeys) size += 1 + varintSize(k.length) + k.length;
  const recordLengths = new Array<number>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const dl = r.data.byteLength;
    let rl = 1 + varintSize(r.partitionKeyIndex) + 1 + varintSize(dl) + dl;
    if (r.explicitHashKeyIndex >= 0) rl += 1 + varintSize(r.explicitHashKeyIndex);
    recordLengths[i] = rl;
    size += 1 + varintSize(rl) + rl;
  }
  const out = Buffer.allocUnsafe(4 + size + 16);
  MAGIC.copy(out, 0);
  let pos = 4;
  for (let i = 0; i < partitionKeys.length; i++) {
    out[pos++] = 0x0a;
    pos = writeVarint(out, pos, pkLengths[i]!);
    pos += out.write(partitionKeys[i]!, pos, 'utf8');
  }
  for (const k of explicitHashKeys) {
    out[pos++] = 0x12;
    pos = writeVarint(out, pos, k.length);
    pos += out.write(k, pos, 'latin1');
  }
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    out[pos++] = 0x1a;
    pos = writeVarint(out, pos, recordLengths[i]!);
    out[pos++] = 0x08;
    pos = writeVarint(out, pos, r.partitionKeyIndex);
    if (r.explicitHashKeyIndex >= 0) {
      out[pos++] = 0x10;
      pos = writeVarint(out, pos, r.explicitHashKeyIndex);
    }
    out[pos++] = 0x1a;
    pos = writeVarint(out, pos, r.data.byteLength);
    out.set(r.data, pos);
    pos += r.data.byteLength;
  }
  createHash('md5').update(out.subarray(4, pos)).digest().copy(out, pos);
  return out;
}
