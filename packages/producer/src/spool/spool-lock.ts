/**
 * The spool directory's lock: one producer per directory. The lock file holds the owner's pid, host
 * name, process start time and a random token; it is created atomically (written to a temporary file,
 * then hard-linked into place, which fails if a lock exists). A lock whose owner is gone (kill -9,
 * power cut) is stale and taken over; a live owner, or one on another host, is refused with
 * `SPOOL_LOCKED`.
 */

import { randomUUID } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, KinesisTsError } from '@kinesis-ts/core';

/** Name of the lock file inside the spool directory. */
export const LOCK_FILE = 'LOCK';

/** What the lock file records about its owner. */
export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  /** Process start time (Linux `/proc/<pid>/stat` field 22), to tell a reused pid apart; `null` elsewhere. */
  readonly startTime: string | null;
  readonly token: string;
}

/** State (field 3) and start time (field 22) of a process from `/proc` (Linux); `undefined` elsewhere. */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Field 2 (comm) may contain spaces and parentheses: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', startTime: rest[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** Start time of a process from `/proc` (Linux), or `null` when unavailable. */
export function processStartTime(pid: number): string | null {
  return procStat(pid)?.startTime ?? null;
}

/** Whether the recorded owner is still running (always true for an owner on another host). */
export function ownerAlive(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(owner.pid);
  if (stat === undefined) return true;
  // A zombie (killed, not yet reaped by its parent) holds nothing; a different start time is a reused pid.
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return owner.startTime === null || stat.startTime === owner.startTime;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && typeof v.hostname === 'string' && typeof v.token === 'string')
      return { pid: v.pid, hostname: v.hostname, startTime: v.startTime ?? null, token: v.token };
  } catch {
    // unreadable: handled by the caller
  }
  return undefined;
}

async function readOwner(path: string): Promise<LockOwner | 'missing' | 'garbage'> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  return parseOwner(text) ?? 'garbage';
}

/** A held lock; `release()` removes the file if it is still ours. */
export interface SpoolLock {
  readonly owner: LockOwner;
  /** True when a stale lock of a dead owner was taken over. */
  readonly tookOver: LockOwner | undefined;
  release(): Promise<void>;
}

function ioError(dir: string, action: string, error: unknown): KinesisTsError {
  return new KinesisTsError(ErrorCode.SPOOL_IO_FAILED, `spool ${dir}: cannot ${action}: ${String(error)}`, {
    cause: error,
    context: { dir },
  });
}

/** Name of the short-lived lock that serialises takeovers of a stale lock. */
const TAKEOVER_FILE = `${LOCK_FILE}.takeover`;

/**
 * Removes the stale lock `judged` if it is still in place, holding the takeover lock meanwhile.
 * Returns false when another process is taking over (the caller retries).
 */
async function removeStale(dir: string, temp: string, judged: LockOwner | 'garbage'): Promise<boolean> {
  const takeover = join(dir, TAKEOVER_FILE);
  try {
    await fs.link(temp, takeover);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A takeover lock left by a process that died during its takeover (a window of milliseconds).
    const holder = await readOwner(takeover);
    if (holder === 'garbage' || (typeof holder === 'object' && !ownerAlive(holder)))
      await fs.rm(takeover, { force: true });
    return false;
  }
  try {
    const path = join(dir, LOCK_FILE);
    const now = await readOwner(path);
    const same =
      judged === 'garbage' ? now === 'garbage' : typeof now === 'object' && now.token === judged.token;
    if (same) await fs.rm(path, { force: true });
    return same || now === 'missing';
  } finally {
    await fs.rm(takeover, { force: true });
  }
}

/**
 * Takes the lock of `dir` for this process. Throws `SPOOL_LOCKED` when a live process (or one on
 * another host, whose liveness cannot be checked) holds it.
 */
export async function acquireSpoolLock(dir: string): Promise<SpoolLock> {
  const path = join(dir, LOCK_FILE);
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    startTime: processStartTime(process.pid),
    token: randomUUID(),
  };
  const temp = join(dir, `${LOCK_FILE}.${owner.token}`);
  let tookOver: LockOwner | undefined;
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(JSON.stringify(owner));
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw ioError(dir, 'write its lock file', error);
  }
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        await fs.link(temp, path);
        return {
          owner,
          tookOver,
          release: async () => {
            const current = await readOwner(path).catch(() => 'missing' as const);
            if (typeof current === 'object' && current.token === owner.token)
              await fs.rm(path, { force: true });
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
          throw ioError(dir, 'create its lock file', error);
      }
      const current = await readOwner(path);
      if (current === 'missing') continue;
      if (current !== 'garbage' && ownerAlive(current)) {
        throw new KinesisTsError(
          ErrorCode.SPOOL_LOCKED,
          `spool ${dir} is in use by process ${current.pid} on ${current.hostname}`,
          { context: { dir, pid: current.pid, hostname: current.hostname } },
        );
      }
      // Stale (or unreadable: the lock file is written whole before it is linked, so garbage means a
      // damaged disk, not a writer in progress). Remove it only while holding the takeover lock and
      // after checking it is still the lock we judged, so a fresh lock is never removed.
      if (await removeStale(dir, temp, current)) {
        if (current !== 'garbage') tookOver = current;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
      }
    }
    throw new KinesisTsError(ErrorCode.SPOOL_LOCKED, `spool ${dir}: the lock kept changing hands`, {
      context: { dir },
    });
  } finally {
    await fs.rm(temp, { force: true });
  }
}
