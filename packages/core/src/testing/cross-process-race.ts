/**
 * The cross-process race: several Node processes, each with its own adapter instance built from a
 * module, race to take the same leases. In one process a read-then-write `takeLease` on a
 * synchronous driver never interleaves and passes every in-process test; across processes it
 * hands one lease to two owners. This runs the race and reports every violation of "exactly one
 * winner per lease".
 */
import { ErrorCode } from '../errors.js';
import { type LeaseScope, resolveCapabilities, type StateAdapter } from '../state.js';
import { mapConcurrent } from './assertions.js';
import { CrossProcessRaceError } from './cross-process-race-error.js';
import {
  type CrossProcessRaceOptions,
  resolveCrossProcessRaceOptions,
} from './cross-process-race-options.js';
import { expectMessage, Racer, type RoundReport, racerEntry, withDeadline } from './racer-process.js';
import { randomScope, shardIdOf } from './random-scope.js';

/** What a race found. `violations` is empty when every lease had exactly one winner. */
export interface CrossProcessRaceReport {
  /** Leases raced for. */
  readonly leases: number;
  /** Leases won by each racer (racer name → count), as the racers reported. */
  readonly wins: Readonly<Record<string, number>>;
  /** Takes rejected with `LeaseConflictError`, over all racers. */
  readonly conflicts: number;
  /** Every broken rule, in words (empty: the adapter passed). */
  readonly violations: readonly string[];
  /** Rounds raced. */
  readonly rounds: number;
  /** Milliseconds from the first round to the last racer's report. */
  readonly raceMs: number;
}

/** Builds (not starts) an adapter with the module's `createAdapter`, in this process. */
export async function adapterFromModule(module: string): Promise<StateAdapter> {
  const loaded = (await import(/* @vite-ignore */ module)) as {
    createAdapter?: unknown;
    default?: { createAdapter?: unknown };
  };
  const factory = loaded.createAdapter ?? loaded.default?.createAdapter;
  if (typeof factory !== 'function') {
    throw new CrossProcessRaceError(
      ErrorCode.INVALID_ARGUMENT,
      `${module} does not export a function createAdapter()`,
      { context: { module } },
    );
  }
  return (await factory()) as StateAdapter;
}

/**
 * Runs the race once: builds an adapter from the module in this process, creates `leases` unowned
 * leases in a fresh scope, starts `processes` racers, lets them race round by round (see
 * {@link CrossProcessRaceOptions.concurrency}), and checks that every
 * lease ends with counter 1 and exactly one owner, that owner being the only racer whose take
 * resolved, and that the winners' counts add up to `leases`. Every take that lost must reject with a
 * `LeaseConflictError` for that take. Racers are stopped (killed after a grace period) whatever the
 * outcome.
 * @throws CrossProcessRaceError when the race could not run (no verdict).
 */
