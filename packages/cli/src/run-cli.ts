/**
 * {@link runCli}: runs one `kinesis-ts` command line and returns the exit code. The executable
 * (`bin.ts`) wires it to the process; tests call it with their own streams.
 */
import type { Readable } from 'node:stream';
import { awsSettingsFrom } from './aws-settings.js';
import { CliUsageError, ExitCode } from './cli-error.js';
import type { CommandSpec } from './command-spec.js';
import { COMMANDS } from './commands/index.js';
import { explainError } from './explain-error.js';
import { commandHelp, mainHelp, usageLine } from './help-text.js';
import { flag } from './option-values.js';
import { Output, type TextSink } from './output.js';
import { parseCommandLine } from './parse-command-line.js';

/** What {@link runCli} reads from and writes to. */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly stdin: Readable;
  /** Environment (`NO_COLOR`, ...); the AWS SDK reads `process.env` itself. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Working directory for relative paths. */
  readonly cwd: string;
  /** Aborted on Ctrl-C / SIGTERM. */
  readonly signal: AbortSignal;
  /** Printed by `--version`. */
  readonly version: string;
}

function usageOf(command: string | undefined, commands: readonly CommandSpec[]): string | undefined {
  const spec = commands.find((c) => c.name === command);
  return spec === undefined ? undefined : usageLine(spec);
}

/**
 * Runs `argv` (arguments after the script name). Never throws: failures are printed on stderr (as a
 * JSON line with `--json`) and reported through the exit code ({@link ExitCode}).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const out = new Output({
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env,
    json,
    noColor: argv.includes('--no-color'),
  });
  try {
    const parsed = parseCommandLine(argv, COMMANDS);
    if (parsed.kind === 'version') {
      out.line(io.version);
      return ExitCode.OK;
    }
    if (parsed.kind === 'help') {
      out.write(
        parsed.command === undefined ? mainHelp(COMMANDS, parsed.group) : commandHelp(parsed.command),
      );
      return ExitCode.OK;
    }
    const aws = awsSettingsFrom(parsed.values);
    // The SDK default chain (here and in any process the command starts) reads the profile from it.
    if (aws.profile !== undefined) process.env.AWS_PROFILE = aws.profile;
    return await parsed.command.run({
      args: parsed.args,
      values: parsed.values,
      aws,
      out: new Output({
        stdout: io.stdout,
        stderr: io.stderr,
        env: io.env,
        json: flag(parsed.values, 'json'),
        noColor: flag(parsed.values, 'no-color'),
      }),
      stdin: io.stdin,
      signal: io.signal,
      cwd: io.cwd,
    });
  } catch (error) {
    if (io.signal.aborted && (error as { name?: unknown } | null)?.name === 'AbortError') {
      return ExitCode.INTERRUPTED;
    }
    const explained = explainError(error);
    if (json) {
      io.stderr.write(`${JSON.stringify({ error: explained })}\n`);
    } else {
      out.error(explained.message);
      if (error instanceof CliUsageError) {
        const usage = usageOf(error.command, COMMANDS);
        if (usage !== undefined) io.stderr.write(`usage: ${usage}\n`);
      }
      if (explained.hint !== undefined) out.hint(explained.hint);
    }
    return error instanceof CliUsageError ? ExitCode.USAGE : ExitCode.FAILURE;
  }
}
