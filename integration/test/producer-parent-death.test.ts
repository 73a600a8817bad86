/**
 * The application is SIGKILLed at a random moment of a 10,000-record run, 20 times: the orphaned
 * background host must deliver every record `accepted()` covered. Runs alternate between 500 and 20
 * entries per request (the latter keeps acknowledgements flowing when the application dies: before the
 * host handled a broken channel, it died of EPIPE in about half of those runs). About 30-60 s on
 * kinesalite on 2 cores. Knobs: `KINESIS_TS_PARENT_DEATH_RUNS` (default 20),
 * `KINESIS_TS_PARENT_DEATH_SEED` (printed in the report line, to replay a run's kill moments),
 * `KINESIS_TS_PARENT_DEATH_WINDOW_MS` (default 1500: kills land uniformly in that window after start).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { countDeliveries, reportScenario } from '../src/scenario-report.js';
import { seededRandom as seeded } from '../src/seeded-random.js';
import { createStream, deleteStream } from '../src/streams.js';
import { uniqueName } from '../src/unique-name.js';
import { waitFor } from '../src/wait-for.js';
import { pidsWithMarker, readUserRecords } from './producer-helpers.js';

const backend = getBackend();
const fixture = fileURLToPath(new URL('./producer-parent-death-app.fixture.mjs', import.meta.url));

/** Runs (SIGKILLs) of the scenario; 20 by default. */
const RUNS = Number(process.env.KINESIS_TS_PARENT_DEATH_RUNS ?? 20);
/** Records each run's application puts (if it lives long enough). */
const RECORDS = 10_000;
/** The kill lands uniformly in this window after the producer started (ms). */
const KILL_WINDOW_MS = Number(process.env.KINESIS_TS_PARENT_DEATH_WINDOW_MS ?? 1500);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the application fixture, SIGKILLs it `delayMs` after its producer started, and returns how
 * many records its last `accepted <n>` line covered.
 */
async function runAndKill(
  stream: string,
  tag: string,
  marker: string,
  maxBatchRecords: number,
  delayMs: number,
): Promise<{ accepted: number; flushed: boolean }> {
  const child = spawn(
    process.execPath,
    [fixture, stream, String(RECORDS), marker, tag, String(maxBatchRecords)],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  await waitFor(async () => (out.includes('started\n') ? true : undefined), {
    timeoutMs: 15_000,
    intervalMs: 5,
    description: 'the application to start its producer',
  });
  await sleep(delayMs);
  child.kill('SIGKILL');
  await exited;
  let accepted = 0;
  for (const match of out.matchAll(/^accepted (\d+)$/gm)) accepted = Number(match[1]);
  return { accepted, flushed: out.includes('flushed\n') };
}

describe(`producer: the application is SIGKILLed at random moments (${backend.name}, process runner from dist)`, () => {
  const client: KinesisClient = kinesisClient();
  afterAll(() => {
    client.destroy();
  });

  it(`${RUNS} runs of ${RECORDS} records: the stream holds every record accepted() covered`, async () => {
    const seed = Number(process.env.KINESIS_TS_PARENT_DEATH_SEED ?? Date.now() % 2 ** 31);
    const random = seeded(seed);
    const started = Date.now();
    const accepted: string[] = [];
    const inStream: string[] = [];
    const lostRuns: string[] = [];
    let killedBeforeFlush = 0;
    for (let run = 0; run < RUNS; run++) {
      // Half the runs with the default request size, half with 20 entries per request: 25 times more
      // acknowledgement messages in flight when the application dies.
      const maxBatchRecords = run % 2 === 0 ? 500 : 20;
      const stream = await createStream(client, { shardCount: 2 });
      try {
        const tag = `r${run}`;
        const marker = uniqueName('orphan');
        const delay = Math.floor(random() * KILL_WINDOW_MS);
        const result = await runAndKill(stream, tag, marker, maxBatchRecords, delay);
        if (!result.flushed) killedBeforeFlush++;
        // The orphaned host sends what it holds, then exits.
        if (existsSync('/proc')) {
          await waitFor(async () => (pidsWithMarker(marker).length === 0 ? true : undefined), {
            timeoutMs: 20_000,
            intervalMs: 50,
            description: `run ${run}: the orphaned host to flush and exit`,
          });
        }
        const runAccepted = Array.from({ length: result.accepted }, (_, i) => `${tag}-${i}`);
        const runInStream = (await readUserRecords(client, stream)).map((r) =>
          Buffer.from(r.data).toString('utf8'),
        );
        const counted = countDeliveries('run', runAccepted, runInStream);
        if (counted.missing > 0) {
          lostRuns.push(
            `run ${run} (maxBatchRecords ${maxBatchRecords}, kill after ${delay} ms): ${counted.missing} of ${result.accepted} lost`,
          );
        }
        accepted.push(...runAccepted);
        inStream.push(...runInStream);
      } finally {
        await deleteStream(client, stream);
      }
    }
    const result = countDeliveries('producer app SIGKILLed at random moments', accepted, inStream, {
      runs: RUNS,
      killedBeforeFlush,
      seed,
      seconds: Math.round((Date.now() - started) / 1000),
    });
    reportScenario(result);
    expect(lostRuns).toEqual([]);
    expect(result.missing).toBe(0);
    expect(killedBeforeFlush).toBeGreaterThan(0); // some kills landed while records were in flight
  }, 180_000);
});
