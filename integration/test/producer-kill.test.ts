import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ErrorCode } from '@kinesis-ts/core';
import { KinesisProducer } from '@kinesis-ts/producer';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { createStream, deleteStream } from '../src/streams.js';
import { uniqueName } from '../src/unique-name.js';
import { waitFor } from '../src/wait-for.js';
import { pidsWithMarker, readUserRecords } from './producer-helpers.js';

const backend = getBackend();
const fixture = fileURLToPath(new URL('./producer-kill-host.fixture.mjs', import.meta.url));

/** Runs the fixture until it printed "accepted", then delivers `kill` to it. */
async function runAndKill(
  stream: string,
  count: number,
  marker: string,
  kill: (pid: number) => void,
  mode = '',
): Promise<{ out: string; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, [fixture, stream, String(count), marker, mode], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true, // its own process group, like a terminal job
  });
  let out = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('accepted')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`fixture exited early (code ${String(code)}): ${out}`)));
  });
  kill(child.pid!);
  return { out, signal: await exited };
}

describe(`producer: the host application dies (${backend.name}, process runner from dist)`, () => {
  const client: KinesisClient = kinesisClient();
  const streams: string[] = [];
  // Delete each test's streams at once: kinesalite caps the shards of all live streams (10 by default).
  afterEach(async () => {
    for (const stream of streams.splice(0)) await deleteStream(client, stream);
  });
  afterAll(async () => {
    client.destroy();
  });

  const cases: [string, (pid: number) => void][] = [
    ['SIGKILL of the application', (pid) => process.kill(pid, 'SIGKILL')],
    ['Ctrl-C (SIGINT to the whole process group)', (pid) => process.kill(-pid, 'SIGINT')],
  ];
  for (const [name, kill] of cases) {
    it(`${name} after 5,000 accepted put() calls: every accepted record reaches the stream, then the host exits`, async () => {
      const stream = await createStream(client, { shardCount: 2 });
      streams.push(stream);
      const marker = uniqueName('kill');
      const { out } = await runAndKill(stream, 5000, marker, kill);
      expect(out).toMatch(/^accepted 5000/);
      const hosts = pidsWithMarker(marker);
      if (existsSync('/proc')) expect(hosts).toHaveLength(1); // the orphaned host is still flushing
      // The orphaned host flushes, then exits; only then is the stream complete (or on timeout).
      if (existsSync('/proc')) {
        await waitFor(async () => (pidsWithMarker(marker).length === 0 ? true : undefined), {
          timeoutMs: 25_000,
          intervalMs: 100,
          description: 'the orphaned host to flush and exit',
        });
      }
      const records = await waitFor(
        async () => {
          const all = await readUserRecords(client, stream);
          return all.length >= 5000 ? all : undefined;
        },
        { timeoutMs: 25_000, intervalMs: 250 },
      );
      const payloads = new Set(records.map((r) => Buffer.from(r.data).toString('utf8')));
      expect(records).toHaveLength(5000);
      for (let i = 0; i < 5000; i++) expect(payloads.has(`kill-${i}`)).toBe(true);
    }, 60_000);
  }

  it('handleSignals: SIGTERM flushes everything, then the application exits by SIGTERM as it would have', async () => {
    const stream = await createStream(client, { shardCount: 2 });
    streams.push(stream);
    const marker = uniqueName('sig');
    // bufferTime is 60 s: only the signal handler's flush can send the records in time.
    const { out, signal } = await runAndKill(
      stream,
      1000,
      marker,
      (pid) => process.kill(pid, 'SIGTERM'),
      'handle-signals',
    );
    expect(out).toMatch(/^accepted 1000/);
    expect(signal).toBe('SIGTERM');
    const records = await readUserRecords(client, stream);
    expect(records).toHaveLength(1000);
    expect(pidsWithMarker(marker)).toEqual([]);
  }, 60_000);

  it('the background host dies: outstanding puts reject (never hang), and the next put() starts a new host', async () => {
    const stream = await createStream(client, { shardCount: 1 });
    streams.push(stream);
    const marker = uniqueName('crash');
    process.env.PRODUCER_TEST_MARKER = marker;
    const producer = new KinesisProducer({ streamName: stream, bufferTime: 60_000 });
    try {
      await producer.start();
    } finally {
      delete process.env.PRODUCER_TEST_MARKER;
    }
    const pending = producer.put('lost-with-the-host');
    await producer.accepted();
    const hosts = pidsWithMarker(marker);
    if (existsSync('/proc')) {
      expect(hosts).toHaveLength(1);
      process.kill(hosts[0]!, 'SIGKILL');
      await expect(pending).rejects.toMatchObject({ code: ErrorCode.KINESIS_REQUEST_FAILED });
    }
    const again = producer.put('after-restart');
    await producer.flush();
    await expect(again).resolves.toMatchObject({ shardId: expect.any(String) });
    await producer.close();
  }, 30_000);
});
