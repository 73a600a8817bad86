/**
 * One line per fault scenario: records put (or accepted), delivered (or found in the stream), missing
 * and duplicates. Printed to stdout (vitest shows it with the test) and appended as a JSON line to
 * `$KINESIS_TS_SCENARIO_REPORT` when set, so `scripts/ci.sh` can print every scenario's line together at
 * the end of a run.
 */
import { appendFileSync } from 'node:fs';

/** What one scenario measured. */
export interface ScenarioResult {
  /** Short name, e.g. `standby takeover`. */
  readonly scenario: string;
  /** Records written (or accepted by a producer). */
  readonly put: number;
  /** Distinct records that reached the reader (or the stream). */
  readonly delivered: number;
  /** Records put and never delivered: must be 0. */
  readonly missing: number;
  /** Deliveries beyond the first of a record. */
  readonly duplicates: number;
  /** Scenario-specific figures (runs, takeover ms, ...), printed after the counts. */
  readonly extra?: Readonly<Record<string, string | number | boolean>>;
}

/** Formats a result as the one line every scenario prints. */
export function formatScenario(result: ScenarioResult): string {
  const extra = Object.entries(result.extra ?? {})
    .map(([key, value]) => ` ${key}=${value}`)
    .join('');
  return `SCENARIO ${result.scenario}: put=${result.put} delivered=${result.delivered} missing=${result.missing} duplicates=${result.duplicates}${extra}`;
}

/** Prints the scenario line (and records it for the CI summary). Returns the line. */
export function reportScenario(result: ScenarioResult): string {
  const line = formatScenario(result);
  process.stdout.write(`${line}\n`);
  const file = process.env.KINESIS_TS_SCENARIO_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ ...result, line })}\n`);
  return line;
}

/**
 * Counts a scenario from the keys put and the keys delivered (with repeats): missing are keys put and
 * never delivered; duplicates are deliveries beyond the first of each key.
 */
export function countDeliveries(
  scenario: string,
  put: readonly string[],
  delivered: readonly string[],
  extra?: ScenarioResult['extra'],
): ScenarioResult {
  const seen = new Set<string>();
  let duplicates = 0;
  for (const key of delivered) {
    if (seen.has(key)) duplicates += 1;
    else seen.add(key);
  }
  let missing = 0;
  let found = 0;
  for (const key of put) {
    if (seen.has(key)) found += 1;
    else missing += 1;
  }
  return { scenario, put: put.length, delivered: found, missing, duplicates, ...(extra ? { extra } : {}) };
}
