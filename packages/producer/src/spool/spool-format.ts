/**
 * The spool's on-disk format. A segment file starts with an 8-byte header (`KTSPOOL1`) followed by
 * frames; an acknowledgement file (`<segment>.acks`) holds frames only. A frame is
 * `[magic u16][body length u32][crc32 u32][body]`, little-endian, the CRC covering the length and the
 * body, so a torn or corrupted frame is detected and the scan resynchronises on the next valid frame.
 *
 * Record body: `[kind u8 = 1][seq u48][partition key length u16][explicit hash key length u8]
 * [partition key utf8][explicit hash key ascii][data]`. Ack body: `[kind u8 = 2][count u32][seq u48 ×
 * count]`.
 */

import { crc32 } from './crc32.js';

/** First bytes of every segment file. */
export const SEGMENT_HEADER = Buffer.from('KTSPOOL1', 'latin1');
/** Marks the start of a frame. */
const FRAME_MAGIC = 0x4b53;
/** Magic + length + CRC. */
export const FRAME_OVERHEAD = 10;
/** Largest body a frame may claim (a larger length is corruption). */
const MAX_BODY = 64 * 1024 * 1024;
const KIND_RECORD = 1;
const KIND_ACKS = 2;

/** A record as stored in the spool. */
export interface SpooledRecord {
  /** Spool sequence number: unique and increasing within a spool directory. */
  readonly seq: number;
  /** Payload. */
  readonly data: Uint8Array;
  /** Partition key. */
  readonly partitionKey: string;
  /** Explicit hash key, if any. */
  readonly explicitHashKey?: string | undefined;
}

/** A stretch of a file that failed its checksum (or ended mid-frame) and was skipped. */
export interface SkippedRegion {
  /** Byte offset where the bad bytes start. */
  readonly offset: number;
  /** How many bytes were skipped. */
  readonly bytes: number;
  /** `torn-tail`: the file ends inside a frame (an interrupted write); `checksum`: bad bytes in the middle. */
  readonly reason: 'torn-tail' | 'checksum';
}

/** Bytes a record frame takes on disk. */
export function recordFrameSize(record: Omit<SpooledRecord, 'seq'>): number {
  return (
    FRAME_OVERHEAD +
    10 +
    Buffer.byteLength(record.partitionKey, 'utf8') +
    (record.explicitHashKey?.length ?? 0) +
    record.data.byteLength
  );
}

function frameAt(out: Buffer, pos: number, bodyLength: number): number {
  out.writeUInt16LE(FRAME_MAGIC, pos);
  out.writeUInt32LE(bodyLength, pos + 2);
  return pos + FRAME_OVERHEAD;
}

function frameCrc(buf: Uint8Array, pos: number, bodyLength: number): number {
  // Covers the length field and the body.
  return crc32(buf, pos + FRAME_OVERHEAD, pos + FRAME_OVERHEAD + bodyLength, crc32(buf, pos + 2, pos + 6));
}

function sealFrame(out: Buffer, pos: number, bodyLength: number): void {
  out.writeUInt32LE(frameCrc(out, pos, bodyLength), pos + 6);
}

/** Encodes records as consecutive frames in one buffer (one write per batch). */
export function encodeRecords(records: readonly SpooledRecord[]): Buffer {
  let size = 0;
  for (const r of records) size += recordFrameSize(r);
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const r of records) {
    const keyLength = Buffer.byteLength(r.partitionKey, 'utf8');
    const ehk = r.explicitHashKey ?? '';
    const bodyLength = 10 + keyLength + ehk.length + r.data.byteLength;
    let p = frameAt(out, pos, bodyLength);
    out[p] = KIND_RECORD;
    out.writeUIntLE(r.seq, p + 1, 6);
    out.writeUInt16LE(keyLength, p + 7);
    out[p + 9] = ehk.length;
    p += 10;
    p += out.write(r.partitionKey, p, 'utf8');
    p += out.write(ehk, p, 'latin1');
    out.set(r.data, p);
    sealFrame(out, pos, bodyLength);
    pos += FRAME_OVERHEAD + bodyLength;
  }
  return out;
}

