/**
 * The shape of one benchmark's result (one object of `bench/results.json`) and its table.
 */
import { fmt } from './measure.js';

/** One side of a comparison: the library (or a runner of it) or a baseline. */
export interface Side {
  /** Short label, e.g. `process runner` or `bare GetRecords loop`. */
  readonly label: string;
  /** Whether this is kinesis-ts or a baseline. */
  readonly kind: 'library' | 'baseline';
  /** Figures, each named with its unit (e.g. `recordsPerSecond`, `cpuSecondsPer100k`). */
  readonly figures: Record<string, number | undefined>;
}

/** A benchmark's result. */
export interface BenchResult {
  readonly name: string;
  /** What was run: sizes, options, environment. */
  readonly inputs: Record<string, unknown>;
  readonly sides: Side[];
  /** The headline ratio (library ÷ baseline, so > 1 means kinesis-ts is better, unless `ratioNote` says otherwise). */
  readonly ratio: number | undefined;
  /** What the ratio compares. */
  readonly ratioNote: string;
  /** Further named ratios. */
  readonly ratios: Record<string, number | undefined>;
  /** The target from the issue, and whether the run met it. */
  readonly target: { readonly text: string; readonly met: boolean | undefined };
  readonly notes: string[];
  readonly durationSeconds: number;
}

/** Prints a result as a table. */
export function printResult(result: BenchResult): void {
  const columns = [...new Set(result.sides.flatMap((s) => Object.keys(s.figures)))];
  const rows = [
    ['side', ...columns],
    ...result.sides.map((s) => [s.label, ...columns.map((c) => fmt(s.figures[c]))]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log(`\n## ${result.name} (${result.durationSeconds.toFixed(1)} s)`);
  console.log(
    `inputs: ${Object.entries(result.inputs)
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(', ')}`,
  );
  console.log(line(rows[0]!));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
  console.log(`ratio: ${fmt(result.ratio)} (${result.ratioNote})`);
  for (const [name, value] of Object.entries(result.ratios)) console.log(`       ${fmt(value)} ${name}`);
  const verdict = result.target.met === undefined ? 'n/a' : result.target.met ? 'met' : 'NOT met';
  console.log(`target: ${result.target.text}: ${verdict}`);
  for (const note of result.notes) console.log(`note: ${note}`);
}
