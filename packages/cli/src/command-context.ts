/**
 * {@link CommandContext}: what a running command gets: its arguments, AWS settings, output, the
 * environment and an abort signal for Ctrl-C.
 */
import type { Readable } from 'node:stream';
import type { AwsSettings } from './aws-settings.js';
import type { Output } from './output.js';
import type { OptionValues } from './parse-command-line.js';

/** What a command runs with. */
export interface CommandContext {
  /** Positional arguments by name. */
  readonly args: Readonly<Record<string, string>>;
  /** Option values (global and the command's). */
  readonly values: OptionValues;
  /** Region, endpoints, profile. */
  readonly aws: AwsSettings;
  /** Where results and diagnostics go. */
  readonly out: Output;
  /** Standard input (`put`). */
  readonly stdin: Readable;
  /** Aborted on Ctrl-C / SIGTERM: long-running commands stop cleanly and return. */
  readonly signal: AbortSignal;
  /** Working directory (relative `--state-module` paths). */
  readonly cwd: string;
}
