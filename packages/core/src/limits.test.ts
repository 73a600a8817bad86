import { describe, expect, it } from 'vitest';
import { ErrorCode, ValidationError } from './errors.js';
import {
  assertRecordSize,
  byteLength,
  KPL_DEFAULT_MAX_AGGREGATE_BYTES,
  MAX_PUT_RECORDS_BYTES,
  MAX_PUT_RECORDS_COUNT,
  MAX_RECORD_SIZE_BYTES,
  userRecordSize,
} from './limits.js';

describe('limits', () => {
  it('has the Kinesis and KPL defaults', () => {
    expect(MAX_RECORD_SIZE_BYTES).toBe(1_048_576);
    expect(MAX_PUT_RECORDS_COUNT).toBe(500);
    expect(MAX_PUT_RECORDS_BYTES).toBe(10_485_760);
    expect(KPL_DEFAULT_MAX_AGGREGATE_BYTES).toBe(51_200);
  });

  it('byteLength counts UTF-8 bytes of strings and the length of byte arrays', () => {
    expect(byteLength('abc')).toBe(3);
    expect(byteLength('€')).toBe(3);
    expect(byteLength('🔑')).toBe(4);
    expect(byteLength(new Uint8Array(7))).toBe(7);
    expect(byteLength(new Uint8Array(16).subarray(4, 9))).toBe(5);
  });

  it('userRecordSize is data bytes plus UTF-8 partition key bytes; the explicit hash key does not count', () => {
    expect(userRecordSize({ partitionKey: 'key', data: new Uint8Array(10) })).toBe(13);
    expect(userRecordSize({ partitionKey: 'ключ', data: 'héllo' })).toBe(8 + 6);
    expect(
      userRecordSize({
        partitionKey: 'k',
        data: new Uint8Array(10),
        explicitHashKey: '12345678901234567890',
      }),
    ).toBe(11);
  });

  it('assertRecordSize accepts a record exactly at the limit and rejects one byte over', () => {
    const atLimit = { partitionKey: 'pk', data: new Uint8Array(MAX_RECORD_SIZE_BYTES - 2) };
    expect(() => assertRecordSize(atLimit)).not.toThrow();
    const over = { partitionKey: 'pk', data: new Uint8Array(MAX_RECORD_SIZE_BYTES - 1) };
    try {
      assertRecordSize(over);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).code).toBe(ErrorCode.RECORD_TOO_LARGE);
      expect((error as ValidationError).context).toEqual({
        size: MAX_RECORD_SIZE_BYTES + 1,
        limit: MAX_RECORD_SIZE_BYTES,
      });
    }
  });

  it('assertRecordSize honours a custom limit', () => {
    expect(() => assertRecordSize({ partitionKey: 'k', data: 'abcd' }, 5)).not.toThrow();
    expect(() => assertRecordSize({ partitionKey: 'k', data: 'abcde' }, 5)).toThrow(ValidationError);
  });
});
