/**
 * CPU and memory of this process and every process it started (Linux /proc), minus processes that
 * are not the library's (the emulators, the memory watcher). Children that already exited are
 * counted through this process's `cutime`/`cstime` (Node reaps its children).
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** Direct children of `pid` (all its threads'), or `[]` where /proc does not list them. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
        if (text !== '') for (const child of text.split(' ')) out.push(Number(child));
      } catch {
        // The thread ended meanwhile.
      }
    }
  } catch {
    // The process ended meanwhile.
  }
  return out;
}

/** The command name of a process (`/proc/<pid>/comm`), or `undefined`. */
export function commandName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Every live descendant of `pid`, skipping the subtrees of `exclude`. */
export function descendants(pid: number, exclude: ReadonlySet<number>): number[] {
  const out: number[] = [];
  const stack = childPids(pid);
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (exclude.has(next)) continue;
    out.push(next);
    stack.push(...childPids(next));
  }
  return out;
}

/** utime, stime, cutime, cstime of a process in seconds, or `undefined`. */
function statTimes(pid: number | 'self'): [number, number, number, number] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(f[11]), Number(f[12]), Number(f[13]), Number(f[14])].map((t) => t / CLOCK_TICKS) as [
      number,
      number,
      number,
      number,
    ];
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of this process's descendants (`exclude` and their subtrees left out): the exited and
 * reaped ones (this process's cutime/cstime) plus the live ones. Take a difference of two calls, and
 * make sure excluded processes are still alive at both (an excluded child that exits in between
 * lands in cutime).
 */
export function childrenCpuSeconds(exclude: ReadonlySet<number>): number {
  const self = statTimes('self');
  let sum = self === undefined ? 0 : self[2] + self[3];
  for (const pid of descendants(process.pid, exclude)) {
    const t = statTimes(pid);
    // A live child's own time plus its exited children's (its live ones are visited on their own).
    if (t !== undefined) sum += t[0] + t[1] + t[2] + t[3];
  }
  return sum;
}

/** Resident and proportional set sizes (MiB) of one process; PSS from smaps_rollup where available. */
export function processMemoryMiB(pid: number): { rss: number; pss: number | undefined } | undefined {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const rss = /^Rss:\s+(\d+) kB/m.exec(rollup);
    const pss = /^Pss:\s+(\d+) kB/m.exec(rollup);
    if (rss !== null)
      return { rss: Number(rss[1]) / 1024, pss: pss === null ? undefined : Number(pss[1]) / 1024 };
  } catch {
    // No smaps_rollup (old kernel) or the process ended: fall back to status.
  }
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : { rss: Number(match[1]) / 1024, pss: undefined };
  } catch {
    return undefined;
  }
}

/** RSS and PSS (MiB) of `root` and its live descendants together (`exclude` left out). */
export function treeMemoryMiB(
  root: number,
  exclude: ReadonlySet<number>,
): { rss: number; pss: number | undefined; processes: number } {
  let rss = 0;
  let pss: number | undefined = 0;
  const pids = [root, ...descendants(root, exclude)];
  for (const pid of pids) {
    const m = processMemoryMiB(pid);
    if (m === undefined) continue;
    rss += m.rss;
    pss = pss === undefined || m.pss === undefined ? undefined : pss + m.pss;
  }
  return { rss, pss, processes: pids.length };
}
