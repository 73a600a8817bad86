import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, isKinesisTsError, silentLogger, systemClock } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProducerRecordError } from '../errors.js';
import type { ProducerEvent } from '../events.js';
import type { KinesisProducerOptions } from '../options.js';
import { KinesisProducer } from '../producer.js';
import { FakeKinesis } from '../test-support/fake-kinesis.js';
import { DiskSpool } from './disk-spool.js';
import type { SpoolEvent } from './spool-events.js';
import { decodeRecord, SEGMENT_HEADER, scanFrames } from './spool-format.js';
import { resolveSpoolOptions } from './spool-options.js';

const text = (data: Uint8Array): string => Buffer.from(data).toString('utf8');

describe('KinesisProducer with a disk spool (inline runner)', () => {
  let dir: string;
  const producers: KinesisProducer[] = [];

  function make(options: Partial<KinesisProducerOptions> = {}, fake = new FakeKinesis({ shards: 1 })) {
    const events: ProducerEvent[] = [];
    const producer = new KinesisProducer({
      streamName: 'stream',
      runner: 'inline',
      kinesisApi: fake,
      rateLimit: false,
      bufferTime: 5,
      spool: { dir },
      onEvent: (e) => events.push(e),
      ...options,
    });
    producers.push(producer);
    return { producer, fake, events };
  }

  /** Leaves records in the spool as a producer killed before any acknowledgement would. */
  async function leaveBehind(payloads: string[]): Promise<void> {
    const spool = new DiskSpool(resolveSpoolOptions({ dir })!, {
      clock: systemClock,
      logger: silentLogger,
      onEvent: () => {},
    });
    await spool.open();
    await spool.append(payloads.map((p) => ({ data: Buffer.from(p), partitionKey: p }))).written;
    await spool.close();
  }

  const spooledPayloads = (): string[] => {
    const out: string[] = [];
    for (const name of readdirSync(dir)
      .filter((n) => n.endsWith('.log'))
      .sort()) {
      scanFrames(readFileSync(join(dir, name)), SEGMENT_HEADER.length, (body) =>
        out.push(text(decodeRecord(body)!.data)),
      );
    }
    return out;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spool-runner-'));
  });
  afterEach(async () => {
    for (const p of producers.splice(0)) await p.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('has every record on disk once accepted() resolves, and none once Kinesis acknowledged them', async () => {
    const fake = new FakeKinesis({ shards: 1 });
    let open!: () => void;
    fake.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const { producer } = make({}, fake);
    const payloads = Array.from({ length: 300 }, (_, i) => `p${i}`);
    const puts = payloads.map((p) => producer.put(p));
    await producer.accepted();
    expect(spooledPayloads()).toEqual(payloads);
    open();
    await Promise.all(puts);
    await producer.close();
    expect(readdirSync(dir)).toEqual([]);
    expect(fake.stored.map((r) => text(r.data))).toEqual(payloads);
  });

  it('sends what a dead producer left in the spool before new records, reporting the outcomes as events', async () => {
    const old = Array.from({ length: 20 }, (_, i) => `old-${i}`);
    await leaveBehind(old);
    // The dead producer's lock is still there: taken over, since its process is gone.
    const deadPid = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
    );
    writeFileSync(
      join(dir, 'LOCK'),
      JSON.stringify({ pid: deadPid, hostname: hostname(), startTime: null, token: 't' }),
    );
    const { producer, fake, events } = make();
    const fresh = Array.from({ length: 5 }, (_, i) => `new-${i}`);
    const results = await Promise.all(fresh.map((p) => producer.put(p)));
    await producer.flush();
    expect(fake.stored.map((r) => text(r.data))).toEqual([...old, ...fresh]);
    expect(results.every((r) => typeof r.sequenceNumber === 'string')).toBe(true);
    const spoolEvents = events.filter((e) => e.type.startsWith('spool')) as SpoolEvent[];
    expect(spoolEvents[0]).toMatchObject({ type: 'spoolRecovered', records: 20, staleLockPid: deadPid });
    const settled = spoolEvents.flatMap((e) => (e.type === 'spoolReplaySettled' ? e.acknowledged : []));
    expect(settled.map((s) => s.partitionKey)).toEqual(old);
    const stored = new Map(fake.stored.map((r) => [r.sequenceNumber, text(r.data)]));
    for (const s of settled) expect(stored.get(s.sequenceNumber)).toBe(s.partitionKey);
    expect(spoolEvents.at(-1)).toEqual({ type: 'spoolReplayDone', acknowledged: 20, failed: 0 });
    await producer.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports a replayed record that is given up with the record, and lets it go', async () => {
    await leaveBehind(['old-ok', 'old-bad']);
    const fake = new FakeKinesis({ shards: 1 });
    fake.entryFault = (entry) => (entry.PartitionKey === 'old-bad' ? 'InternalFailure' : undefined);
    const { producer, events } = make({ recordTtl: 200, retry: { baseDelay: 10, maxDelay: 20 } }, fake);
    await producer.start();
    await producer.flush();
    for (let i = 0; i < 500 && !events.some((e) => e.type === 'spoolReplayDone'); i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const failed = events.flatMap((e) => (e.type === 'spoolReplaySettled' ? e.failed : []));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toBeInstanceOf(ProducerRecordError);
    expect(failed[0]!.code).toBe(ErrorCode.RECORD_EXPIRED);
    expect(text(failed[0]!.record.data as Uint8Array)).toBe('old-bad');
    expect(failed[0]!.cause).toMatchObject({
      code: ErrorCode.KINESIS_REQUEST_FAILED,
      context: { partitionKey: 'old-bad', errorCode: 'InternalFailure', errorMessage: 'injected' },
    });
    expect(events.at(-1)).toEqual({ type: 'spoolReplayDone', acknowledged: 1, failed: 1 });
    await producer.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('replays a spool larger than maxOutstandingRecords within the bound, before new records of the same keys', async () => {
    const old = Array.from({ length: 250 }, (_, i) => `old-${i}`);
    await leaveBehind(old);
    const fake = new FakeKinesis({ shards: 2 });
    fake.latency = () => 3;
    // Records in PutRecords calls not yet answered: never more than the producer's bound.
    let inFlight = 0;
    let maxInFlight = 0;
    const put = fake.putRecords.bind(fake);
    fake.putRecords = async (stream, entries, options) => {
      inFlight += entries.length;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await put(stream, entries, options);
      } finally {
        inFlight -= entries.length;
      }
    };
    const { producer, events } = make({ maxOutstandingRecords: 20, maxBatchRecords: 500 }, fake);
    // New records reuse the replayed records' partition keys (leaveBehind keys each record by its payload).
    const fresh = Array.from({ length: 30 }, (_, i) => ({ data: `new-${i}`, key: `old-${i * 8}` }));
    const puts = fresh.map((r) => producer.put(r.data, { partitionKey: r.key }));
    await producer.accepted();
    await Promise.all(puts);
    await producer.close();
    expect(maxInFlight).toBeGreaterThan(0);
    expect(maxInFlight).toBeLessThanOrEqual(20);
    const stored = fake.stored.map((r) => text(r.data));
    expect([...stored].sort()).toEqual([...old, ...fresh.map((r) => r.data)].sort()); // each exactly once
    for (const r of fresh) expect(stored.indexOf(r.key)).toBeLessThan(stored.indexOf(r.data));
    expect(events.filter((e) => e.type === 'spoolReplayDone')).toEqual([
      { type: 'spoolReplayDone', acknowledged: 250, failed: 0 },
    ]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("with whenFull: 'reject', replayed records in flight count against the bound", async () => {
    await leaveBehind(Array.from({ length: 50 }, (_, i) => `old-${i}`));
    const fake = new FakeKinesis({ shards: 1 });
    let open!: () => void;
    fake.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const { producer, events } = make({ maxOutstandingRecords: 10, whenFull: 'reject' }, fake);
    await producer.start();
    // The first replay window (10 records) fills the bound: a new record is refused.
    await expect(producer.put('new-0')).rejects.toMatchObject({
      code: ErrorCode.BUFFER_FULL,
      context: { outstandingRecords: 10 },
    });
    open();
    await vi.waitFor(() => expect(events.some((e) => e.type === 'spoolReplayDone')).toBe(true));
    await expect(producer.put('new-1')).resolves.toMatchObject({ shardId: 'shardId-000000000000' });
    await producer.close();
    expect(fake.stored.map((r) => text(r.data)).at(-1)).toBe('new-1');
  });

  it('close({ timeoutMs }) during a paced replay ends on time and keeps what was not acknowledged', async () => {
    const old = Array.from({ length: 100 }, (_, i) => `old-${i}`);
    await leaveBehind(old);
    const fake = new FakeKinesis({ shards: 1 });
    fake.gate = new Promise<void>(() => {}); // Kinesis never answers
    const { producer } = make({ maxOutstandingRecords: 10 }, fake);
    await producer.start();
    const put = producer.put('new-0');
    const started = Date.now();
    await producer.close({ timeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(put).rejects.toMatchObject({ code: ErrorCode.TIMEOUT });
    expect(fake.calls.flatMap((c) => c.entries)).toHaveLength(10); // the first window only
    await vi.waitFor(() => expect(existsSync(join(dir, 'LOCK'))).toBe(false));
    const next = make({ maxOutstandingRecords: 10 });
    await next.producer.start();
    expect(next.events[0]).toMatchObject({ type: 'spoolRecovered', records: 100 });
    await next.producer.close();
    expect(next.fake.stored.map((r) => text(r.data))).toEqual(old);
  });

  it('refuses a second producer on the same spool directory with SPOOL_LOCKED', async () => {
    const first = make().producer;
    await first.start();
    const second = make().producer;
    const error = await second.start().catch((e: unknown) => e);
    expect(isKinesisTsError(error, ErrorCode.SPOOL_LOCKED)).toBe(true);
    await expect(second.put('x')).rejects.toMatchObject({ code: ErrorCode.SPOOL_LOCKED });
    await first.close();
    await second.start(); // free again once the first closed
  });

  it('validates the spool option', () => {
    const base = { streamName: 's', runner: 'inline' as const, kinesisApi: new FakeKinesis() };
    for (const spool of [
      { dir: '' },
      { dir, fsync: 'never' },
      { dir, maxBytes: 10 },
      { dir, maxBytes: 1 << 20, segmentBytes: 1 << 19 },
    ]) {
      expect(() => new KinesisProducer({ ...base, spool: spool as never })).toThrow(
        expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
      );
    }
  });
});
