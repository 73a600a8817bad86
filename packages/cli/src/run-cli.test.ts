import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ExitCode } from './cli-error.js';
import { type CliIo, runCli } from './run-cli.js';

function io(env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const value: CliIo = {
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    stdin: new PassThrough(),
    env,
    cwd: process.cwd(),
    signal: new AbortController().signal,
    version: '9.9.9',
  };
  return { io: value, out: () => stdout, err: () => stderr };
}

describe('runCli', () => {
  it('prints the command list and a command help on stdout with exit 0', async () => {
    const top = io();
    expect(await runCli(['--help'], top.io)).toBe(ExitCode.OK);
    for (const command of [
      'streams list',
      'streams describe <stream>',
      'leases <stream>',
      'tail <stream>',
      'put <stream>',
    ])
      expect(top.out()).toContain(command);
    const leases = io();
    expect(await runCli(['leases', '--help'], leases.io)).toBe(ExitCode.OK);
    expect(leases.out()).toContain('--state-module <path>');
    expect(leases.out()).toContain('--endpoint-url <url>');
    const version = io();
    expect(await runCli(['--version'], version.io)).toBe(ExitCode.OK);
    expect(version.out()).toBe('9.9.9\n');
  });

  it('exits 2 with the error, the usage line and a hint for a wrong command line, writing nothing to stdout', async () => {
    const run = io();
    expect(await runCli(['leases', 'orders', '--table', 'leases'], run.io)).toBe(ExitCode.USAGE);
    expect(run.out()).toBe('');
    expect(run.err()).toBe(
      [
        'error: --group is required: the consumer group whose leases to read',
        'usage: kinesis-ts leases <stream> [options]',
        'hint: run `kinesis-ts leases --help`',
        '',
      ].join('\n'),
    );
  });

  it('with --json reports the error as one JSON line on stderr', async () => {
    const run = io();
    expect(await runCli(['tail', 'orders', '--from', 'yesterday', '--json'], run.io)).toBe(ExitCode.USAGE);
    expect(JSON.parse(run.err())).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        message: '--from must be one of latest, trim-horizon, got "yesterday"',
        hint: 'run `kinesis-ts tail --help`',
      },
    });
  });

  it('rejects a malformed endpoint before calling anything', async () => {
    const run = io();
    expect(await runCli(['streams', 'list', '--endpoint-url', 'localhost:4566'], run.io)).toBe(
      ExitCode.USAGE,
    );
    expect(run.err()).toContain('--endpoint-url must be an http:// or https:// URL');
  });

  it('rewind needs --shard and a well-formed --after before touching anything', async () => {
    const noShard = io();
    expect(await runCli(['rewind', 's', '-g', 'g', '-t', 'tbl', '--after', '1', '--all'], noShard.io)).toBe(
      ExitCode.USAGE,
    );
    expect(noShard.err()).toContain('--after needs --shard: a sequence number belongs to one shard');
    const badTo = io();
    expect(await runCli(['rewind', 's', '-g', 'g', '-t', 'tbl', '--all', '--to', 'soon'], badTo.io)).toBe(
      ExitCode.USAGE,
    );
    expect(badTo.err()).toContain('--to must be trim-horizon, latest, an ISO 8601 time');
    const badAfter = io();
    expect(
      await runCli(['rewind', 's', '-g', 'g', '-t', 'tbl', '--shard', 'x', '--after', '12/x'], badAfter.io),
    ).toBe(ExitCode.USAGE);
    expect(badAfter.err()).toContain('hint: run `kinesis-ts rewind --help`');
  });

  it('needs --shard with --after, and exactly one start option', async () => {
    const after = io();
    expect(await runCli(['tail', 's', '--after', '123'], after.io)).toBe(ExitCode.USAGE);
    expect(after.err()).toContain('--after needs exactly one --shard');
    const both = io();
    expect(await runCli(['tail', 's', '--from', 'latest', '--at', '2026-01-01T00:00:00Z'], both.io)).toBe(
      ExitCode.USAGE,
    );
    expect(both.err()).toContain('at most one of --from, --at, --after');
  });
});
