/**
 * {@link CliUsageError}: a command line that cannot be run as written, and the exit codes of the CLI.
 */
import { ErrorCode, type KinesisTsErrorOptions, ValidationError } from '@kinesis-ts/core';

/** Process exit codes of `kinesis-ts`. */
export const ExitCode = {
  /** Everything worked. */
  OK: 0,
  /** The command ran and failed (AWS error, missing table, records that failed, ...). */
  FAILURE: 1,
  /** The command line is wrong (unknown option, missing argument); nothing was done. */
  USAGE: 2,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM before it finished on its own. */
  INTERRUPTED: 130,
} as const;

/** One of {@link ExitCode}'s values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * A wrong command line: an unknown command or option, a missing or malformed argument. The message
 * says what to type instead; the CLI prints it with the command's usage line and exits with
 * {@link ExitCode.USAGE}.
 */
export class CliUsageError extends ValidationError {
  /** The command whose usage to show (`'tail'`, `'streams describe'`), or `undefined` for the top level. */
  readonly command: string | undefined;

  constructor(message: string, command?: string, options: KinesisTsErrorOptions = {}) {
    super(ErrorCode.INVALID_ARGUMENT, message, {
      ...options,
      context: { ...options.context, command },
    });
    this.command = command;
  }
}
