import { describe, expect, it } from 'vitest';
import {
  atTimestampCheckpoint,
  checkpointPosition,
  formatCheckpoint,
  isRecordCheckpoint,
  isSentinelSequenceNumber,
  LATEST_CHECKPOINT,
  TRIM_HORIZON_CHECKPOINT,
} from './checkpoint-position.js';
import { validateCheckpoint } from './state-arguments.js';

const RECORD = {
  sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
  subSequenceNumber: 3,
};

describe('checkpoint positions', () => {
  it('maps a record checkpoint to AFTER it and each sentinel to its position', () => {
    expect(checkpointPosition(RECORD)).toEqual({ type: 'AFTER', checkpoint: RECORD });
    expect(checkpointPosition({ sequenceNumber: '0', subSequenceNumber: 0 }).type).toBe('AFTER');
    expect(checkpointPosition(TRIM_HORIZON_CHECKPOINT)).toEqual({ type: 'TRIM_HORIZON' });
    expect(checkpointPosition(LATEST_CHECKPOINT)).toEqual({ type: 'LATEST' });
    const at = Date.UTC(2026, 10, 29, 17, 0, 0);
    expect(atTimestampCheckpoint(new Date(at))).toEqual({
      sequenceNumber: `AT_TIMESTAMP:${at}`,
      subSequenceNumber: 0,
    });
    expect(checkpointPosition(atTimestampCheckpoint(at))).toEqual({ type: 'AT_TIMESTAMP', timestamp: at });
    expect(checkpointPosition(atTimestampCheckpoint(0))).toEqual({ type: 'AT_TIMESTAMP', timestamp: 0 });
  });

  it('tells records from sentinels', () => {
    expect(isRecordCheckpoint(RECORD)).toBe(true);
    expect(isRecordCheckpoint(TRIM_HORIZON_CHECKPOINT)).toBe(false);
    expect(isRecordCheckpoint(LATEST_CHECKPOINT)).toBe(false);
    expect(isRecordCheckpoint(atTimestampCheckpoint(5))).toBe(false);
  });

  it('accepts exactly the sentinel forms', () => {
    for (const value of [
      'TRIM_HORIZON',
      'LATEST',
      'AT_TIMESTAMP:0',
      'AT_TIMESTAMP:1764435600000',
      'AT_TIMESTAMP:8640000000000000',
    ]) {
      expect(isSentinelSequenceNumber(value), value).toBe(true);
    }
    for (const value of [
      '',
      'trim_horizon',
      'LATEST ',
      'AT_TIMESTAMP',
      'AT_TIMESTAMP:',
      'AT_TIMESTAMP:-1',
      'AT_TIMESTAMP:01',
      'AT_TIMESTAMP:1.5',
      'AT_TIMESTAMP:8640000000000001',
      'AT_TIMESTAMP:2026-11-29T17:00:00Z',
      'SHARD_END',
      '123',
    ]) {
      expect(isSentinelSequenceNumber(value), value).toBe(false);
    }
  });

  it('refuses a timestamp a Date cannot hold', () => {
    expect(() => atTimestampCheckpoint(-1)).toThrow(RangeError);
    expect(() => atTimestampCheckpoint(Number.NaN)).toThrow(RangeError);
    expect(() => atTimestampCheckpoint(new Date('not a date'))).toThrow(RangeError);
    expect(() => atTimestampCheckpoint(8_640_000_000_000_001)).toThrow(RangeError);
    expect(() => checkpointPosition({ sequenceNumber: 'SHARD_END', subSequenceNumber: 0 })).toThrow(
      RangeError,
    );
  });

  it('validateCheckpoint takes sentinels with sub-sequence 0 only', () => {
    expect(() => validateCheckpoint(TRIM_HORIZON_CHECKPOINT)).not.toThrow();
    expect(() => validateCheckpoint(LATEST_CHECKPOINT)).not.toThrow();
    expect(() => validateCheckpoint(atTimestampCheckpoint(1_764_435_600_000))).not.toThrow();
    expect(() => validateCheckpoint({ sequenceNumber: 'LATEST', subSequenceNumber: 1 })).toThrow(/must be 0/);
    expect(() => validateCheckpoint({ sequenceNumber: 'SHARD_END', subSequenceNumber: 0 })).toThrow(
      /TRIM_HORIZON, LATEST or AT_TIMESTAMP/,
    );
  });

  it('formats every kind for people', () => {
    expect(formatCheckpoint(null)).toBe('-');
    expect(formatCheckpoint(RECORD)).toBe(`${RECORD.sequenceNumber}/3`);
    expect(formatCheckpoint(TRIM_HORIZON_CHECKPOINT)).toBe('TRIM_HORIZON');
    expect(formatCheckpoint(LATEST_CHECKPOINT)).toBe('LATEST');
    expect(formatCheckpoint(atTimestampCheckpoint(Date.UTC(2026, 10, 29, 17)))).toBe(
      'AT_TIMESTAMP 2026-11-29T17:00:00.000Z',
    );
  });
});
