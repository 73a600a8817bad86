/**
 * Human tables: aligned columns without borders (cli-table3 measures ANSI colours correctly).
 */
import Table from 'cli-table3';

const NO_BORDERS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/**
 * Formats `rows` under `head` as aligned columns, two spaces apart, no trailing spaces. `head` may be
 * styled by the caller (e.g. bold); cells are strings as they should appear.
 */
export function formatTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const table = new Table({
    head: [...head],
    chars: NO_BORDERS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) table.push([...row]);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** `label  value` lines with the labels aligned (a describe header). */
export function formatFields(
  fields: readonly (readonly [string, string])[],
  styleLabel: (label: string) => string = (label) => label,
): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${styleLabel(label.padEnd(width))}  ${value}`).join('\n');
}
