#!/usr/bin/env bash
# The whole check, as the README's test line runs it: build, lint, type-check, unit tests on Node 20
# (this machine) plus Node 22 and 24 (binaries from npm, cached in .cache/), integration tests on the
# embedded back-end (or whatever AWS_ENDPOINT_URL* / Docker provides), publint + attw.
# Every step runs even when an earlier one fails; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
rm -rf .reports && mkdir -p .reports
# Fault scenarios append one JSON line each here (integration/src/scenario-report.ts); printed at the end.
export KINESIS_TS_SCENARIO_REPORT="$PWD/.reports/scenarios.jsonl"
failed=()
step() {
  local name=$1; shift
  echo "::group:: $name"
  local start=$SECONDS
  if "$@"; then echo "--- $name: ok ($((SECONDS - start)) s)"; else echo "--- $name: FAILED ($((SECONDS - start)) s)"; failed+=("$name"); fi
}
vitest_json() { echo "--reporter=default --reporter=json --outputFile.json=.reports/$1.json"; }

step build pnpm run build
step lint pnpm run lint
step typecheck pnpm run typecheck
# shellcheck disable=SC2046
step "unit (node $(node --version))" pnpm exec vitest run --project unit $(vitest_json unit-node20)
for major in 22 24; do
  bin=$(node scripts/ensure-node.mjs "$major") || { failed+=("install node $major"); continue; }
  # shellcheck disable=SC2046
  step "unit (node $("$bin" --version))" "$bin" node_modules/vitest/vitest.mjs run --project unit $(vitest_json "unit-node$major")
done
# shellcheck disable=SC2046
step integration pnpm --filter @kinesis-ts/integration exec vitest run $(vitest_json integration | sed 's#\.reports/#../.reports/#')
step "publint + attw" pnpm run check:packages

if [ -s .reports/scenarios.jsonl ]; then
  echo "fault scenarios (records put / delivered / missing / duplicates):"
  node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")) console.log("  " + JSON.parse(l).line)' .reports/scenarios.jsonl
fi
node scripts/test-summary.mjs .reports || failed+=("test summary")
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED steps: ${failed[*]}"
  exit 1
fi
echo "all steps passed"
