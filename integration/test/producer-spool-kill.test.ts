import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisProducer } from '@kinesis-ts/producer';
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { countDeliveries, reportScenario } from '../src/scenario-report.js';
import { seededRandom as prng } from '../src/seeded-random.js';
import { createStream, deleteStream } from '../src/streams.js';
import { uniqueName } from '../src/unique-name.js';
import { pidsWithMarker, readUserRecords } from './producer-helpers.js';

const backend = getBackend();
const fixture = fileURLToPath(new URL('./producer-spool-kill.fixture.mjs', import.meta.url));
/** KINESIS_TS_SOAK=1: the long variant (100 kills during 100,000 records). */
const soak = process.env.KINESIS_TS_SOAK === '1';
const KILLS = soak ? 100 : 20;
const TOTAL = soak ? 100_000 : 20_000;
/** The app-only kills: its host survives each, flushes and exits before the restart. */
const APP_KILLS = 5;
const APP_TOTAL = 10_000;

interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** Highest "accepted <n>" printed so far. */
  accepted(): number;
  /** `shardId/sequenceNumber` of records reported acknowledged: put() resolved or replay settled. */
  readonly acked: Set<string>;
  /** Resolves with the line once a line starting with `prefix` was printed. */
  line(prefix: string): Promise<string>;
}

