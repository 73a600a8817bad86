/**
 * {@link Output}: where a command writes. Results go to stdout (a table, or JSON with `--json`);
 * progress, warnings and errors go to stderr, so `--json` output stays parseable.
 */
import { colorEnabled, paint, type Style } from './color.js';
import { formatFields, formatTable } from './format-table.js';

/** A writable text stream (process.stdout / stderr, or a test's collector). */
export interface TextSink {
  /** Returns `false` when the stream's buffer is full (then it emits `drain`), like a Node stream. */
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  /** Node streams: lets {@link Output.drain} wait for `drain`. */
  once?(event: 'drain', listener: () => void): unknown;
}

/** Options of {@link Output}. */
export interface OutputOptions {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Environment for `NO_COLOR` / `FORCE_COLOR` / `TERM`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--json` was given. */
  readonly json: boolean;
  /** `--no-color` was given. */
  readonly noColor: boolean;
}

/** Writes results and diagnostics with colours only where they belong. */
export class Output {
  /** `--json`: results are JSON documents. */
  readonly json: boolean;
  /** Colours on stdout. */
  readonly color: boolean;
  /** Colours on stderr. */
  readonly errorColor: boolean;
  /** stdout is a terminal (watch mode redraws in place). */
  readonly interactive: boolean;
  /** stderr is a terminal (progress rewrites one line). */
  readonly errorInteractive: boolean;
  readonly #stdout: TextSink;
  readonly #stderr: TextSink;
  #mustDrain = false;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.#stdout = options.stdout;
    this.#stderr = options.stderr;
    this.color = colorEnabled(options.stdout, options.env, options.noColor);
    this.errorColor = colorEnabled(options.stderr, options.env, options.noColor);
    this.interactive = options.stdout.isTTY === true;
    this.errorInteractive = options.stderr.isTTY === true;
  }

  /** `text` styled for stdout. */
  style(style: Style, text: string): string {
    return paint(this.color, style, text);
  }

  /** Writes raw text to stdout. */
  write(text: string): void {
    if (this.#stdout.write(text) === false) this.#mustDrain = true;
  }

  /**
   * Resolves once stdout took what was written (at once unless a write found its buffer full), so a
   * fast reader piped into a slow one does not pile records up in memory.
   */
  async drain(): Promise<void> {
    if (!this.#mustDrain) return;
    this.#mustDrain = false;
    const sink = this.#stdout;
    if (typeof sink.once === 'function') await new Promise<void>((resolve) => sink.once?.('drain', resolve));
  }

  /** Writes a line to stdout. */
  line(text = ''): void {
    this.#stdout.write(`${text}\n`);
  }

  /** Writes `value` as one JSON document (one line) to stdout. */
  jsonLine(value: unknown): void {
    this.#stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Writes a table (head in bold) to stdout. */
  table(head: readonly string[], rows: readonly (readonly string[])[]): void {
    this.line(
      formatTable(
        head.map((h) => this.style('bold', h)),
        rows,
      ),
    );
  }

  /** Writes aligned `label  value` lines to stdout. */
  fields(fields: readonly (readonly [string, string])[]): void {
    this.line(formatFields(fields, (label) => this.style('bold', label)));
  }

  /** Writes raw text to stderr (progress). */
  progress(text: string): void {
    this.#stderr.write(text);
  }

  /** A warning line on stderr. */
  warn(text: string): void {
    this.#stderr.write(`${paint(this.errorColor, 'yellow', 'warning:')} ${text}\n`);
  }

  /** An error line on stderr. */
  error(text: string): void {
    this.#stderr.write(`${paint(this.errorColor, 'red', 'error:')} ${text}\n`);
  }

  /** A hint line on stderr (what to do next). */
  hint(text: string): void {
    this.#stderr.write(`${paint(this.errorColor, 'dim', 'hint:')} ${text}\n`);
  }
}
