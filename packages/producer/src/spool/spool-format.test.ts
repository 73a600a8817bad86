import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';
import {
  decodeAcks,
  decodeRecord,
  encodeAcks,
  encodeRecords,
  SEGMENT_HEADER,
  type SpooledRecord,
  scanFrames,
} from './spool-format.js';

const records: SpooledRecord[] = [
  { seq: 1, data: Buffer.from('alpha'), partitionKey: 'k1', explicitHashKey: undefined },
  {
    seq: 2,
    data: new Uint8Array(0),
    partitionKey: 'κλειδί',
    explicitHashKey: '340282366920938463463374607431768211455',
  },
  { seq: 2 ** 40 + 7, data: Buffer.alloc(3000, 7), partitionKey: 'k3', explicitHashKey: undefined },
];

function decodeAll(buf: Buffer, start = 0) {
  const out: SpooledRecord[] = [];
  const skipped = scanFrames(buf, start, (body) => out.push(decodeRecord(body)!));
  return { out, skipped };
}

const plain = (r: SpooledRecord) => [
  r.seq,
  Buffer.from(r.data).toString('hex'),
  r.partitionKey,
  r.explicitHashKey,
];

describe('spool format', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('round-trips records and acknowledgement frames', () => {
    const { out, skipped } = decodeAll(encodeRecords(records));
    expect(skipped).toEqual([]);
    expect(out.map(plain)).toEqual(records.map(plain));
    const acks: number[][] = [];
    scanFrames(Buffer.concat([encodeAcks([1, 5, 2 ** 45]), encodeAcks([])]), 0, (b) =>
      acks.push(decodeAcks(b)!),
    );
    expect(acks).toEqual([[1, 5, 2 ** 45], []]);
  });

  it('reports a torn tail at every cut point and keeps every whole frame before it', () => {
    const buf = Buffer.concat([SEGMENT_HEADER, encodeRecords(records)]);
    const ends: number[] = [];
    scanFrames(buf, SEGMENT_HEADER.length, () => {});
    let pos = SEGMENT_HEADER.length;
    for (const r of records) {
      pos += encodeRecords([r]).length;
      ends.push(pos);
    }
    for (let cut = SEGMENT_HEADER.length + 1; cut < buf.length; cut += 97) {
      const { out, skipped } = decodeAll(buf.subarray(0, cut), SEGMENT_HEADER.length);
      const whole = ends.filter((e) => e <= cut).length;
      expect(out.map(plain)).toEqual(records.slice(0, whole).map(plain));
      if (ends.includes(cut)) expect(skipped).toEqual([]);
      else
        expect(skipped).toEqual([
          {
            offset: ends[whole - 1] ?? SEGMENT_HEADER.length,
            bytes: cut - (ends[whole - 1] ?? SEGMENT_HEADER.length),
            reason: 'torn-tail',
          },
        ]);
    }
  });

  it('skips a corrupted frame in the middle and resynchronises on the next one', () => {
    const first = encodeRecords([records[0]!]);
    const second = encodeRecords([records[1]!]);
    const buf = Buffer.concat([first, second, encodeRecords([records[2]!])]);
    // Flip a payload byte of the second frame: its checksum fails.
    buf[first.length + second.length - 1]! ^= 0xff;
    const { out, skipped } = decodeAll(buf);
    expect(out.map((r) => r.seq)).toEqual([1, 2 ** 40 + 7]);
    expect(skipped).toEqual([{ offset: first.length, bytes: second.length, reason: 'checksum' }]);
  });

  it('survives a corrupted length field and garbage between frames', () => {
    const first = encodeRecords([records[0]!]);
    const second = encodeRecords([records[1]!]);
    const damaged = Buffer.from(second);
    damaged.writeUInt32LE(0xfffffff0, 2); // absurd length
    const garbage = Buffer.from('S\u0053KS garbage', 'latin1');
    const buf = Buffer.concat([first, damaged, garbage, encodeRecords([records[2]!])]);
    const { out, skipped } = decodeAll(buf);
    expect(out.map((r) => r.seq)).toEqual([1, 2 ** 40 + 7]);
    expect(skipped).toEqual([
      { offset: first.length, bytes: damaged.length + garbage.length, reason: 'checksum' },
    ]);
  });
});
