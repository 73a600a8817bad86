/**
 * Runs the BUILT `kinesis-ts` executable (packages/cli/dist/bin.mjs) as a subprocess, with the
 * back-end's SDK variables in its environment, and collects what it printed.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const cliPackage = createRequire(import.meta.url).resolve('@kinesis-ts/cli/package.json');
/** Path of the built executable. */
export const KINESIS_TS_BIN = join(dirname(cliPackage), 'dist', 'bin.mjs');

/** What a run printed and how it ended. */
export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

/** Options of {@link runKinesisTs}. */
export interface RunKinesisTsOptions {
  /** Written to stdin, then stdin is closed (default: stdin closed at once). */
  readonly input?: string;
  /** Killed (SIGKILL) after this long; the test then fails on the exit code (default 30 s). */
  readonly timeoutMs?: number;
  /** Sends SIGINT after this long (a Ctrl-C). */
  readonly interruptAfterMs?: number;
  /** Extra environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A running `kinesis-ts`. */
export interface StartedCli {
  /** What it printed on stdout so far. */
  stdout(): string;
  /** Sends SIGINT (a Ctrl-C). */
  interrupt(): void;
  /** Resolves when it exited. */
  readonly done: Promise<CliRun>;
}

/** Runs `kinesis-ts <args>` and resolves when it exited. */
export function runKinesisTs(args: readonly string[], options: RunKinesisTsOptions = {}): Promise<CliRun> {
  return startKinesisTs(args, options).done;
}

/** Starts `kinesis-ts <args>`; see {@link StartedCli}. */
export function startKinesisTs(args: readonly string[], options: RunKinesisTsOptions = {}): StartedCli {
  const started = Date.now();
  const child = spawn(process.execPath, [KINESIS_TS_BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.on('error', () => {});
  child.stdin.end(options.input ?? '');
  const kill = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const interrupt =
    options.interruptAfterMs === undefined
      ? undefined
      : setTimeout(() => child.kill('SIGINT'), options.interruptAfterMs);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(kill);
      if (interrupt !== undefined) clearTimeout(interrupt);
      resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
  return { stdout: () => stdout, interrupt: () => child.kill('SIGINT'), done };
}

/** Runs `kinesis-ts <args> --json`, expects exit 0, and parses stdout's JSON lines. */
export async function runKinesisTsJson<T = unknown>(
  args: readonly string[],
  options: RunKinesisTsOptions = {},
): Promise<T[]> {
  const run = await runKinesisTs([...args, '--json'], options);
  if (run.code !== 0) {
    throw new Error(`kinesis-ts ${args.join(' ')} exited ${run.code ?? run.signal}: ${run.stderr}`);
  }
  return run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

/**
 * The fixture config of a consumer instance on DynamoDB state, as the CLI scenarios run them: a lease
 * scan every second, a checkpoint after every record, no handler delay.
 */
export function cliGroupInstance(
  where: { readonly stream: string; readonly table: string; readonly group: string },
  instanceId: string,
  failoverTimeMs: number,
): Record<string, unknown> {
  return {
    ...where,
    instanceId,
    failoverTimeMs,
    leaseScanIntervalMs: 1000,
    checkpointRecords: 1,
    delayMs: 0,
  };
}
