/**
 * Samples the memory of a process tree from outside it, so the sampling costs the measured
 * processes no CPU: every `intervalMs`, RSS and PSS of the root process and its live descendants
 * (minus the excluded pids, e.g. the emulators and this watcher). Prints `{ ready: true }` once
 * started and `{ peakRssMiB, peakPssMiB, peakProcesses, samples }` when its stdin closes.
 *
 *   argv[2]: JSON `{ root: number, exclude: number[], intervalMs: number }`
 */
import { treeMemoryMiB } from './lib/process-tree.js';

const { root, exclude, intervalMs } = JSON.parse(process.argv[2] ?? '{}') as {
  root: number;
  exclude: number[];
  intervalMs: number;
};
const excluded = new Set([...exclude, process.pid]);
let peakRssMiB = 0;
let peakPssMiB: number | undefined = 0;
let peakProcesses = 0;
let samples = 0;
const sample = (): void => {
  const m = treeMemoryMiB(root, excluded);
  samples++;
  peakRssMiB = Math.max(peakRssMiB, m.rss);
  peakPssMiB = peakPssMiB === undefined || m.pss === undefined ? undefined : Math.max(peakPssMiB, m.pss);
  peakProcesses = Math.max(peakProcesses, m.processes);
};
const timer = setInterval(sample, intervalMs);
sample();
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
process.stdin.on('end', () => {
  clearInterval(timer);
  sample();
  process.stdout.write(`${JSON.stringify({ peakRssMiB, peakPssMiB, peakProcesses, samples })}\n`);
  process.exit(0);
});
process.stdin.resume();
