import { describe, expect, it } from 'vitest';
import { CliUsageError } from './cli-error.js';
import { COMMANDS } from './commands/index.js';
import { parseCommandLine } from './parse-command-line.js';

const parse = (...argv: string[]) => parseCommandLine(argv, COMMANDS);

function usageError(run: () => unknown): CliUsageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CliUsageError);
    return error as CliUsageError;
  }
  throw new Error('expected a CliUsageError');
}

describe('parseCommandLine', () => {
  it('finds a two-word command with global options before and after it', () => {
    const parsed = parse('--region', 'eu-west-1', 'streams', 'describe', 'orders', '--json');
    expect(parsed.kind).toBe('run');
    if (parsed.kind !== 'run') return;
    expect(parsed.command.name).toBe('streams describe');
    expect(parsed.args).toEqual({ stream: 'orders' });
    expect(parsed.values.region).toBe('eu-west-1');
    expect(parsed.values.json).toBe(true);
  });

  it('parses command options, short aliases and repeatable options', () => {
    const parsed = parse(
      'tail',
      'orders',
      '-n',
      '5',
      '--shard',
      'shardId-1',
      '--shard',
      'shardId-2',
      '-f',
      'hex',
    );
    if (parsed.kind !== 'run') throw new Error(parsed.kind);
    expect(parsed.values.max).toBe('5');
    expect(parsed.values.shard).toEqual(['shardId-1', 'shardId-2']);
    expect(parsed.values.format).toBe('hex');
  });

  it('does not take the value of an option for a command word', () => {
    const parsed = parse('leases', '--group', 'streams', 'orders', '--table', 't1');
    if (parsed.kind !== 'run') throw new Error(parsed.kind);
    expect(parsed.command.name).toBe('leases');
    expect(parsed.args).toEqual({ stream: 'orders' });
    expect(parsed.values.group).toBe('streams');
  });

  it('rejects an option of another command, naming it', () => {
    const error = usageError(() => parse('streams', 'list', '--max', '3'));
    expect(error.message).toContain('--max');
    expect(error.command).toBe('streams list');
  });

  it('rejects a missing or extra positional argument', () => {
    expect(usageError(() => parse('tail')).message).toBe('missing <stream>');
    expect(usageError(() => parse('tail', 'a', 'b')).message).toContain('unexpected argument "b"');
  });

  it('explains an unknown command and a group without subcommand', () => {
    expect(usageError(() => parse('frobnicate')).message).toContain('unknown command `frobnicate`');
    expect(usageError(() => parse('streams')).message).toBe('`streams` needs a subcommand: list, describe');
    expect(usageError(() => parse('table', 'drop', 'x')).message).toContain('use one of create, check');
    expect(usageError(() => parse()).message).toContain('no command given');
  });

  it('answers --help for the top level, a group and a command, even without required arguments', () => {
    expect(parse('--help')).toEqual({ kind: 'help', command: undefined, group: undefined });
    expect(parse('streams', '-h')).toEqual({ kind: 'help', command: undefined, group: 'streams' });
    const help = parse('leases', '--help');
    expect(help.kind === 'help' && help.command?.name).toBe('leases');
    expect(parse('--version')).toEqual({ kind: 'version' });
  });

  it('rejects a string option given without its value', () => {
    expect(usageError(() => parse('tail', 'orders', '--max')).message).toContain('--max');
  });
});
