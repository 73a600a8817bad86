import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireSpoolLock, LOCK_FILE, processStartTime } from './spool-lock.js';

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('spool lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spool-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is taken by one holder; a second is refused with SPOOL_LOCKED until the first releases', async () => {
    const first = await acquireSpoolLock(dir);
    expect(first.tookOver).toBeUndefined();
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    await expect(acquireSpoolLock(dir)).rejects.toMatchObject({
      code: ErrorCode.SPOOL_LOCKED,
      context: { pid: process.pid },
    });
    await first.release();
    const second = await acquireSpoolLock(dir);
    await second.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over the stale lock of a dead process (kill -9 leaves one behind)', async () => {
    const pid = deadPid();
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid, hostname: hostname(), startTime: null, token: 'old' }),
    );
    const lock = await acquireSpoolLock(dir);
    expect(lock.tookOver).toMatchObject({ pid, token: 'old' });
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).token).toBe(lock.owner.token);
    await lock.release();
  });

  it('treats a live pid with another start time as reused (stale), and an unreadable lock as stale', async () => {
    if (processStartTime(process.pid) !== null) {
      writeFileSync(
        join(dir, LOCK_FILE),
        JSON.stringify({ pid: process.pid, hostname: hostname(), startTime: '1', token: 'reused' }),
      );
      const lock = await acquireSpoolLock(dir);
      expect(lock.tookOver?.token).toBe('reused');
      await lock.release();
    }
    writeFileSync(join(dir, LOCK_FILE), '{"pid": 12');
    const lock = await acquireSpoolLock(dir);
    expect(lock.tookOver).toBeUndefined();
    await lock.release();
  });

  it('refuses a lock held on another host (its liveness cannot be checked)', async () => {
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: deadPid(), hostname: `${hostname()}-other`, startTime: null, token: 'far' }),
    );
    await expect(acquireSpoolLock(dir)).rejects.toMatchObject({ code: ErrorCode.SPOOL_LOCKED });
  });

  it('lets exactly one of several concurrent takers win a stale lock', async () => {
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: deadPid(), hostname: hostname(), startTime: null, token: 'old' }),
    );
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => acquireSpoolLock(dir)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: ErrorCode.SPOOL_LOCKED });
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireSpoolLock>>>).value.release();
    expect(readdirSync(dir)).toEqual([]);
  });
});
