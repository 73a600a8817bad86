/**
 * Output of the demo: a live view redrawn in place on a terminal, or plain lines (one status line
 * every two seconds plus one line per event) when stdout is not a TTY.
 */

/** Formats an integer with thousands separators. */
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Pads or cuts `text` to `width` columns. */
export const cell = (text: string, width: number, right = false): string => {
  const t = text.length > width ? `${text.slice(0, width - 1)}…` : text;
  return right ? t.padStart(width) : t.padEnd(width);
};

/** Renders a table of rows (first row: header) with the given column widths (negative: right-aligned). */
export function table(rows: readonly (readonly string[])[], widths: readonly number[]): string[] {
  return rows.map((row) =>
    row
      .map((text, i) => cell(text, Math.abs(widths[i] ?? 10), (widths[i] ?? 0) < 0))
      .join('  ')
      .trimEnd(),
  );
}

/** Where the demo writes. */
export class View {
  readonly #live: boolean;
  readonly #out: NodeJS.WriteStream;
  readonly #started = Date.now();
  #drawn = 0;
  #lastPlain = 0;

  /** @param live redraw a frame in place (TTY); otherwise print plain lines. */
  constructor(live: boolean, out: NodeJS.WriteStream = process.stdout) {
    this.#live = live;
    this.#out = out;
  }

  /** Seconds since the demo started, as `[ 12.3s]`. */
  stamp(): string {
    return `[${((Date.now() - this.#started) / 1000).toFixed(1).padStart(5)}s]`;
  }

  /** Prints an event line (above the live frame on a terminal). */
  event(line: string): void {
    this.#clear();
    this.#out.write(`${this.stamp()} ${line}\n`);
  }

  /**
   * Shows the current state: on a terminal the whole frame is redrawn; in plain mode `plainLine` is
   * printed at most every two seconds (or at once with `force`).
   */
  update(frame: () => string[], plainLine: () => string, force = false): void {
    if (this.#live) {
      this.#clear();
      const lines = frame();
      this.#out.write(`${lines.join('\n')}\n`);
      this.#drawn = lines.length;
    } else if (force || Date.now() - this.#lastPlain >= 2000) {
      this.#lastPlain = Date.now();
      this.#out.write(`${this.stamp()} ${plainLine()}\n`);
    }
  }

  /** Removes the live frame (before the summary). */
  finish(): void {
    this.#clear();
  }

  #clear(): void {
    if (!this.#live || this.#drawn === 0) return;
    this.#out.write(`\x1b[${this.#drawn}A\x1b[J`);
    this.#drawn = 0;
  }
}
