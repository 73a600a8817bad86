import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../cli-error.js';
import { parseAfter, parseTimestamp, tailStart } from './tail.js';

describe('tail positions', () => {
  it('defaults to LATEST and accepts trim-horizon in any case', () => {
    expect(tailStart({})).toEqual({ type: 'LATEST' });
    expect(tailStart({ from: 'TRIM-HORIZON' })).toEqual({ type: 'TRIM_HORIZON' });
  });

  it('parses --at as ISO time or epoch ms', () => {
    expect(parseTimestamp('2026-11-29T17:00:00Z').toISOString()).toBe('2026-11-29T17:00:00.000Z');
    expect(parseTimestamp('1764435600000').getTime()).toBe(1764435600000);
    expect(() => parseTimestamp('noon')).toThrow(CliUsageError);
  });

  it('parses --after with and without a sub-sequence number', () => {
    expect(parseAfter('4959')).toEqual({ type: 'AFTER', sequenceNumber: '4959', subSequenceNumber: null });
    expect(parseAfter('4959/3')).toEqual({ type: 'AFTER', sequenceNumber: '4959', subSequenceNumber: 3 });
    for (const bad of ['', '01', 'x', '12/a', '1/2/3']) expect(() => parseAfter(bad)).toThrow(CliUsageError);
    expect(tailStart({ after: '5/1', shard: ['shardId-0'] })).toEqual({
      type: 'AFTER',
      sequenceNumber: '5',
      subSequenceNumber: 1,
    });
  });
});
