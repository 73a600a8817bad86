import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from './cli-error.js';
import { type CliIo, runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kinesis-ts-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A custom adapter as a user would ship it: a module whose default export builds the adapter. It
// records its lifecycle in a global so the test can see the CLI started and closed it.
writeFileSync(
  join(dir, 'adapter.mjs'),
  `
export default function createState(options) {
  const log = (globalThis.__cliAdapterLog ??= []);
  log.push(['create', options.region ?? null]);
  const lease = (shardId, owner, leaseCounter) => ({
    consumerGroup: 'g', streamName: 's', shardId, owner, leaseCounter,
    checkpoint: { sequenceNumber: '42', subSequenceNumber: 0 }, parentShardIds: [], ended: false, pendingOwner: null,
  });
  return {
    start: async () => { log.push(['start']); },
    close: async () => { log.push(['close']); },
    getLease: async () => null,
    listLeases: async (scope) => {
      log.push(['list', scope.consumerGroup, scope.streamName]);
      return [lease('shardId-000000000001', 'i-2', 3), lease('shardId-000000000000', 'i-1', 5)];
    },
  };
}
`,
);
writeFileSync(join(dir, 'not-an-adapter.mjs'), 'export default () => ({ hello: true });\n');

function io() {
  let stdout = '';
  let stderr = '';
  const value: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: new PassThrough(),
    env: {},
    cwd: dir,
    signal: new AbortController().signal,
    version: '0.0.0',
  };
  return { io: value, out: () => stdout, err: () => stderr };
}

describe('--state-module', () => {
  it('loads the factory (relative to the working directory), starts, lists and closes the adapter', async () => {
    const run = io();
    const code = await runCli(
      ['leases', 's', '--group', 'g', '--state-module', './adapter.mjs', '--region', 'eu-west-1', '--json'],
      run.io,
    );
    expect(run.err()).toBe('');
    expect(code).toBe(ExitCode.OK);
    const view = JSON.parse(run.out());
    expect(view.leases.map((l: { shardId: string; owner: string }) => [l.shardId, l.owner])).toEqual([
      ['shardId-000000000000', 'i-1'],
      ['shardId-000000000001', 'i-2'],
    ]);
    expect(view.instances.map((i: { owner: string; leases: number }) => [i.owner, i.leases])).toEqual([
      ['i-1', 1],
      ['i-2', 1],
    ]);
    expect((globalThis as { __cliAdapterLog?: unknown[] }).__cliAdapterLog).toEqual([
      ['create', 'eu-west-1'],
      ['start'],
      ['list', 'g', 's'],
      ['close'],
    ]);
  });

  it('refuses a module whose factory returns no adapter, and --table with --state-module together', async () => {
    const bad = io();
    expect(await runCli(['leases', 's', '-g', 'g', '--state-module', './not-an-adapter.mjs'], bad.io)).toBe(
      ExitCode.USAGE,
    );
    expect(bad.err()).toContain('the factory returned no StateAdapter');
    const missing = io();
    expect(await runCli(['leases', 's', '-g', 'g', '--state-module', './nope.mjs'], missing.io)).toBe(
      ExitCode.USAGE,
    );
    expect(missing.err()).toContain('could not import');
    const both = io();
    expect(await runCli(['leases', 's', '-g', 'g', '--state-module', 'x.mjs', '--table', 't'], both.io)).toBe(
      ExitCode.USAGE,
    );
    expect(both.err()).toContain('give either --table <dynamodb table> or --state-module <path>');
  });
});
