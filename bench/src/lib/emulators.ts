/**
 * Starts `emulator-server.ts` (kinesalite + dynalite) as a child process and hands out HTTP/1.1
 * keep-alive SDK clients for it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { httpHandler } from '@kinesis-ts/integration';
import { CREDENTIALS, REGION } from './credentials.js';

const SERVER = fileURLToPath(new URL('../emulator-server.ts', import.meta.url));
const BENCH_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** A running emulator process. */
export interface Emulators {
  readonly kinesisEndpoint: string;
  readonly dynamodbEndpoint: string;
  /** The emulator process (its CPU is not the library's). */
  readonly pid: number;
  /** Config for clients the library creates itself (its own HTTP/1.1 handler applies). */
  readonly kinesisConfig: KinesisClientConfig;
  readonly dynamoConfig: DynamoDBClientConfig;
  /** A bare SDK client with an HTTP/1.1 keep-alive handler (the baselines use it). */
  kinesis(overrides?: Partial<KinesisClientConfig>): KinesisClient;
  dynamo(): DynamoDBClient;
  stop(): Promise<void>;
}

export { CREDENTIALS, REGION } from './credentials.js';

/** Spawns a script with tsx from the bench package directory. */
export function spawnTsx(script: string, args: string[], stdio: 'pipe' | 'inherit' = 'pipe'): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: BENCH_DIR,
    stdio: ['pipe', 'pipe', stdio === 'pipe' ? 'pipe' : 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
}

/** Reads JSON lines of a child's stdout. */
export function onJsonLines(child: ChildProcess, listener: (value: Record<string, unknown>) => void): void {
  let buffer = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.startsWith('{')) listener(JSON.parse(line) as Record<string, unknown>);
    }
  });
}

/** Starts fresh emulators in a child process. */
export async function startEmulators(): Promise<Emulators> {
  const child = spawnTsx(SERVER, [], 'inherit');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ kinesis: string; dynamodb: string; pid: number }>((resolve, reject) => {
    onJsonLines(child, (value) => resolve(value as { kinesis: string; dynamodb: string; pid: number }));
    child.once('exit', (code) => reject(new Error(`emulator process exited (code ${String(code)})`)));
  });
  const common = { region: REGION, credentials: CREDENTIALS };
  const clients: { destroy(): void }[] = [];
  return {
    kinesisEndpoint: ready.kinesis,
    dynamodbEndpoint: ready.dynamodb,
    pid: ready.pid,
    kinesisConfig: { ...common, endpoint: ready.kinesis },
    dynamoConfig: { ...common, endpoint: ready.dynamodb },
    kinesis: (overrides = {}) => {
      const client = new KinesisClient({
        ...common,
        endpoint: ready.kinesis,
        requestHandler: httpHandler(),
        ...overrides,
      });
      clients.push(client);
      return client;
    },
    dynamo: () => {
      const client = new DynamoDBClient({
        ...common,
        endpoint: ready.dynamodb,
        requestHandler: httpHandler(),
      });
      clients.push(client);
      return client;
    },
    stop: async () => {
      for (const client of clients) client.destroy();
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
