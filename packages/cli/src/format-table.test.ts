import { describe, expect, it } from 'vitest';
import { paint } from './color.js';
import { formatFields, formatTable } from './format-table.js';

describe('formatTable', () => {
  it('aligns columns two spaces apart without borders or trailing spaces', () => {
    expect(
      formatTable(
        ['SHARD', 'OWNER'],
        [
          ['shardId-000000000000', 'a'],
          ['s1', 'instance-b'],
        ],
      ),
    ).toBe(
      ['SHARD                 OWNER', 'shardId-000000000000  a', 's1                    instance-b'].join(
        '\n',
      ),
    );
  });

  it('measures coloured cells by what is visible', () => {
    const lines = formatTable(
      ['A', 'B'],
      [
        [paint(true, 'red', 'xx'), 'y'],
        ['zzz', 'w'],
      ],
    ).split('\n');
    expect(lines[1]).toBe(`${paint(true, 'red', 'xx')}   y`);
    expect(lines[2]).toBe('zzz  w');
  });
});

describe('formatFields', () => {
  it('aligns labels, styling them after padding', () => {
    expect(
      formatFields(
        [
          ['Stream', 's'],
          ['ARN', 'arn'],
        ],
        (l) => `[${l}]`,
      ),
    ).toBe('[Stream]  s\n[ARN   ]  arn');
  });
});
