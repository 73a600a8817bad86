import { describe, expect, it } from 'vitest';
import { colorEnabled, paint } from './color.js';

describe('colorEnabled', () => {
  it('colours a terminal only', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
  });

  it('respects NO_COLOR, --no-color and TERM=dumb; FORCE_COLOR forces colours on', () => {
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, {}, true)).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });

  it('paints only when enabled', () => {
    expect(paint(false, 'red', 'x')).toBe('x');
    expect(paint(true, 'red', 'x')).toBe('\u001b[31mx\u001b[39m');
  });
});