function launch(args: string[]): Run {
  const child = spawn(process.execPath, [fixture, ...args], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  let out = '';
  let accepted = -1;
  const acked = new Set<string>();
  const waiters: { prefix: string; resolve: (line: string) => void }[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    let nl = out.indexOf('\n');
    while (nl >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (line.startsWith('accepted ')) accepted = Math.max(accepted, Number(line.slice(9)));
      else if (line.startsWith('acked ')) for (const k of line.slice(6).split(',')) acked.add(k);
      else if (line.startsWith('replayAcked ')) for (const k of line.slice(12).split(',')) acked.add(k);
      for (const w of waiters.filter((w) => line.startsWith(w.prefix))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
      nl = out.indexOf('\n');
    }
  });
  return {
    child,
    exited,
    accepted: () => accepted,
    acked,
    line: (prefix) =>
      Promise.race([
        new Promise<string>((resolve) => waiters.push({ prefix, resolve })),
        exited.then((code) => {
          throw new Error(`fixture exited (code ${String(code)}) before printing "${prefix}"`);
        }),
      ]),
  };
}

/**
 * Where each duplicate copy comes from: a chunk the app itself put again (put after its last
 * "accepted" mark, so possibly spooled already: `rePut`); a copy sent although the previous copy had
 * been reported acknowledged (its acknowledgement mark did not reach the spool before the kill:
 * `afterAck`); or a copy sent because the previous one was never reported acknowledged (in flight
 * when the app and its host were killed, or delivered by an orphaned host that left no mark:
 * `inFlight`, inherent to at-least-once).
 */
function classifyDuplicates(
  records: readonly { data: Uint8Array; shardId: string; sequenceNumber: string }[],
  rePutFrom: readonly number[],
  ackedBeforeKill: ReadonlySet<string>,
): { duplicatesRePut: number; duplicatesAfterAck: number; duplicatesInFlight: number } {
  const copiesOf = new Map<string, { shardId: string; sequenceNumber: string }[]>();
  for (const r of records) {
    const data = Buffer.from(r.data).toString('utf8');
    const list = copiesOf.get(data) ?? [];
    list.push({ shardId: r.shardId, sequenceNumber: r.sequenceNumber });
    copiesOf.set(data, list);
  }
  let duplicatesRePut = 0;
  let duplicatesAfterAck = 0;
  let duplicatesInFlight = 0;
  for (const [data, list] of copiesOf) {
    if (list.length <= 1) continue;
    const i = Number(data.slice('spool-'.length));
    if (rePutFrom.some((start) => i >= start && i < start + 100)) {
      duplicatesRePut += list.length - 1;
      continue;
    }
    // One partition key per record: every copy is on one shard, ordered by sequence number.
    list.sort((a, b) => (BigInt(a.sequenceNumber) < BigInt(b.sequenceNumber) ? -1 : 1));
    for (let c = 1; c < list.length; c++) {
      const previous = list[c - 1]!;
      if (ackedBeforeKill.has(`${previous.shardId}/${previous.sequenceNumber}`)) duplicatesAfterAck++;
      else duplicatesInFlight++;
    }
  }
  return { duplicatesRePut, duplicatesAfterAck, duplicatesInFlight };
}

/** What the killed runs of a scenario left behind, for {@link finishAndCount}. */
interface KillTally {
  readonly stream: string;
  readonly dir: string;
  /** The first record the finishing run puts. */
  readonly from: number;
  readonly total: number;
  /** Records the killed runs replayed from the spool, and marked by orphaned hosts. */
  readonly recovered: number;
  readonly byHost?: number;
  readonly rePutFrom: readonly number[];
  readonly ackedBeforeKill: ReadonlySet<string>;
  readonly runs: number;
  readonly seed: number;
  readonly started: number;
  /** Markers of every run (the finishing run's is added). */
  readonly markers: string[];
}

/**
 * The finishing run puts the rest and closes; then it checks the spool is empty, reads the stream,
 * prints the scenario line (duplicates classified) and returns it with the classification.
 */
async function finishAndCount(client: KinesisClient, name: string, tally: KillTally) {
  const marker = uniqueName('spoolfinish');
  tally.markers.push(marker);
  const last = launch([
    tally.stream,
    tally.dir,
    String(tally.from),
    String(tally.total),
    marker,
    'batch',
    'finish',
  ]);
  const done = JSON.parse((await last.line('done')).slice(5)) as {
    recovered: number;
    byHost?: number;
    rejected: number;
    replayFailed: number;
  };
  expect(await last.exited).toBe(0);
  expect(done.rejected).toBe(0);
  expect(done.replayFailed).toBe(0);
  expect(readdirSync(tally.dir)).toEqual([]); // everything acknowledged: the spool is empty
  const recovered = tally.recovered + done.recovered;
  const byHost = tally.byHost === undefined ? undefined : tally.byHost + (done.byHost ?? 0);
  const records = await readUserRecords(client, tally.stream);
  const delivered = records.map((r) => Buffer.from(r.data).toString('utf8'));
  const wanted = Array.from({ length: tally.total }, (_, i) => `spool-${i}`);
  const duplicates = classifyDuplicates(records, tally.rePutFrom, tally.ackedBeforeKill);
  const result = countDeliveries(name, wanted, delivered, {
    runs: tally.runs + 1,
    replayed: recovered,
    ...(byHost === undefined ? {} : { markedByHost: byHost }),
    ...duplicates,
    seed: tally.seed,
    seconds: Math.round((Date.now() - tally.started) / 1000),
  });
  reportScenario(result);
  return { result, recovered, byHost: byHost ?? 0, ...duplicates };
}

describe(`producer with a disk spool: the app and its host are SIGKILLed (${backend.name}, from dist)`, () => {
  const client: KinesisClient = kinesisClient();
  afterAll(() => client.destroy());

  // Finding the detached host (to kill it too) needs /proc.
  const noProc = existsSync('/proc') ? undefined : 'no /proc (Linux only)';
  it.skipIf(noProc !== undefined)(
    `${KILLS} SIGKILLs of app and host during ${TOTAL.toLocaleString('en')} records: every accepted record reaches the stream${noProc ? ` (skipped: ${noProc})` : ''}`,
    async () => {
      const stream = await createStream(client, { shardCount: 2 });
      const dir = mkdtempSync(join(tmpdir(), 'spool-kill-'));
      const seed = Number(process.env.KINESIS_TS_SEED ?? Date.now() % 1_000_000);
      const random = prng(seed);
      const started = Date.now();
      let from = 0;
      let recovered = 0;
      const markers: string[] = [];
      /** Where each killed run's last chunk began: the next run puts that chunk again (the app's own duplicates). */
      const rePutFrom: number[] = [];
      /** `shardId/sequenceNumber` of the copies a killed run reported acknowledged. */
      const ackedBeforeKill = new Set<string>();
      try {
        for (let kill = 0; kill < KILLS; kill++) {
          const marker = uniqueName('spoolkill');
          markers.push(marker);
          const run = launch([
            stream,
            dir,
            String(from),
            String(TOTAL),
            marker,
            kill % 2 ? 'always' : 'batch',
            '',
          ]);
          const startedLine = await run.line('started');
          recovered += (JSON.parse(startedLine.slice(8)) as { recovered: number }).recovered;
          await new Promise((resolve) => setTimeout(resolve, 50 + random() * 1200));
          // The app first (it must not see its host die), then its host: nothing gets to flush.
          run.child.kill('SIGKILL');
          for (const pid of pidsWithMarker(marker)) if (pid !== run.child.pid) process.kill(pid, 'SIGKILL');
          await run.exited; // reaped: its lock is stale now
          for (const k of run.acked) ackedBeforeKill.add(k);
          from = Math.max(from, run.accepted());
          rePutFrom.push(from);
        }
        const {
          result,
          recovered: replayed,
          duplicatesAfterAck,
        } = await finishAndCount(client, `producer spool: ${KILLS} SIGKILLs of app and host`, {
          stream,
          dir,
          from,
          total: TOTAL,
          recovered,
          rePutFrom,
          ackedBeforeKill,
          runs: KILLS,
          seed,
          started,
          markers,
        });
        expect(result.missing).toBe(0);
        expect(replayed).toBeGreaterThan(0); // the kills did leave unacknowledged records to replay
        // Bounded: a second copy only comes from sending a record again, either replayed from the spool
        // (counted in `recovered`) or put again after the last "accepted" mark of a killed run (at most a
        // chunk of 100 per kill). More duplicates than that would mean the producer sent a record twice.
        expect(result.duplicates).toBeLessThanOrEqual(replayed + KILLS * 100);
        // Once the producer reported a record acknowledged, its mark is in the spool: never sent again.
        expect(duplicatesAfterAck).toBe(0);
      } finally {
        for (const marker of markers) for (const pid of pidsWithMarker(marker)) process.kill(pid, 'SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        await deleteStream(client, stream);
      }
    },
    soak ? 1_800_000 : 150_000,
  );

  it.skipIf(noProc !== undefined)(
    `${APP_KILLS} SIGKILLs of the app alone, its host delivering what it holds: the restarted app does not send that again${noProc ? ` (skipped: ${noProc})` : ''}`,
    async () => {
      const stream = await createStream(client, { shardCount: 2 });
      const dir = mkdtempSync(join(tmpdir(), 'spool-app-kill-'));
      const seed = Number(process.env.KINESIS_TS_SEED ?? Date.now() % 1_000_000);
      const random = prng(seed);
      const started = Date.now();
      let from = 0;
      let recovered = 0;
      let byHost = 0;
      const markers: string[] = [];
      const rePutFrom: number[] = [];
      const ackedBeforeKill = new Set<string>();
      try {
        for (let kill = 0; kill < APP_KILLS; kill++) {
          const marker = uniqueName('appkill');
          markers.push(marker);
          const run = launch([stream, dir, String(from), String(APP_TOTAL), marker, 'batch', '']);
          const counts = JSON.parse((await run.line('started')).slice(8)) as {
            recovered: number;
            byHost: number;
          };
          recovered += counts.recovered;
          byHost += counts.byHost;
          await new Promise((resolve) => setTimeout(resolve, 200 + random() * 600));
          run.child.kill('SIGKILL'); // the app only: its host flushes what it holds, then exits
          await run.exited;
          for (const k of run.acked) ackedBeforeKill.add(k);
          from = Math.max(from, run.accepted());
          rePutFrom.push(from);
          const deadline = Date.now() + 30_000;
          while (pidsWithMarker(marker).length > 0 && Date.now() < deadline)
            await new Promise((resolve) => setTimeout(resolve, 20));
          expect(pidsWithMarker(marker)).toEqual([]); // the orphaned host finished and exited
        }
        const {
          result,
          byHost: marked,
          duplicatesAfterAck,
          duplicatesInFlight,
        } = await finishAndCount(client, `producer spool: ${APP_KILLS} SIGKILLs of the app alone`, {
          stream,
          dir,
          from,
          total: APP_TOTAL,
          recovered,
          byHost,
          rePutFrom,
          ackedBeforeKill,
          runs: APP_KILLS,
          seed,
          started,
          markers,
        });
        expect(result.missing).toBe(0);
        expect(marked).toBeGreaterThan(0); // the orphaned hosts did deliver records and mark them
        expect(duplicatesAfterAck).toBe(0);
        // The host finished before the restart: every record it delivered is marked, so the only
        // copies sent again are the ones the app itself put again.
        expect(duplicatesInFlight).toBe(0);
      } finally {
        for (const marker of markers) for (const pid of pidsWithMarker(marker)) process.kill(pid, 'SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        await deleteStream(client, stream);
      }
    },
    120_000,
  );

  it('a clean close() with a spool leaves its directory empty (the exiting host writes no marks file)', async () => {
    const stream = await createStream(client, { shardCount: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'spool-close-'));
    try {
      const producer = new KinesisProducer({ streamName: stream, bufferTime: 20, spool: { dir } });
      await Promise.all(Array.from({ length: 300 }, (_, i) => producer.put(`r${i}`)));
      await producer.close(); // waits for the host to exit
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await deleteStream(client, stream);
    }
  });
});
