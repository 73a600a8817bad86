/**
 * The cross-process race: several Node processes, each with its own adapter instance built from a
 * module, race to take the same leases. In one process a read-then-write `takeLease` on a
 * synchronous driver never interleaves and passes every in-process test; across processes it
 * hands one lease to two owners. This runs the race and reports every violation of "exactly one
 * winner per lease".
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ErrorCode, ValidationError } from '../errors.js';
import { type LeaseScope, resolveCapabilities, type StateAdapter } from '../state.js';
import { mapConcurrent } from './assertions.js';
import { randomScope, shardIdOf } from './random-scope.js';

/**
 * How to run the cross-process race. The module at {@link CrossProcessRaceOptions.module} must have
 * a named export
 *
 * ```ts
 * export function createAdapter(): StateAdapter | Promise<StateAdapter>;
 * ```
 *
 * called with no arguments once in every racing process and once in the test's own process (which
 * creates the leases and checks the outcome). It returns a new, not started adapter; every adapter
 * it returns, in any process, must use ONE shared store (same table, same database, same directory).
 * Configure it through environment variables: the racers inherit the test process's environment
 * plus {@link CrossProcessRaceOptions.env}.
 */
export interface CrossProcessRaceOptions {
  /** Absolute path or `file:` URL of an ES or CommonJS module exporting `createAdapter` (see above). */
  readonly module: string | URL;
  /** Racing processes. Default 4 (at least 2). */
  readonly processes?: number;
  /** Leases created beforehand and raced for. Default 200. */
  readonly leases?: number;
  /**
   * Leases per round. The race runs in rounds: in each, every racer tries to take the same
   * `concurrency` leases at once, all racers together, so every lease is contended by every
   * process at the same moment (a racer that got ahead cannot win everything uncontended).
   * Default 8.
   */
  readonly concurrency?: number;
  /**
   * Node options of the racing processes, e.g. `['--import', 'tsx']` when the module is TypeScript
   * (from the repository sources the suite already loads its racer through tsx).
   */
  readonly execArgv?: readonly string[];
  /** Environment variables added to the racers' inherited environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Bound of the whole race, from spawning the racers to their last report, in ms. Default 120 000. */
  readonly timeoutMs?: number;
}

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

/** A race that cannot run (module missing, racer crashed, timeout): not a verdict on fencing. */
export class CrossProcessRaceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CrossProcessRaceError';
  }
}

interface RoundReport {
  readonly won: readonly string[];
  readonly conflicts: number;
  readonly failures: ReadonlyArray<{ shardId: string; message: string }>;
}

type ChildMessage =
  | { type: 'ready'; sharedAcrossProcesses: boolean }
  | { type: 'failed'; stage: string; message: string }
  | ({ type: 'round-done' } & RoundReport);

const OUTPUT_TAIL_CHARS = 4_000;

function moduleDirectory(): string {
  // The CJS build has `__dirname`; the ESM build and the sources have `import.meta.url`.
  if (typeof __dirname === 'string') return __dirname;
  return dirname(fileURLToPath(import.meta.url));
}

/**
 * The racer script and the Node options it needs: the built `testing-race-child` next to this
 * module in `dist/`, or, when running from the repository's sources, `race-child.ts` through tsx.
 */
function racerEntry(): { script: string; execArgv: string[] } {
  const dir = moduleDirectory();
  const preferred = typeof __dirname === 'string' ? ['.cjs', '.mjs'] : ['.mjs', '.cjs'];
  for (const extension of preferred) {
    const script = join(dir, `testing-race-child${extension}`);
    if (existsSync(script)) return { script, execArgv: [] };
  }
  const source = join(dir, 'race-child.ts');
  if (existsSync(source)) {
    const tsx = createRequire(join(dir, 'cross-process-race.ts')).resolve('tsx');
    return { script: source, execArgv: ['--import', pathToFileURL(tsx).href] };
  }
  throw new CrossProcessRaceError(
    `the racer script was not found next to ${dir}; reinstall @kinesis-ts/core`,
  );
}

function moduleSpecifier(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module.length === 0) {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'crossProcess.module must be a path or a URL');
  }
  if (/^[a-z][a-z0-9+.-]+:/i.test(module)) return module;
  if (!isAbsolute(module)) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `crossProcess.module must be an absolute path or a file: URL, got ${module}`,
      { context: { module } },
    );
  }
  return pathToFileURL(module).href;
}

