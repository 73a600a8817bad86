/**
 * Bundled applications (issue #13): a producer app and a consumer app are bundled with esbuild, each
 * with the package's worker entry (`@kinesis-ts/producer/host`, `@kinesis-ts/consumer/shard-worker`)
 * as an extra entry point, following the READMEs' recipes, as ES modules and as CommonJS, then run as
 * plain `node` processes with the default process runner against the run's back-end. A third pair is
 * bundled with `@aws-sdk/client-kinesis` and `@aws-sdk/client-dynamodb` 3.600.0 (the lowest of the
 * peer range) in place of the workspace's SDK, with DynamoDB leases and the app's own KinesisClient.
 * Also: without the option, the error names `hostModulePath` / `workerScript`; and the unbundled ES
 * module build finds its host entry under `node -e` (it used to look in the working directory).
 * About 15-25 s on kinesalite on 2 cores.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, kinesisClient } from '../src/clients.js';
import { createStateTable, deleteTable } from '../src/state-table.js';
import { createStream, deleteStream } from '../src/streams.js';
import { uniqueName } from '../src/unique-name.js';

const here = (name: string): string => fileURLToPath(new URL(`./bundling/${name}`, import.meta.url));
const integrationDir = fileURLToPath(new URL('..', import.meta.url));
const RECORDS = 300;
const workspaceSdkVersions = ['@aws-sdk/client-kinesis', '@aws-sdk/client-dynamodb'].map(
  (name) => (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version,
);
const APP_TIMEOUT_MS = 45_000;

/** The ES module banner of the READMEs' esbuild recipe: the SDK's CommonJS code needs `require`. */
const ESM_BANNER =
  "import { createRequire as __kinesisTsCreateRequire } from 'node:module'; " +
  'const require = __kinesisTsCreateRequire(import.meta.url);';

type Format = 'esm' | 'cjs';

/** Bundles the two apps of `format` and the two worker entries into `outdir` (the READMEs' recipe). */
async function bundleApps(format: Format, outdir: string, alias?: Record<string, string>): Promise<void> {
  const ext = format === 'esm' ? 'mjs' : 'cjs';
  await build({
    entryPoints: {
      'producer-app': here(`producer-app.fixture.${ext}`),
      'consumer-app': here(`consumer-app.fixture.${ext}`),
      'kinesis-producer-host': '@kinesis-ts/producer/host',
      'kinesis-shard-worker': '@kinesis-ts/consumer/shard-worker',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    outdir,
    outExtension: { '.js': `.${ext}` },
    ...(format === 'esm' ? { banner: { js: ESM_BANNER } } : {}),
    ...(alias === undefined ? {} : { alias }),
    absWorkingDir: integrationDir,
    logLevel: 'error',
  });
}

/** Runs `node <args>` and returns the JSON of its last stdout line; rejects on a non-zero exit. */
async function runNode(args: string[]): Promise<Record<string, unknown>> {
  return (await runNodeWithStderr(args)).json;
}

/** {@link runNode}, also returning what the process and its children wrote to stderr. */
function runNodeWithStderr(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ json: Record<string, unknown>; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: integrationDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, APP_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`node ${args.join(' ')} did not finish in ${APP_TIMEOUT_MS} ms: ${err}${out}`));
        return;
      }
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) {
        reject(new Error(`node ${args.join(' ')} exited (${String(code ?? signal)}): ${err}${out}`));
        return;
      }
      try {
        resolve({ json: JSON.parse(last) as Record<string, unknown>, stderr: err });
      } catch {
        reject(new Error(`node ${args.join(' ')} printed no JSON line: ${err}${out}`));
      }
    });
  });
}

