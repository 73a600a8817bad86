import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { runCrossProcessRace } from './cross-process-race.js';
import { CrossProcessRaceError } from './cross-process-race-error.js';
import { resolveCrossProcessRaceOptions } from './cross-process-race-options.js';
import { randomScope, shardIdOf } from './random-scope.js';
import { FileLeaseState } from './test-fixtures/file-lease-state.js';
import { DIRECTORY_VARIABLE, MODE_VARIABLE } from './test-fixtures/file-lease-state-module.js';

const fixtureModule = fileURLToPath(new URL('./test-fixtures/file-lease-state-module.ts', import.meta.url));

// The suite's own test: the race must fail an adapter whose takeLease reads, checks, then writes on a
// store several processes share (here a directory of JSON files on a synchronous driver), although
// that adapter passes the in-process race; and it must pass the same adapter with a real lock.
describe('cross-process race (the check behind the suite test)', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'kts-race-'));
    process.env[DIRECTORY_VARIABLE] = directory;
  });

  afterEach(() => {
    delete process.env[DIRECTORY_VARIABLE];
    delete process.env[MODE_VARIABLE];
    rmSync(directory, { recursive: true, force: true });
  });

  it('the read-then-write adapter passes the in-process race: 10 instances, one lease, exactly one winner', async () => {
    const adapters = Array.from({ length: 10 }, () => new FileLeaseState(directory, 'read-then-write'));
    for (const adapter of adapters) await adapter.start();
    const scope = randomScope();
    for (let round = 0; round < 20; round++) {
      const shardId = shardIdOf(round);
      await adapters[0]?.createLease(scope, shardId);
      const results = await Promise.allSettled(
        adapters.map((adapter, index) =>
          adapter.takeLease(scope, shardId, { owner: null, leaseCounter: 0 }, `taker-${index}`),
        ),
      );
      expect(results.filter((result) => result.status === 'fulfilled').length).toBe(1);
    }
  });

  it('fails the read-then-write adapter across 4 processes: leases with two winners', async () => {
    process.env[MODE_VARIABLE] = 'read-then-write';
    const report = await runCrossProcessRace({ module: fixtureModule, timeoutMs: 60_000 });
    console.info(
      `read-then-write: wins ${JSON.stringify(report.wins)}, ${report.violations.length} violations`,
    );
    expect(report.violations.length).toBeGreaterThan(0);
    expect(report.violations.some((violation) => /: [2-4] racers' takes resolved/.test(violation))).toBe(
      true,
    );
    const total = Object.values(report.wins).reduce((sum, count) => sum + count, 0);
    expect(total, 'more takes resolved than there are leases').toBeGreaterThan(report.leases);
  }, 90_000);

  it('passes the same adapter when every write holds a per-lease lock', async () => {
    process.env[MODE_VARIABLE] = 'locked';
    const report = await runCrossProcessRace({ module: fixtureModule, timeoutMs: 60_000 });
    expect(report.violations).toEqual([]);
    expect(Object.keys(report.wins)).toEqual(['racer-0', 'racer-1', 'racer-2', 'racer-3']);
    expect(Object.values(report.wins).reduce((sum, count) => sum + count, 0)).toBe(200);
    expect(report.conflicts).toBe(3 * 200);
    expect(report.rounds).toBe(25);
  }, 90_000);

  it('reports a module without createAdapter as a race that could not run', async () => {
    const module = fileURLToPath(new URL('./random-scope.ts', import.meta.url));
    const failure = runCrossProcessRace({ module });
    await expect(failure).rejects.toBeInstanceOf(CrossProcessRaceError);
    await expect(failure).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });

  it('reports racers that cannot build their adapter as a race that could not run, with their error', async () => {
    process.env[MODE_VARIABLE] = 'locked';
    // `env` reaches the racers only: their createAdapter() throws, the test process's does not.
    const failure = runCrossProcessRace({ module: fixtureModule, env: { [MODE_VARIABLE]: 'bogus' } });
    await expect(failure).rejects.toMatchObject({
      name: 'CrossProcessRaceError',
      code: ErrorCode.STATE_STORE_UNAVAILABLE,
      message: expect.stringMatching(/racer-\d failed to build: .*read-then-write \| locked/),
    });
  }, 60_000);

  it('checks its options', () => {
    const invalid = [
      { module: 'relative/path.mjs' },
      { module: '' },
      { module: '/abs/module.mjs', processes: 1 },
      { module: '/abs/module.mjs', leases: 0 },
      { module: '/abs/module.mjs', timeoutMs: 1.5 },
    ];
    for (const options of invalid) {
      expect(() => resolveCrossProcessRaceOptions(options)).toThrowError(
        expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }),
      );
    }
    expect(resolveCrossProcessRaceOptions({ module: '/abs/module.mjs' })).toMatchObject({
      module: 'file:///abs/module.mjs',
      processes: 4,
      leases: 200,
      concurrency: 8,
      timeoutMs: 120_000,
    });
  });
});
