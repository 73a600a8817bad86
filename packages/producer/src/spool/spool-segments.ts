/**
 * The spool directory's files: segment naming, and reading every segment (with its acknowledgement
 * marks) back at open. Checksum failures are reported as `spoolCorrupt` events, never thrown.
 */

import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { SpoolEvent } from './spool-events.js';
import { decodeAcks, decodeRecord, SEGMENT_HEADER, type SpooledRecord, scanFrames } from './spool-format.js';

/** One segment file and what the spool knows about it. */
export interface Segment {
  /** Sequence number of its first record (also its name). */
  readonly firstSeq: number;
  /** File name inside the spool directory. */
  readonly name: string;
  /** Size of the segment file. */
  bytes: number;
  /** Size of its acknowledgement file. */
  ackBytes: number;
  /** Records written to it and not yet settled. */
  live: number;
  /** Settled sequence numbers whose marks are being gathered (written by the same `settle()` call). */
  acks: number[];
  /** Open descriptor of its `.acks` file (appends), once a mark was written. */
  ackFd?: number | undefined;
}

const SEGMENT_NAME = /^seg-(\d{16})\.log$/;

/** Suffix of a segment's acknowledgement file (`seg-….log.acks`). */
export const ACKS_SUFFIX = '.acks';

/** The file name of the segment whose first record is `firstSeq`. */
export function segmentName(firstSeq: number): string {
  return `seg-${String(firstSeq).padStart(16, '0')}.log`;
}

/** What {@link readSegments} found. */
export interface SpoolContents {
  /** Segments in order, with `live` set to their unsettled records. */
  readonly segments: Segment[];
  /** Unsettled records in write order. */
  readonly records: SpooledRecord[];
  /** The segment of each unsettled record. */
  readonly segmentOf: Map<number, Segment>;
  /** Largest sequence number seen (settled or not; 0 for an empty spool). */
  readonly maxSeq: number;
  /** Records settled by `hostAcked` (their marks are in their segment's `acks`, to be written). */
  readonly acknowledgedByHost: number;
}

/**
 * Reads every segment of `dir` and its acknowledgement marks; removes acknowledgement files whose
 * segment is gone. Reports skipped bytes through `report`. Records in `hostAcked` (marks an orphaned
 * host wrote) count as settled too; their sequence numbers are left in their segment's `acks`.
 */
export async function readSegments(
  dir: string,
  report: (event: SpoolEvent) => void,
  hostAcked: ReadonlySet<number> = new Set(),
): Promise<SpoolContents> {
  const names = await fs.readdir(dir);
  const present = new Set(names);
  for (const name of names) {
    if (name.endsWith(ACKS_SUFFIX) && !present.has(name.slice(0, -ACKS_SUFFIX.length)))
      await fs.rm(join(dir, name), { force: true });
  }
  const firsts = names
    .map((n) => SEGMENT_NAME.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const skipped = (file: string, skips: ReturnType<typeof scanFrames>): void => {
    for (const s of skips)
      report({ type: 'spoolCorrupt', file, offset: s.offset, bytes: s.bytes, reason: s.reason });
  };
  const segments: Segment[] = [];
  const records: SpooledRecord[] = [];
  const segmentOf = new Map<number, Segment>();
  let maxSeq = 0;
  let acknowledgedByHost = 0;
  for (const firstSeq of firsts) {
    const name = segmentName(firstSeq);
    maxSeq = Math.max(maxSeq, firstSeq);
    const segment: Segment = { firstSeq, name, bytes: 0, ackBytes: 0, live: 0, acks: [] };
    const acked = new Set<number>();
    if (present.has(name + ACKS_SUFFIX)) {
      const ackBuf = await fs.readFile(join(dir, name + ACKS_SUFFIX));
      segment.ackBytes = ackBuf.length;
      skipped(
        name + ACKS_SUFFIX,
        scanFrames(ackBuf, 0, (body) => {
          for (const seq of decodeAcks(body) ?? []) acked.add(seq);
        }),
      );
    }
    const buf = await fs.readFile(join(dir, name));
    segment.bytes = buf.length;
    const headerOk =
      buf.length >= SEGMENT_HEADER.length && buf.subarray(0, SEGMENT_HEADER.length).equals(SEGMENT_HEADER);
    if (!headerOk && buf.length > 0) {
      // A header cut short is a segment created just before a crash; anything else is damage.
      const torn = buf.length < SEGMENT_HEADER.length && SEGMENT_HEADER.subarray(0, buf.length).equals(buf);
      report({
        type: 'spoolCorrupt',
        file: name,
        offset: 0,
        bytes: Math.min(buf.length, SEGMENT_HEADER.length),
        reason: torn ? 'torn-tail' : 'bad-header',
      });
    }
    skipped(
      name,
      scanFrames(buf, Math.min(buf.length, SEGMENT_HEADER.length), (body) => {
        const record = decodeRecord(body);
        if (record === undefined) return;
        maxSeq = Math.max(maxSeq, record.seq);
        if (acked.has(record.seq) || segmentOf.has(record.seq)) return;
        if (hostAcked.has(record.seq)) {
          acked.add(record.seq);
          segment.acks.push(record.seq);
          acknowledgedByHost++;
          return;
        }
        records.push(record);
        segmentOf.set(record.seq, segment);
        segment.live++;
      }),
    );
    segments.push(segment);
  }
  return { segments, records, segmentOf, maxSeq, acknowledgedByHost };
}
