/**
 * Splits a command line into the command and its arguments with `node:util` parseArgs: a first,
 * lenient pass finds the command words (options may come before or after them), a second, strict
 * pass parses the command's own options and rejects anything else.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliUsageError } from './cli-error.js';
import type { CommandSpec, OptionSpecs } from './command-spec.js';
import { GLOBAL_OPTIONS } from './global-options.js';

/** Option values as parseArgs returns them. */
export type OptionValues = Readonly<Record<string, string | boolean | string[] | boolean[] | undefined>>;

/** What the command line asked for. */
export type ParsedCommandLine =
  | { readonly kind: 'help'; readonly command: CommandSpec | undefined; readonly group: string | undefined }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'run';
      readonly command: CommandSpec;
      /** The command's positional arguments, by name. */
      readonly args: Readonly<Record<string, string>>;
      readonly values: OptionValues;
    };

type ParseArgsOptions = NonNullable<ParseArgsConfig['options']>;

function toParseArgsOptions(specs: OptionSpecs): ParseArgsOptions {
  const options: ParseArgsOptions = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = {
      type: spec.type,
      ...(spec.short === undefined ? {} : { short: spec.short }),
      ...(spec.multiple === undefined ? {} : { multiple: spec.multiple }),
    };
  }
  return options;
}

/** The words that start a command name (`streams`, `table`): groups that need a subcommand. */
export function commandGroups(commands: readonly CommandSpec[]): Map<string, CommandSpec[]> {
  const groups = new Map<string, CommandSpec[]>();
  for (const command of commands) {
    const words = command.name.split(' ');
    if (words.length < 2) continue;
    const group = words[0] as string;
    groups.set(group, [...(groups.get(group) ?? []), command]);
  }
  return groups;
}

function findCommand(
  commands: readonly CommandSpec[],
  positionals: readonly string[],
): CommandSpec | undefined {
  let best: CommandSpec | undefined;
  for (const command of commands) {
    const words = command.name.split(' ');
    if (words.every((word, i) => positionals[i] === word)) {
      if (best === undefined || words.length > best.name.split(' ').length) best = command;
    }
  }
  return best;
}

/** parseArgs' own errors (unknown option, missing value) as a usage error. */
function strictParse(
  argv: readonly string[],
  specs: OptionSpecs,
  command: string,
): ReturnType<typeof parseArgs> {
  try {
    return parseArgs({
      args: [...argv],
      options: toParseArgsOptions(specs),
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliUsageError(message.replace(/\. To specify a positional argument.*$/s, ''), command, {
      cause: error,
    });
  }
}

/**
 * Parses `argv` (without the node and script paths) against `commands`.
 * @throws CliUsageError for an unknown command, an unknown option, a missing or extra argument.
 */
export function parseCommandLine(
  argv: readonly string[],
  commands: readonly CommandSpec[],
): ParsedCommandLine {
  const all: Record<string, OptionSpecs[string]> = { ...GLOBAL_OPTIONS };
  for (const command of commands) Object.assign(all, command.options);
  all.version = { type: 'boolean', description: '' };
  const lenient = parseArgs({
    args: [...argv],
    options: toParseArgsOptions(all),
    strict: false,
    allowPositionals: true,
  });
  const positionals = lenient.positionals;
  const wantsHelp = lenient.values.help === true;
  const command = findCommand(commands, positionals);
  if (command === undefined) {
    const first = positionals[0];
    if (first === undefined) {
      if (lenient.values.version === true) return { kind: 'version' };
      if (wantsHelp) return { kind: 'help', command: undefined, group: undefined };
      throw new CliUsageError('no command given: run `kinesis-ts --help` for the list of commands');
    }
    const group = commandGroups(commands).get(first);
    if (group !== undefined) {
      if (wantsHelp && positionals.length === 1) return { kind: 'help', command: undefined, group: first };
      const choices = group.map((c) => c.name.split(' ')[1]).join(', ');
      throw new CliUsageError(
        positionals[1] === undefined
          ? `\`${first}\` needs a subcommand: ${choices}`
          : `unknown subcommand \`${first} ${positionals[1]}\`: use one of ${choices}`,
      );
    }
    throw new CliUsageError(
      `unknown command \`${first}\`: run \`kinesis-ts --help\` for the list of commands`,
    );
  }
  if (wantsHelp) return { kind: 'help', command, group: undefined };
  const strict = strictParse(argv, { ...GLOBAL_OPTIONS, ...command.options }, command.name);
  const rest = strict.positionals.slice(command.name.split(' ').length);
  const args: Record<string, string> = {};
  command.positionals.forEach((name, i) => {
    const value = rest[i];
    if (value === undefined || value === '') {
      throw new CliUsageError(`missing <${name}>`, command.name);
    }
    args[name] = value;
  });
  if (rest.length > command.positionals.length) {
    throw new CliUsageError(
      `unexpected argument ${JSON.stringify(rest[command.positionals.length])}`,
      command.name,
    );
  }
  return { kind: 'run', command, args, values: strict.values as OptionValues };
}
