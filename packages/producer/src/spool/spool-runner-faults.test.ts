import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, silentLogger, systemClock } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RecordAck } from '../acks.js';
import type { RecordFailure } from '../errors.js';
import type { ProducerEvent } from '../events.js';
import type { IncomingRecord, StreamInfo } from '../pipeline.js';
import type { Runner, RunnerCallbacks } from '../runners/runner.js';
import { DiskSpool } from './disk-spool.js';
import { resolveSpoolOptions } from './spool-options.js';
import { SpoolRunner } from './spool-runner.js';

/** A runner that records what it was handed; the test settles or crashes it by hand. */
class ScriptedRunner implements Runner {
  readonly sent: IncomingRecord[][] = [];
  starts = 0;
  constructor(readonly callbacks: RunnerCallbacks) {}
  async start(): Promise<StreamInfo> {
    this.starts++;
    return { maxRecordSizeBytes: 1024 * 1024, openShards: 1 };
  }
  async send(records: IncomingRecord[]): Promise<void> {
    this.sent.push(records);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  readonly acked = new Set<number>();
  /** Like the real runners: every record handed over and not acknowledged fails with `failure`. */
  abort(failure: RecordFailure): void {
    const open = this.sent.flat().filter((r) => !this.acked.has(r.id));
    this.callbacks.settled(open.map((r) => ({ id: r.id, failure })));
  }
  ack(ids: number[]): void {
    for (const id of ids) this.acked.add(id);
    this.callbacks.settled(
      ids.map((id) => ({ id, shardId: 's', sequenceNumber: String(id), subSequenceNumber: undefined })),
    );
  }
}

const rec = (id: number): IncomingRecord => ({ id, data: Buffer.from(`r${id}`), partitionKey: `k${id}` });

describe('SpoolRunner faults', () => {
  let dir: string;
  let spools: DiskSpool[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spool-faults-'));
    spools = [];
  });
  afterEach(async () => {
    for (const s of spools) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function setup(limits = { maxRecords: 100_000, maxBytes: 64 * 1024 * 1024 }) {
    const spool = new DiskSpool(resolveSpoolOptions({ dir })!, {
      clock: systemClock,
      logger: silentLogger,
      onEvent: () => {},
    });
    spools.push(spool);
    const settled: RecordAck[] = [];
    const events: ProducerEvent[] = [];
    const crashes: Error[] = [];
    let backlogChanges = 0;
    let inner!: ScriptedRunner;
    const runner = new SpoolRunner(
      spool,
      (callbacks) => {
        inner = new ScriptedRunner(callbacks);
        return inner;
      },
      {
        settled: (a) => settled.push(...a),
        event: (e) => events.push(e),
        crashed: (e) => crashes.push(e),
        backlogChanged: () => backlogChanges++,
      },
      { logger: silentLogger, streamName: 'stream', limits },
    );
    return {
      spool,
      runner,
      inner: () => inner,
      settled,
      events,
      crashes,
      backlogChanges: () => backlogChanges,
    };
  }

  it('maps ids both ways: the host sees spool sequence numbers, the producer its own ids', async () => {
    const { runner, inner, settled, spool } = setup();
    await runner.start();
    await runner.send([rec(7), rec(8), rec(9)]);
    expect(inner().sent[0]!.map((r) => r.id)).toEqual([1, 2, 3]);
    inner().ack([2, 1]);
    expect(settled.map((a) => a.id)).toEqual([8, 7]);
    expect(spool.liveRecords).toBe(1);
    await runner.close();
  });

  it('after a host crash, lets go of the producer records (their promises reject) and sends replayed ones again on restart', async () => {
    const first = setup();
    await first.runner.start();
    await first.runner.send([rec(1), rec(2), rec(3)]);
    await first.spool.close(); // the app "dies" with three records unacknowledged

    const { runner, inner, spool, crashes, events } = setup();
    await runner.start();
    expect(inner().sent).toHaveLength(1);
    expect(inner().sent[0]!.map((r) => r.id)).toEqual([1, 2, 3]); // replayed, before anything new
    await runner.send([rec(10), rec(11)]);
    expect(inner().sent[1]!.map((r) => r.id)).toEqual([4, 5]);
    inner().ack([1]);
    expect(spool.liveRecords).toBe(4);
    inner().callbacks.crashed(new Error('host died'));
    expect(crashes).toHaveLength(1);
    expect(spool.liveRecords).toBe(2); // the producer's two are its caller's again; replayed 2 and 3 stay
    await runner.start(); // the producer restarts the host
    expect(
      inner()
        .sent.at(-1)!
        .map((r) => r.id),
    ).toEqual([2, 3]);
    inner().ack([2, 3]);
    expect(events).toContainEqual({ type: 'spoolReplayDone', acknowledged: 3, failed: 0 });
    expect(spool.liveRecords).toBe(0);
    await runner.close();
  });

  it('an aborted close fails the open records to their callers but keeps them in the spool for the next start', async () => {
    const { runner, inner, settled } = setup();
    await runner.start();
    await runner.send([rec(1), rec(2), rec(3)]);
    inner().ack([1]);
    runner.abort({ code: 'TIMEOUT', message: 'close timed out', context: {} });
    expect(settled.filter((a) => 'failure' in a).map((a) => a.id)).toEqual([2, 3]);
    await vi.waitFor(async () => {
      const next = setup();
      await next.runner.start();
      expect(next.inner().sent[0]!.map((r) => r.id)).toEqual([2, 3]);
      await next.runner.close();
    });
  });

  /** Leaves `n` records (seqs 1..n) in the spool, unacknowledged, as a killed producer would. */
  async function leaveBehind(n: number): Promise<void> {
    const first = setup();
    await first.runner.start();
    await first.runner.send(Array.from({ length: n }, (_, i) => rec(i + 1)));
    await first.spool.close();
  }

  it('replays a spool larger than maxOutstandingRecords window by window, never over the bound', async () => {
    await leaveBehind(95);
    const { runner, inner, spool, events, backlogChanges } = setup({ maxRecords: 10, maxBytes: 1 << 20 });
    await runner.start();
    const outstanding = () =>
      inner()
        .sent.flat()
        .filter((r) => !inner().acked.has(r.id));
    expect(outstanding()).toHaveLength(10);
    expect(runner.backlog()).toMatchObject({ records: 10, waiting: true });
    let maxOutstanding = 0;
    // Kinesis acknowledges a few of the oldest at a time; more are handed over as room frees.
    for (let round = 0; outstanding().length > 0 && round < 100; round++) {
      const open = outstanding();
      inner().ack(open.slice(0, 1 + (round % 4)).map((r) => r.id));
      await Promise.resolve(); // the hand-over chain
      await new Promise((resolve) => setImmediate(resolve));
      maxOutstanding = Math.max(maxOutstanding, outstanding().length);
      expect(runner.backlog().records).toBe(outstanding().length);
    }
    expect(maxOutstanding).toBe(10);
    const ids = inner()
      .sent.flat()
      .map((r) => r.id);
    expect(ids).toEqual(Array.from({ length: 95 }, (_, i) => i + 1)); // each once, in write order
    expect(runner.backlog()).toEqual({ records: 0, bytes: 0, waiting: false });
    expect(backlogChanges()).toBeGreaterThan(0);
    expect(events.at(-1)).toEqual({ type: 'spoolReplayDone', acknowledged: 95, failed: 0 });
    expect(spool.liveRecords).toBe(0);
    await runner.close();
    expect(readdirSync(dir)).toEqual([]); // every replayed segment was deleted
  });

  it('counts replayed bytes against maxOutstandingBytes (at least one record when none is out)', async () => {
    await leaveBehind(12);
    // Records 1..9 take 4 bytes ("r1" + "k1"), 10..12 take 6: 13 bytes fit 3 small records.
    const { runner, inner } = setup({ maxRecords: 100, maxBytes: 13 });
    await runner.start();
    expect(
      inner()
        .sent.flat()
        .map((r) => r.id),
    ).toEqual([1, 2, 3]);
    inner().ack([1, 2, 3]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(
      inner()
        .sent.flat()
        .map((r) => r.id),
    ).toEqual([1, 2, 3, 4, 5, 6]);
    runner.abort({ code: 'TIMEOUT', message: 'stop', context: {} });
  });

  it('an aborted close during a paced replay keeps every unacknowledged replayed record for the next start', async () => {
    await leaveBehind(40);
    const { runner, inner } = setup({ maxRecords: 8, maxBytes: 1 << 20 });
    await runner.start();
    inner().ack([1, 2, 3]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(inner().sent.flat()).toHaveLength(11);
    runner.abort({ code: 'TIMEOUT', message: 'close timed out', context: {} });
    await new Promise((resolve) => setImmediate(resolve));
    expect(inner().sent.flat()).toHaveLength(11); // nothing handed over after the abort
    await vi.waitFor(async () => {
      const next = setup();
      await next.runner.start();
      expect(
        next
          .inner()
          .sent.flat()
          .map((r) => r.id),
      ).toEqual(Array.from({ length: 37 }, (_, i) => i + 4));
      await next.runner.close();
    });
  });

  it('fails records it cannot write with SPOOL_IO_FAILED instead of handing them over', async () => {
    const { runner, inner, settled } = setup();
    await runner.start();
    rmSync(dir, { recursive: true, force: true }); // the next segment file cannot be created
    await runner.send([rec(1), rec(2)]);
    expect(inner().sent).toEqual([]);
    expect(settled).toEqual([
      expect.objectContaining({
        id: 1,
        failure: expect.objectContaining({ code: ErrorCode.SPOOL_IO_FAILED }),
      }),
      expect.objectContaining({
        id: 2,
        failure: expect.objectContaining({ code: ErrorCode.SPOOL_IO_FAILED }),
      }),
    ]);
  });
});
