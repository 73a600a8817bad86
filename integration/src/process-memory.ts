/**
 * Memory of a set of processes from /proc (Linux): RSS, and PSS (each shared page counted once over
 * all processes sharing it) where `/proc/<pid>/smaps_rollup` exists. Elsewhere PSS is `null` and RSS
 * comes from `ps`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Memory of one process, in bytes (`null`: unknown here). */
export interface ProcessMemory {
  readonly pid: number;
  readonly rss: number;
  readonly pss: number | null;
}

function kib(text: string, field: string): number | null {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match === null ? null : Number(match[1]) * 1024;
}

/** RSS and PSS of `pid`; `null` when the process is gone. */
export function processMemory(pid: number): ProcessMemory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    let pss: number | null = null;
    try {
      pss = kib(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
    } catch {
      // No smaps_rollup (old kernel, no permission): RSS only.
    }
    return { pid, rss: kib(status, 'VmRSS') ?? 0, pss };
  } catch {
    try {
      const out = execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim();
      return out === '' ? null : { pid, rss: Number(out) * 1024, pss: null };
    } catch {
      return null;
    }
  }
}

/** Totals over `pids` (processes that are gone are left out). */
export function totalMemory(pids: Iterable<number>): { rss: number; pss: number | null; processes: number } {
  let rss = 0;
  let pss: number | null = 0;
  let processes = 0;
  for (const pid of new Set(pids)) {
    const memory = processMemory(pid);
    if (memory === null) continue;
    processes += 1;
    rss += memory.rss;
    pss = pss === null || memory.pss === null ? null : pss + memory.pss;
  }
  return { rss, pss, processes };
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