const expected = (tag: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${tag}-${i}`);

describe('bundled applications (esbuild) with the process runners', { timeout: 120_000 }, () => {
  const kinesis = kinesisClient();
  const dynamo = dynamoClient();
  const streams: string[] = [];
  const tables: string[] = [];
  let root = '';
  const dir = (name: string): string => join(root, name);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'kinesis-ts-bundling-'));
    await Promise.all([
      bundleApps('esm', dir('esm')),
      bundleApps('cjs', dir('cjs')),
      bundleApps('esm', dir('old-sdk'), {
        '@aws-sdk/client-kinesis': 'kinesis-old',
        '@aws-sdk/client-dynamodb': 'dynamodb-old',
      }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(streams.map((name) => deleteStream(kinesis, name).catch(() => {})));
    await Promise.all(tables.map((name) => deleteTable(dynamo, name).catch(() => {})));
    kinesis.destroy();
    dynamo.destroy();
    if (root !== '') await rm(root, { recursive: true, force: true });
  });

  async function stream(): Promise<string> {
    const name = await createStream(kinesis, { shardCount: 2 });
    streams.push(name);
    return name;
  }

  /** The bundled producer puts RECORDS records; the bundled consumer reads exactly those back. */
  async function roundTrip(folder: string, ext: 'mjs' | 'cjs', table = '-'): Promise<void> {
    const name = await stream();
    const tag = uniqueName('rec');
    const produced = await runNode([join(dir(folder), `producer-app.${ext}`), name, String(RECORDS), tag]);
    expect(produced).toEqual({ acknowledged: RECORDS });
    const consumed = await runNode([join(dir(folder), `consumer-app.${ext}`), name, String(RECORDS), table]);
    const records = consumed.records as string[];
    const want = expected(tag, RECORDS);
    const missing = want.filter((record) => !records.includes(record));
    expect({ missing, delivered: new Set(records).size }).toEqual({ missing: [], delivered: RECORDS });
  }

  it('ES module bundles: records flow from the bundled producer to the bundled consumer', async () => {
    await roundTrip('esm', 'mjs');
  });

  it('CommonJS bundles: records flow from the bundled producer to the bundled consumer', async () => {
    await roundTrip('cjs', 'cjs');
  });

  it('bundled with @aws-sdk 3.600.0: records flow, leases in DynamoDB, the app passes its own client', async () => {
    const table = uniqueName('bundling-leases');
    // The bundles hold the SDK clients of 3.600.0 (their user agent names the version), not the workspace's.
    for (const app of ['producer-app.mjs', 'consumer-app.mjs']) {
      const code = await readFile(join(dir('old-sdk'), app), 'utf8');
      expect(code).toContain('version: "3.600.0"');
      for (const version of workspaceSdkVersions) expect(code).not.toContain(`version: "${version}"`);
    }
    await createStateTable(dynamo, table);
    tables.push(table);
    await roundTrip('old-sdk', 'mjs', table);
  });

  it('without the option, a bundled app is told to set hostModulePath / workerScript', async () => {
    const name = await stream();
    const producer = await runNode([join(dir('esm'), 'producer-app.mjs'), name, '1', 'x', '--no-host-path']);
    expect(producer.startError).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((producer.startError as { message: string }).message).toMatch(
      /hostModulePath.*'@kinesis-ts\/producer\/host'|'@kinesis-ts\/producer\/host'.*hostModulePath/,
    );
    const consumer = await runNode([
      join(dir('esm'), 'consumer-app.mjs'),
      name,
      '1',
      '-',
      '--no-worker-script',
    ]);
    expect(consumer.startError).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((consumer.startError as { message: string }).message).toMatch(
      /'@kinesis-ts\/consumer\/shard-worker'.*workerScript/,
    );
  });

  it('the unbundled ES module build finds its host entry under node -e', async () => {
    const name = await stream();
    const script = `import('@kinesis-ts/producer').then(async ({ KinesisProducer }) => {
      const producer = new KinesisProducer({ streamName: ${JSON.stringify(name)}, bufferTime: 20 });
      await producer.start();
      const acks = await Promise.all([0, 1, 2].map((i) => producer.put('e-' + i)));
      await producer.close();
      console.log(JSON.stringify({ acknowledged: acks.length }));
    })`;
    expect(await runNode(['-e', script])).toEqual({ acknowledged: 3 });
  });

  it("shard processes and the producer host inherit the parent's --no-warnings", async () => {
    const name = await stream();
    const tag = uniqueName('warn');
    // The SDK warns once per process on Node < 22; the suite turns that off through the environment.
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const producer = join(dir('esm'), 'producer-app.mjs');
    const consumer = join(dir('esm'), 'consumer-app.mjs');
    const quiet = await runNodeWithStderr(['--no-warnings', producer, name, '20', tag], env);
    expect(quiet.json).toEqual({ acknowledged: 20 });
    const quietConsumer = await runNodeWithStderr(['--no-warnings', consumer, name, '20'], env);
    expect((quietConsumer.json.records as string[]).length).toBeGreaterThanOrEqual(20);
    expect(quiet.stderr + quietConsumer.stderr).not.toContain('Warning');
    if (Number(process.versions.node.split('.')[0]) < 22) {
      // The control: without the option, the same runs print the SDK's warning (parent and children).
      const loud = await runNodeWithStderr([producer, name, '1', tag], env);
      expect(loud.stderr).toContain('NodeVersionSupportWarning');
    }
  });
});