export async function runCrossProcessRace(options: CrossProcessRaceOptions): Promise<CrossProcessRaceReport> {
  const resolved = resolveCrossProcessRaceOptions(options);
  const deadline = Date.now() + resolved.timeoutMs;
  const entry = racerEntry();
  const local = await adapterFromModule(resolved.module);
  const racers: Racer[] = [];
  try {
    await local.start();
    if (!resolveCapabilities(local.capabilities).sharedAcrossProcesses) {
      throw new CrossProcessRaceError(
        ErrorCode.INVALID_ARGUMENT,
        `the adapter built by ${resolved.module} declares sharedAcrossProcesses: false; the race needs a shared store`,
      );
    }
    const scope: LeaseScope = randomScope('race');
    const shardIds = Array.from({ length: resolved.leases }, (_, index) => shardIdOf(index));
    await withDeadline(
      mapConcurrent(shardIds, 16, (shardId) => local.createLease(scope, shardId)),
      deadline,
      () => 'while creating the leases',
    );
    for (let index = 0; index < resolved.processes; index++) {
      racers.push(new Racer(`racer-${index}`, entry, resolved));
    }
    for (const racer of racers) racer.send({ type: 'build', module: resolved.module });
    const ready = await withDeadline(
      Promise.all(racers.map(async (racer) => expectMessage(racer, await racer.next(), 'ready'))),
      deadline,
      () => 'while the racers built their adapters',
    );
    if (ready.some((message) => !message.sharedAcrossProcesses)) {
      throw new CrossProcessRaceError(
        ErrorCode.INVALID_ARGUMENT,
        'a racer built an adapter that declares sharedAcrossProcesses: false',
      );
    }
    const started = Date.now();
    const rounds: RoundReport[][] = [];
    for (let first = 0; first < shardIds.length; first += resolved.concurrency) {
      const batch = shardIds.slice(first, first + resolved.concurrency);
      const reports = racers.map(async (racer) => expectMessage(racer, await racer.next(), 'round-done'));
      for (const racer of racers) racer.send({ type: 'round', scope, shardIds: batch, racer: racer.name });
      rounds.push(await withDeadline(Promise.all(reports), deadline, () => `in round ${rounds.length + 1}`));
    }
    const raceMs = Date.now() - started;
    const stored = await withDeadline(
      mapConcurrent(shardIds, 16, (shardId) => local.getLease(scope, shardId)),
      deadline,
      () => 'while reading the leases back',
    );
    return judge(racers, rounds, shardIds, stored, raceMs);
  } finally {
    // Racers close their adapters and exit on `finish`; one that does not is killed after 5 s.
    for (const racer of racers) racer.finish();
    await Promise.all(racers.map((racer) => racer.stop(5_000)));
    await local.close();
  }
}

function judge(
  racers: readonly Racer[],
  rounds: ReadonlyArray<readonly RoundReport[]>,
  shardIds: readonly string[],
  stored: ReadonlyArray<{ owner: string | null; leaseCounter: number } | null>,
  raceMs: number,
): CrossProcessRaceReport {
  const violations: string[] = [];
  const winners = new Map<string, string[]>();
  const wins: Record<string, number> = Object.fromEntries(racers.map((racer) => [racer.name, 0]));
  const outcomes = new Map<string, number>();
  let conflicts = 0;
  for (const round of rounds) {
    for (const [index, report] of round.entries()) {
      const name = (racers[index] as Racer).name;
      outcomes.set(
        name,
        (outcomes.get(name) ?? 0) + report.won.length + report.conflicts + report.failures.length,
      );
      wins[name] = (wins[name] ?? 0) + report.won.length;
      conflicts += report.conflicts;
      for (const shardId of report.won) winners.set(shardId, [...(winners.get(shardId) ?? []), name]);
      for (const failure of report.failures) {
        violations.push(`${name} on ${failure.shardId}: ${failure.message}`);
      }
    }
  }
  for (const [name, count] of outcomes) {
    if (count !== shardIds.length)
      violations.push(`${name} reported ${count} outcomes for ${shardIds.length} takes`);
  }
  for (const [index, shardId] of shardIds.entries()) {
    const lease = stored[index];
    const claimed = winners.get(shardId) ?? [];
    if (claimed.length !== 1) {
      violations.push(
        `${shardId}: ${claimed.length} racers' takes resolved (${claimed.join(', ') || 'none'}), expected exactly one`,
      );
    }
    if (lease === null || lease === undefined) {
      violations.push(`${shardId}: the lease is gone`);
      continue;
    }
    if (lease.leaseCounter !== 1)
      violations.push(`${shardId}: stored counter ${lease.leaseCounter}, expected 1`);
    if (claimed.length === 1 && lease.owner !== claimed[0]) {
      violations.push(
        `${shardId}: stored owner ${String(lease.owner)}, but ${String(claimed[0])} won the take`,
      );
    }
  }
  const total = Object.values(wins).reduce((sum, count) => sum + count, 0);
  if (total !== shardIds.length) {
    violations.push(`the winners' counts add up to ${total}, expected ${shardIds.length}`);
  }
  return { leases: shardIds.length, wins, conflicts, violations, rounds: rounds.length, raceMs };
}
