import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostAckMarks, hostMarksFileName, RECENT_MS } from './host-ack-marks.js';
import { decodeAcks, scanFrames } from './spool-format.js';
import { LOCK_FILE } from './spool-lock.js';

describe('HostAckMarks (the orphaned host marks what it delivered)', () => {
  let dir: string;
  let now: number;
  const lock = (token: string) =>
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, hostname: 'h', startTime: null, token }));
  const frames = (): number[][] => {
    const out: number[][] = [];
    scanFrames(readFileSync(join(dir, hostMarksFileName('t1'))), 0, (body) => out.push(decodeAcks(body)!));
    return out;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'host-marks-'));
    now = 1_000_000;
    lock('t1');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes nothing while the producer lives; once orphaned, what it reported lately, then one frame per acknowledged batch', () => {
    const marks = new HostAckMarks({ dir, lockToken: 't1' }, () => now);
    marks.reported(new Float64Array([1, 2]));
    now += RECENT_MS + 1;
    marks.reported(new Float64Array([3])); // 1 and 2 are older than RECENT_MS: the producer marked them
    now += 10;
    marks.reported([4, 5]);
    marks.acknowledged([6]); // not orphaned: the producer hears about it and marks it
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    marks.orphaned();
    marks.orphaned(); // idempotent
    marks.acknowledged([7, 8]);
    marks.acknowledged([]);
    marks.acknowledged([9]);
    expect(frames()).toEqual([[3, 4, 5], [7, 8], [9]]);
    marks.close();
  });

  it('stops as soon as another producer took the spool lock over (it reads only marks of the lock it took)', () => {
    const marks = new HostAckMarks({ dir, lockToken: 't1' }, () => now);
    marks.orphaned();
    marks.acknowledged([1]);
    lock('t2');
    marks.acknowledged([2]);
    lock('t1'); // even if it came back: stopped for good
    marks.acknowledged([3]);
    expect(frames()).toEqual([[1]]);
  });
});
