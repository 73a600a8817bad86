/**
 * When to colour: only on a terminal, never with `NO_COLOR` (https://no-color.org) or `--no-color`;
 * `FORCE_COLOR` (not `0`) forces colours on, e.g. for a pager.
 */
import { inspect } from 'node:util';

/** The styles the CLI uses. */
export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

/** Whether to colour what goes to `stream`. */
export function colorEnabled(
  stream: { readonly isTTY?: boolean | undefined },
  env: Readonly<Record<string, string | undefined>>,
  noColorFlag = false,
): boolean {
  if (noColorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** `text` in `style` when `enabled`, else unchanged. */
export function paint(enabled: boolean, style: Style, text: string): string {
  if (!enabled) return text;
  // Node's own ANSI codes; util.styleText would apply its own TTY check on top of this decision.
  const [open, close] = inspect.colors[style] ?? [0, 0];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}
