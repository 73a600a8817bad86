/**
 * The racing child processes of the cross-process race, seen from the test's process: where the
 * racer script is, how to start one, its messages (one per round) and how to stop it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUILD_EXTENSION, BUILD_FORMAT } from '../build-format.js';
import { ErrorCode } from '../errors.js';
import { CrossProcessRaceError } from './cross-process-race-error.js';
import type { ResolvedCrossProcessRaceOptions } from './cross-process-race-options.js';

/** What one racer reports for one round. */
export interface RoundReport {
  readonly won: readonly string[];
  readonly conflicts: number;
  readonly failures: ReadonlyArray<{ shardId: string; message: string }>;
}

/** Messages a racer sends. */
export type ChildMessage =
  | { type: 'ready'; sharedAcrossProcesses: boolean }
  | { type: 'failed'; stage: string; message: string }
  | ({ type: 'round-done' } & RoundReport);

const OUTPUT_TAIL_CHARS = 4_000;

/** This module's folder: dist/ of the build, or src/testing/ of the sources (from the build's own format). */
function moduleDirectory(): string {
  if (BUILD_FORMAT === 'cjs') return __dirname;
  return dirname(fileURLToPath(import.meta.url));
}

/**
 * The racer script and the Node options it needs: the built `testing-race-child` next to this
 * module in `dist/`, or, when running from the repository's sources, `race-child.ts` through tsx.
 */
export function racerEntry(): { script: string; execArgv: string[] } {
  const dir = moduleDirectory();
  const script = join(dir, `testing-race-child${BUILD_EXTENSION}`);
  if (existsSync(script)) return { script, execArgv: [] };
  const source = join(dir, 'race-child.ts');
  if (existsSync(source)) {
    const tsx = createRequire(join(dir, 'cross-process-race.ts')).resolve('tsx');
    return { script: source, execArgv: ['--import', pathToFileURL(tsx).href] };
  }
  throw new CrossProcessRaceError(
    ErrorCode.INVALID_ARGUMENT,
    `the racer script was not found next to ${dir}; reinstall @kinesis-ts/core`,
  );
}

/** One racing child process, its output tail and its messages. */
export class Racer {
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
            ErrorCode.STATE_STORE_UNAVAILABLE,
            `racer ${this.name} exited (code ${String(this.child.exitCode)}, signal ${String(this.child.signalCode)}) before reporting; its output:\n${this.#output}`,
          ),
        ),
      );
    });
  }

  send(message: Record<string, unknown>): void {
    this.child.send(message);
  }

  /** Asks the racer to close its adapter and exit (nothing when it is already gone). */
  finish(): void {
    if (this.child.connected) this.child.send({ type: 'finish' }, () => {});
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

/** `work`, or a `TIMEOUT` rejection at `deadline` (epoch ms). */
export async function withDeadline<T>(work: Promise<T>, deadline: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CrossProcessRaceError(ErrorCode.TIMEOUT, `cross-process race timed out ${what()}`)),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** `message` when it has the expected type; otherwise the racer's failure as an error. */
export function expectMessage<T extends ChildMessage['type']>(
  racer: Racer,
  message: ChildMessage,
  type: T,
): Extract<ChildMessage, { type: T }> {
  if (message.type === 'failed') {
    throw new CrossProcessRaceError(
      ErrorCode.STATE_STORE_UNAVAILABLE,
      `racer ${racer.name} failed to ${message.stage}: ${message.message}\nits output:\n${racer.output}`,
    );
  }
  if (message.type !== type) {
    throw new CrossProcessRaceError(
      ErrorCode.STATE_STORE_UNAVAILABLE,
      `racer ${racer.name} sent ${message.type}, expected ${type}`,
    );
  }
  return message as Extract<ChildMessage, { type: T }>;
}
