// Sums vitest JSON reports (one per run) and prints the totals as one plain line:
// `tests: N passed, N failed, N skipped`. Exits 1 when a report is missing tests or any failed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.reports';
let passed = 0;
let failed = 0;
let skipped = 0;
let bad = false;
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const p = report.numPassedTests ?? 0;
  const f = report.numFailedTests ?? 0;
  const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  const suitesFailed = report.numFailedTestSuites ?? 0;
  console.log(
    `  ${file.replace(/\.json$/, '').padEnd(20)} ${p} passed, ${f} failed, ${s} skipped${suitesFailed ? `, ${suitesFailed} files failed` : ''}`,
  );
  passed += p;
  failed += f + suitesFailed;
  skipped += s;
  if (p === 0 || f > 0 || suitesFailed > 0) bad = true;
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(bad || passed === 0 ? 1 : 0);
