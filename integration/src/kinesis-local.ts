import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { httpHandler } from './clients.js';
import { findFreePort } from './free-port.js';

/** A running kinesis-local (kinesis-mock) child process bound to 127.0.0.1. */
export interface KinesisLocalProcess {
  /** Plain-HTTP endpoint, `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** The child's process id. */
  readonly pid: number;
  /** Plain-HTTP port. */
  readonly plainPort: number;
  /** TLS port (self-signed certificate). */
  readonly tlsPort: number;
  /** SIGTERM, then SIGKILL after {@link KinesisLocalOptions.killAfterMs}; resolves once the child exited. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startKinesisLocal}. */
export interface KinesisLocalOptions {
  /** How long to wait for ListStreams to answer (default 30 s). */
  readyTimeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL (default 500 ms; SIGTERM alone can take 30 s). */
  killAfterMs?: number;
  /** kinesis-mock's LOG_LEVEL (default WARN). */
  logLevel?: 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';
}

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));
/** `node -r` preloads: bind to 127.0.0.1 only; exit when this process is gone. */
const PRELOADS = ['-r', join(HERE, 'loopback-preload.cjs'), '-r', join(HERE, 'orphan-guard.cjs')];
const OUTPUT_TAIL_LINES = 40;
const DURATION_VARIABLES = [
  'CREATE_STREAM_DURATION',
  'DELETE_STREAM_DURATION',
  'REGISTER_STREAM_CONSUMER_DURATION',
  'DEREGISTER_STREAM_CONSUMER_DURATION',
  'START_STREAM_ENCRYPTION_DURATION',
  'STOP_STREAM_ENCRYPTION_DURATION',
  'MERGE_SHARDS_DURATION',
  'SPLIT_SHARD_DURATION',
  'UPDATE_SHARD_COUNT_DURATION',
  'UPDATE_STREAM_MODE_DURATION',
];

/**
 * Starts kinesis-local (kinesis-mock, the Kinesis engine of LocalStack) as a child process on two free
 * loopback ports, with instant stream transitions, and resolves once ListStreams answers. If the child
 * dies during start-up (e.g. a probed port was taken meanwhile) it retries once on new ports.
 */
export async function startKinesisLocal(options: KinesisLocalOptions = {}): Promise<KinesisLocalProcess> {
  try {
    return await startOnce(options);
  } catch (error) {
    if (!(error instanceof ChildExitedError)) throw error;
    return startOnce(options);
  }
}

class ChildExitedError extends Error {}

async function startOnce(options: KinesisLocalOptions): Promise<KinesisLocalProcess> {
  const packageDir = dirname(require.resolve('kinesis-local/package.json'));
  const [plainPort, tlsPort] = await Promise.all([findFreePort(), findFreePort()]);
  const durations = Object.fromEntries(DURATION_VARIABLES.map((name) => [name, '0ms']));
  const child = spawn(process.execPath, [...PRELOADS, join(packageDir, 'main.js')], {
    cwd: packageDir,
    env: {
      ...process.env,
      ...durations,
      KINESIS_MOCK_PLAIN_PORT: String(plainPort),
      KINESIS_MOCK_TLS_PORT: String(tlsPort),
      KINESIS_MOCK_CERT_PATH: join(packageDir, 'server.json'),
      LOG_LEVEL: options.logLevel ?? 'WARN',
      SHOULD_PERSIST_DATA: 'false',
      KINESIS_TS_PARENT_PID: String(process.pid),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = captureTail(child);
  // Safety net: if this process exits without stop(), the emulator must not outlive it.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  let exitInfo: string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitInfo = `code ${code}, signal ${signal}`;
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => {});
  const pid = child.pid;
  const killAfterMs = options.killAfterMs ?? 500;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
  if (pid === undefined) {
    await Promise.race([spawnError, exited]);
    throw new Error(`kinesis-local did not spawn: ${output()}`);
  }
  const endpoint = `http://127.0.0.1:${plainPort}`;
  try {
    await Promise.race([
      waitUntilAnswers(endpoint, options.readyTimeoutMs ?? 30_000, () => exitInfo !== undefined),
      spawnError,
    ]);
  } catch (error) {
    await stop();
    const detail = `${(error as Error).message}; output:\n${output()}`;
    if (exitInfo !== undefined) throw new ChildExitedError(`kinesis-local exited (${exitInfo}): ${detail}`);
    throw new Error(`kinesis-local did not become ready: ${detail}`);
  }
  return { endpoint, pid, plainPort, tlsPort, stop };
}

/** Keeps the last lines of the child's stdout/stderr (draining the pipes so the child never blocks). */
function captureTail(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > OUTPUT_TAIL_LINES) lines.splice(0, lines.length - OUTPUT_TAIL_LINES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

async function waitUntilAnswers(
  endpoint: string,
  timeoutMs: number,
  hasExited: () => boolean,
): Promise<void> {
  const client = new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: httpHandler({ requestTimeoutMs: 2_000 }),
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      if (hasExited()) throw new Error('the process exited before answering');
      try {
        await client.send(new ListStreamsCommand({}));
        return;
      } catch (error) {
        lastError = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no answer to ListStreams within ${timeoutMs} ms (last error: ${String(lastError)})`);
  } finally {
    client.destroy();
  }
}
