import { expect } from 'vitest';
import { resolveCapabilities } from '../../state.js';
import type { ResolvedConformanceOptions } from '../conformance-options.js';
import { runCrossProcessRace } from '../cross-process-race.js';
import type { ConformanceTest } from '../harness.js';

/** How to turn the race on, printed when it is skipped for want of a module. */
const HOW_TO_ENABLE =
  "no crossProcess.module given: pass crossProcess: { module: '/absolute/path/of/a-module.mjs' } " +
  'whose named export createAdapter() returns a new, unstarted adapter on the shared store ' +
  '(see StateAdapterConformanceOptions.crossProcess)';

/** Processes racing for the same leases through separate adapter instances. */
export function crossProcessTests(test: ConformanceTest, options: ResolvedConformanceOptions): void {
  const race = options.crossProcess;
  const processes = race?.processes ?? 4;
  const leases = race?.leases ?? 200;
  test(
    `${processes} processes race to take the same ${leases} leases: exactly one winner per lease (requires sharedAcrossProcesses)`,
    async (h) => {
      const adapter = await h.unstarted();
      if (!resolveCapabilities(adapter.capabilities).sharedAcrossProcesses) {
        return h.skip(
          'adapter declares sharedAcrossProcesses: false (one process only; nothing to race across)',
        );
      }
      if (race === undefined) return h.skip(HOW_TO_ENABLE);
      const report = await runCrossProcessRace(race);
      console.info(
        `[conformance: ${options.name}] cross-process race: ${report.leases} leases, ${processes} processes, ` +
          `wins ${JSON.stringify(report.wins)}, ${report.conflicts} conflicts, ${report.raceMs} ms`,
      );
      expect(
        report.violations.slice(0, 20),
        `every lease has exactly one winner (${report.violations.length} violations; the first 20 shown)`,
      ).toEqual([]);
      expect(
        Object.values(report.wins).reduce((sum, count) => sum + count, 0),
        "the winners' counts add up to the number of leases",
      ).toBe(leases);
    },
    { timeoutMs: (race?.timeoutMs ?? 120_000) + 15_000 },
  );
}