function integerOption(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `crossProcess.${name} must be an integer >= ${min}`,
      {
        context: { [name]: value },
      },
    );
  }
  return value;
}

/** The race's options with defaults applied (and checked). */
export interface ResolvedCrossProcessRaceOptions {
  readonly module: string;
  readonly processes: number;
  readonly leases: number;
  readonly concurrency: number;
  readonly execArgv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/** Checks the race options and applies the defaults. @throws ValidationError */
export function resolveCrossProcessRaceOptions(
  options: CrossProcessRaceOptions,
): ResolvedCrossProcessRaceOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'crossProcess must be an object { module }');
  }
  return {
    module: moduleSpecifier(options.module),
    processes: integerOption('processes', options.processes, 4, 2),
    leases: integerOption('leases', options.leases, 200, 1),
    concurrency: integerOption('concurrency', options.concurrency, 8, 1),
    execArgv: [...(options.execArgv ?? [])],
    env: { ...(options.env ?? {}) },
    timeoutMs: integerOption('timeoutMs', options.timeoutMs, 120_000, 1),
  };
}

/** Builds (not starts) an adapter with the module's `createAdapter`, in this process. */
export async function adapterFromModule(module: string): Promise<StateAdapter> {
  const loaded = (await import(/* @vite-ignore */ module)) as {
    createAdapter?: unknown;
    default?: { createAdapter?: unknown };
  };
  const factory = loaded.createAdapter ?? loaded.default?.createAdapter;
  if (typeof factory !== 'function') {
    throw new CrossProcessRaceError(`${module} does not export a function createAdapter()`);
  }
  return (await factory()) as StateAdapter;
}

/** One racing child process, its output tail and its messages. */
class Racer {
  readonly name: string;
  readonly child: ChildProcess;
  #output = '';
  #exited: Promise<void>;
  #waiters: Array<(message: ChildMessage) => void> = [];
  #queue: ChildMessage[] = [];

  constructor(
    name: string,
    entry: { script: string; execArgv: string[] },
    options: ResolvedCrossProcessRaceOptions,
  ) {
    this.name = name;
    this.child = fork(entry.script, [], {
      execArgv: [...new Set([...entry.execArgv, ...options.execArgv])],
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const keep = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.child.on('message', (message: ChildMessage) => {
      const waiter = this.#waiters.shift();
      if (waiter === undefined) this.#queue.push(message);
      else waiter(message);
    });
    this.#exited = new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.once('error', () => resolve());
    });
  }

  /** The next message; rejects when the racer exits first. */
  next(): Promise<ChildMessage> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      this.#waiters.push(resolve);
      void this.#exited.then(() =>
        reject(
          new CrossProcessRaceError(
            `racer ${this.name} exited (code ${String(this.child.exitCode)}, signal ${String(this.child.signalCode)}) before reporting; its output:\n${this.#output}`,
          ),
        ),
      );
    });
  }

  send(message: Record<string, unknown>): void {
    this.child.send(message);
  }

  get output(): string {
    return this.#output;
  }

  /** Waits up to `graceMs` for the racer to exit, then kills it. */
  async stop(graceMs: number): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const result = await Promise.race([this.#exited.then(() => 'exited' as const), expired]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.child.kill('SIGKILL');
      await this.#exited;
    }
  }
}

async function withDeadline<T>(work: Promise<T>, deadline: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CrossProcessRaceError(`cross-process race timed out ${what()}`)),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function expectMessage<T extends ChildMessage['type']>(
  racer: Racer,
  message: ChildMessage,
  type: T,
): Extract<ChildMessage, { type: T }> {
  if (message.type === 'failed') {
    throw new CrossProcessRaceError(
      `racer ${racer.name} failed to ${message.stage}: ${message.message}\nits output:\n${racer.output}`,
    );
  }
  if (message.type !== type) {
    throw new CrossProcessRaceError(`racer ${racer.name} sent ${message.type}, expected ${type}`);
  }
  return message as Extract<ChildMessage, { type: T }>;
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
      throw new CrossProcessRaceError('a racer built an adapter that declares sharedAcrossProcesses: false');
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
    for (const racer of racers) racer.send({ type: 'finish' });
    const stored = await withDeadline(
      mapConcurrent(shardIds, 16, (shardId) => local.getLease(scope, shardId)),
      deadline,
      () => 'while reading the leases back',
    );
    return judge(racers, rounds, shardIds, stored, raceMs);
  } finally {
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