/** Encodes acknowledged sequence numbers as one frame. */
export function encodeAcks(seqs: readonly number[]): Buffer {
  const bodyLength = 5 + 6 * seqs.length;
  const out = Buffer.allocUnsafe(FRAME_OVERHEAD + bodyLength);
  let p = frameAt(out, 0, bodyLength);
  out[p] = KIND_ACKS;
  out.writeUInt32LE(seqs.length, p + 1);
  p += 5;
  for (const seq of seqs) {
    out.writeUIntLE(seq, p, 6);
    p += 6;
  }
  sealFrame(out, 0, bodyLength);
  return out;
}

function validFrameAt(buf: Buffer, pos: number): number | undefined {
  if (pos + FRAME_OVERHEAD > buf.length || buf.readUInt16LE(pos) !== FRAME_MAGIC) return undefined;
  const bodyLength = buf.readUInt32LE(pos + 2);
  if (bodyLength < 1 || bodyLength > MAX_BODY || pos + FRAME_OVERHEAD + bodyLength > buf.length)
    return undefined;
  if (frameCrc(buf, pos, bodyLength) !== buf.readUInt32LE(pos + 6)) return undefined;
  return bodyLength;
}

/**
 * Walks the frames of `buf` from `start`, calling `onFrame` with each valid body. Bytes that fail
 * the checksum are skipped up to the next valid frame (`checksum`), or to the end when none follows
 * (`torn-tail`); every skip is returned, never thrown.
 */
export function scanFrames(buf: Buffer, start: number, onFrame: (body: Buffer) => void): SkippedRegion[] {
  const skipped: SkippedRegion[] = [];
  let pos = start;
  while (pos < buf.length) {
    const bodyLength = validFrameAt(buf, pos);
    if (bodyLength !== undefined) {
      onFrame(buf.subarray(pos + FRAME_OVERHEAD, pos + FRAME_OVERHEAD + bodyLength));
      pos += FRAME_OVERHEAD + bodyLength;
      continue;
    }
    let next = pos + 1;
    for (;;) {
      next = buf.indexOf(0x53, next); // low byte of FRAME_MAGIC (little-endian)
      if (next < 0 || validFrameAt(buf, next) !== undefined) break;
      next++;
    }
    if (next < 0) {
      skipped.push({ offset: pos, bytes: buf.length - pos, reason: 'torn-tail' });
      break;
    }
    skipped.push({ offset: pos, bytes: next - pos, reason: 'checksum' });
    pos = next;
  }
  return skipped;
}

/** Decodes a record body; `undefined` when the body is not a well-formed record. */
export function decodeRecord(body: Buffer): SpooledRecord | undefined {
  if (body.length < 10 || body[0] !== KIND_RECORD) return undefined;
  const seq = body.readUIntLE(1, 6);
  const keyLength = body.readUInt16LE(7);
  const ehkLength = body[9]!;
  if (10 + keyLength + ehkLength > body.length) return undefined;
  const partitionKey = body.toString('utf8', 10, 10 + keyLength);
  const explicitHashKey =
    ehkLength === 0 ? undefined : body.toString('latin1', 10 + keyLength, 10 + keyLength + ehkLength);
  // Copy the payload: the file buffer is dropped after recovery.
  const data = Uint8Array.prototype.slice.call(body, 10 + keyLength + ehkLength);
  return { seq, data, partitionKey, explicitHashKey };
}

/** Decodes an ack body into the sequence numbers it marks; `undefined` when malformed. */
export function decodeAcks(body: Buffer): number[] | undefined {
  if (body.length < 5 || body[0] !== KIND_ACKS) return undefined;
  const count = body.readUInt32LE(1);
  if (body.length !== 5 + 6 * count) return undefined;
  const seqs = new Array<number>(count);
  for (let i = 0; i < count; i++) seqs[i] = body.readUIntLE(5 + 6 * i, 6);
  return seqs;
}
