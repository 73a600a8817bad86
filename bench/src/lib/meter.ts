/**
 * Whole-run cost of one benchmark side: CPU seconds of this process and every process it starts
 * (shard processes, the producer's background process; exited ones included), and the peak memory
 * of all of them together, sampled from a watcher process so sampling costs the side nothing.
 */
import { fileURLToPath } from 'node:url';
import { onJsonLines, spawnTsx } from './emulators.js';
import { ownCpuSeconds } from './measure.js';
import { childPids, childrenCpuSeconds, commandName } from './process-tree.js';

const WATCHER = fileURLToPath(new URL('../memory-watch.ts', import.meta.url));

/** Peak memory of a process tree. */
export interface TreePeak {
  /** Peak of the summed RSS of all processes (shared pages counted once per process). */
  readonly peakRssMiB: number;
  /** Peak of the summed PSS (shared pages split between processes), where /proc has smaps_rollup. */
  readonly peakPssMiB: number | undefined;
  /** Most processes seen at once (this one included). */
  readonly peakProcesses: number;
}

/** A started measurement; `cpuSeconds()` can be read repeatedly, `stop()` ends the memory watch. */
export interface Meter {
  /** CPU seconds since start: this process plus its descendants (emulators and the watcher excluded). */
  cpuSeconds(): number;
  /** CPU seconds of this process alone since start. */
  mainCpuSeconds(): number;
  /** Ends the memory watch (after the last `cpuSeconds()` read: the watcher's exit would count). */
  stop(): Promise<TreePeak>;
}

/** Starts measuring; `excludePids` are processes that are not the side's (the emulator process). */
export async function startMeter(excludePids: readonly number[], intervalMs = 100): Promise<Meter> {
  const watcher = spawnTsx(WATCHER, [
    JSON.stringify({
      root: process.pid,
      exclude: [...excludePids, ...childPids(process.pid).filter((pid) => commandName(pid) === 'esbuild')],
      intervalMs,
    }),
  ]);
  // tsx's esbuild service (a child of this process) is the harness's, not the side's.
  const harness = childPids(process.pid).filter((pid) => commandName(pid) === 'esbuild');
  const exclude = new Set([...excludePids, ...harness, watcher.pid!]);
  const exited = new Promise<void>((resolve) => watcher.once('exit', () => resolve()));
  let peak: TreePeak | undefined;
  const done = new Promise<TreePeak>((resolve, reject) => {
    onJsonLines(watcher, (value) => {
      if ('peakRssMiB' in value) {
        peak = value as unknown as TreePeak;
        resolve(peak);
      }
    });
    watcher.once('exit', (code) => {
      if (peak === undefined) reject(new Error(`memory watcher exited (code ${String(code)})`));
    });
  });
  await new Promise<void>((resolve) => {
    onJsonLines(watcher, (value) => {
      if ('ready' in value) resolve();
    });
  });
  const cpu0 = process.cpuUsage();
  const children0 = childrenCpuSeconds(exclude);
  return {
    cpuSeconds: () => ownCpuSeconds(cpu0) + childrenCpuSeconds(exclude) - children0,
    mainCpuSeconds: () => ownCpuSeconds(cpu0),
    stop: async () => {
      watcher.stdin!.end();
      const peak = await done;
      await exited; // so the next side's measurement does not see this watcher
      return peak;
    },
  };
}
