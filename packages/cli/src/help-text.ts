/**
 * `--help` output: the command list and each command's usage, options and details.
 */
import type { CommandSpec, OptionSpecs } from './command-spec.js';
import { GLOBAL_OPTIONS } from './global-options.js';

/** The `Usage:` line of a command. */
export function usageLine(command: CommandSpec): string {
  const args = command.positionals.map((name) => `<${name}>`).join(' ');
  return `kinesis-ts ${command.name}${args === '' ? '' : ` ${args}`} [options]`;
}

function optionLines(specs: OptionSpecs): string[] {
  const entries = Object.entries(specs).map(([name, spec]) => {
    const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
    const value = spec.type === 'string' ? ` ${spec.valueName ?? '<value>'}` : '';
    return { flag: `${short}--${name}${value}`, spec };
  });
  const width = Math.max(0, ...entries.map((e) => e.flag.length));
  return entries.map(
    ({ flag, spec }) =>
      `  ${flag.padEnd(width)}  ${spec.description}${spec.multiple === true ? ' (repeatable)' : ''}`,
  );
}

/** Help of one command. */
export function commandHelp(command: CommandSpec): string {
  const lines = [`Usage: ${usageLine(command)}`, '', command.summary];
  if (Object.keys(command.options).length > 0) lines.push('', 'Options:', ...optionLines(command.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  if (command.details !== undefined) lines.push('', command.details.trim());
  return `${lines.join('\n')}\n`;
}

/** The top-level help (or a group's, e.g. `kinesis-ts streams --help`). */
export function mainHelp(commands: readonly CommandSpec[], group?: string): string {
  const shown = group === undefined ? commands : commands.filter((c) => c.name.startsWith(`${group} `));
  const width = Math.max(0, ...shown.map((c) => usageLine(c).length - 'kinesis-ts '.length));
  const lines = [
    `Usage: kinesis-ts ${group ?? '<command>'} ${group === undefined ? '' : '<subcommand> '}[options]`,
    '',
    'See and steer Kinesis streams and kinesis-ts consumer groups.',
    '',
    'Commands:',
    ...shown.map((c) => `  ${usageLine(c).slice('kinesis-ts '.length).padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Region, endpoint and credentials come from the flags above, else from the AWS SDK default chain',
    '(AWS_REGION, AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL_DYNAMODB, AWS_PROFILE, credential variables,',
    'SSO, instance and container roles).',
    "Run 'kinesis-ts <command> --help' for a command's options.",
  ];
  return `${lines.join('\n')}\n`;
}
