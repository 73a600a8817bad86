/**
 * The shape of a command: its words, arguments, options (as `node:util` parseArgs takes them, plus
 * help text) and what it runs.
 */
import type { CommandContext } from './command-context.js';

/** One option of a command, as `parseArgs` takes it plus what `--help` prints. */
export interface OptionSpec {
  /** `string` options take a value; `boolean` options are flags. */
  readonly type: 'string' | 'boolean';
  /** One-letter alias (`-n`). */
  readonly short?: string;
  /** May be given more than once (values collect into an array). */
  readonly multiple?: boolean;
  /** What `--help` says about it. */
  readonly description: string;
  /** Placeholder of the value in `--help` (`<ms>`). */
  readonly valueName?: string;
}

/** A set of options by long name (without `--`). */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** A runnable command (`streams describe`, `tail`, ...). */
export interface CommandSpec {
  /** The words that select it, space-separated (`'streams describe'`). */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Required positional arguments, in order, by name (`['stream']`). */
  readonly positionals: readonly string[];
  /** The command's own options (the global ones are added to every command). */
  readonly options: OptionSpecs;
  /** Paragraphs printed by `--help` after the options (behaviour, safety, examples). */
  readonly details?: string;
  /** Runs the command; resolves with the process exit code. */
  run(context: CommandContext): Promise<number>;
}
