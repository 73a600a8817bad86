import { spawnSync } from 'node:child_process';
import {
  promises as fs,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, ManualClock, silentLogger } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiskSpool, type NewRecord } from './disk-spool.js';
import type { SpoolEvent } from './spool-events.js';
import { decodeAcks, encodeAcks, scanFrames } from './spool-format.js';
import { type ResolvedSpoolOptions, resolveSpoolOptions } from './spool-options.js';

const rec = (i: number, size = 10): NewRecord => ({
  data: Buffer.alloc(size, i % 256),
  partitionKey: `key-${i}`,
  explicitHashKey: i % 3 === 0 ? String(i) : undefined,
});

describe('DiskSpool', () => {
  let dir: string;
  let events: SpoolEvent[];
  let clock: ManualClock;
  const open: DiskSpool[] = [];

  function make(options: Partial<ResolvedSpoolOptions> = {}): DiskSpool {
    const spool = new DiskSpool(
      { ...resolveSpoolOptions({ dir, maxBytes: 1024 * 1024 })!, ...options },
      { clock, logger: silentLogger, onEvent: (e) => events.push(e) },
    );
    open.push(spool);
    return spool;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'disk-spool-'));
    events = [];
    clock = new ManualClock();
  });
  afterEach(async () => {
    for (const spool of open.splice(0)) await spool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const segments = () =>
    readdirSync(dir)
      .filter((n) => n.endsWith('.log'))
      .sort();

  it('has the acknowledgement marks written when settle() returns, even while a record write waits for a slow fsync', async () => {
    const spool = make({ fsync: 'always' });
    await spool.open();
    const first = spool.append([rec(1), rec(2), rec(3)]);
    await first.written;
    // From now on every fdatasync hangs until released: the next record write is stuck in it.
    const probe = await fs.open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const datasync = proto.datasync;
    const spy = vi.spyOn(proto, 'datasync').mockImplementation(async function (this: unknown) {
      await gate;
      return datasync.call(this);
    });
    try {
      const second = spool.append([rec(4)]);
      await vi.waitFor(() => expect(spy).toHaveBeenCalled());
      spool.settle([first.firstSeq, first.firstSeq + 1, first.firstSeq + 2]);
      const seqs: number[] = [];
      scanFrames(readFileSync(join(dir, `${segments()[0]!}.acks`)), 0, (body) =>
        seqs.push(...(decodeAcks(body) ?? [])),
      );
      expect(seqs).toEqual([1, 2, 3]);
      release();
      await second.written;
    } finally {
      release();
      spy.mockRestore();
    }
    await spool.close();
    expect((await make().open()).map((r) => r.seq)).toEqual([4]);
  });

  it("does not replay what the previous producer's orphaned host marked delivered (only that producer's host)", async () => {
    const a = make();
    await a.open();
    const appended = a.append(Array.from({ length: 10 }, (_, i) => rec(i)));
    await appended.written;
    await a.close();
    const deadPid = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
    );
    const staleLock = (token: string) =>
      writeFileSync(
        join(dir, 'LOCK'),
        JSON.stringify({ pid: deadPid, hostname: hostname(), startTime: null, token }),
      );
    staleLock('dead-producer');
    writeFileSync(
      join(dir, 'host-dead-producer.marks'),
      Buffer.concat([encodeAcks([2, 3]), encodeAcks([5])]),
    );
    writeFileSync(join(dir, 'host-older-producer.marks'), encodeAcks([1])); // not the lock taken over: ignored
    const b = make();
    expect((await b.open()).map((r) => r.seq)).toEqual([1, 4, 6, 7, 8, 9, 10]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'spoolRecovered', records: 7, acknowledgedByHost: 3 }),
    );
    expect(readdirSync(dir).filter((n) => n.endsWith('.marks'))).toEqual([]);
    await b.close();
    // The host's marks became the spool's own: still not replayed after another crash.
    staleLock('dead-again');
    expect((await make().open()).map((r) => r.seq)).toEqual([1, 4, 6, 7, 8, 9, 10]);
  });

  it('replays unsettled records in write order after a restart; settled ones and empty segments are gone', async () => {
    const a = make({ segmentBytes: 4096 });
    expect(await a.open()).toEqual([]);
    const batches = [0, 1, 2, 3].map((b) =>
      a.append(Array.from({ length: 50 }, (_, i) => rec(b * 50 + i, 40))),
    );
    await Promise.all(batches.map((b) => b.written));
    expect(batches.map((b) => b.firstSeq)).toEqual([1, 51, 101, 151]);
    expect(segments().length).toBeGreaterThan(2);
    // Settle all of the first 120 records and every even one after.
    const settled = Array.from({ length: 200 }, (_, i) => i + 1).filter((s) => s <= 120 || s % 2 === 0);
    a.settle(settled);
    await a.close(); // as after a crash: nothing else is written at close
    const b = make({ segmentBytes: 4096 });
    const back = await b.open();
    const expected = Array.from({ length: 200 }, (_, i) => i + 1).filter((s) => !settled.includes(s));
    expect(back.map((r) => r.seq)).toEqual(expected);
    for (const r of back) {
      const original = rec(r.seq - 1, 40);
      expect(Buffer.from(r.data).equals(Buffer.from(original.data))).toBe(true);
      expect([r.partitionKey, r.explicitHashKey]).toEqual([original.partitionKey, original.explicitHashKey]);
    }
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'spoolRecovered', records: expected.length }),
    );
    // New records get later sequence numbers than anything on disk.
    const more = b.append([rec(999)]);
    await more.written;
    expect(more.firstSeq).toBe(201);
    b.settle([...expected, 201]);
    await b.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('detects a torn write at the tail by checksum, reports it and keeps every whole record', async () => {
    const a = make();
    await a.open();
    await a.append(Array.from({ length: 10 }, (_, i) => rec(i, 100))).written;
    await a.close();
    const [file] = segments();
    const size = statSync(join(dir, file!)).size;
    truncateSync(join(dir, file!), size - 37); // the last frame lost its end
    const b = make();
    const back = await b.open();
    expect(back.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'spoolCorrupt', file, reason: 'torn-tail', bytes: 126 - 37 }),
    );
  });

  it('skips a corrupted record in the middle of a segment and recovers the ones after it', async () => {
    const a = make();
    await a.open();
    await a.append(Array.from({ length: 10 }, (_, i) => rec(i, 100))).written;
    await a.close();
    const [file] = segments();
    const bytes = readFileSync(join(dir, file!));
    // A frame: 10 (magic, length, CRC) + 10 (record header) + 5 ('key-i') + 100 (data) + 1 when i has a
    // one-digit explicit hash key (i = 0, 3). The fifth record (seq 5) starts after the header and four frames.
    const fifthStart = 8 + 126 + 125 + 125 + 126;
    bytes[fifthStart + 50]! ^= 0x55;
    writeFileSync(join(dir, file!), bytes);
    const back = await make().open();
    expect(back.map((r) => r.seq)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'spoolCorrupt', file, reason: 'checksum', offset: fifthStart }),
    );
  });

  it('refuses a second spool on the same directory while the first is open', async () => {
    await make().open();
    await expect(make().open()).rejects.toMatchObject({ code: ErrorCode.SPOOL_LOCKED });
  });

  it('when full, holds writes back (spoolFull) until settled records free a segment; disk use stays under maxBytes', async () => {
    const maxBytes = 64 * 1024;
    const spool = make({ maxBytes, segmentBytes: 16 * 1024 });
    await spool.open();
    const first = spool.append(Array.from({ length: 50 }, (_, i) => rec(i, 1000))); // ~51 KiB
    await first.written;
    const second = spool.append(Array.from({ length: 20 }, (_, i) => rec(50 + i, 1000)));
    let written = false;
    void second.written.then(() => {
      written = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(written).toBe(false);
    expect(events).toContainEqual(expect.objectContaining({ type: 'spoolFull', maxBytes }));
    expect(spool.bytes).toBeLessThanOrEqual(maxBytes);
    spool.settle(Array.from({ length: 30 }, (_, i) => i + 1));
    await second.written;
    expect(spool.bytes).toBeLessThanOrEqual(maxBytes);
    const onDisk = readdirSync(dir).reduce((sum, n) => sum + statSync(join(dir, n)).size, 0);
    expect(onDisk).toBeLessThanOrEqual(maxBytes + 200); // + the lock file
    expect(spool.liveRecords).toBe(40);
  });

  it("with fsync 'batch' syncs on the injected clock's timer; with 'always' needs no timer", async () => {
    const batch = make({ fsync: 'batch', syncInterval: 1000 });
    await batch.open();
    await batch.append([rec(1)]).written;
    await batch.append([rec(2)]).written;
    expect(clock.pendingTimers).toBe(1); // one pending sync for both writes
    clock.advance(1000);
    expect(clock.pendingTimers).toBe(0);
    await batch.append([rec(3)]).written;
    expect(clock.pendingTimers).toBe(1);
    await batch.close();
    expect(clock.pendingTimers).toBe(0);
    rmSync(dir, { recursive: true, force: true });
    const always = make({ fsync: 'always' });
    await always.open();
    await always.append([rec(1)]).written;
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects appends after close with CLOSED', async () => {
    const spool = make();
    await spool.open();
    await spool.close();
    await expect(spool.append([rec(1)]).written).rejects.toMatchObject({ code: ErrorCode.CLOSED });
  });
});
