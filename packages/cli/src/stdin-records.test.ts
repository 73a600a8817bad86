import { describe, expect, it } from 'vitest';
import { CliUsageError } from './cli-error.js';
import { lineToRecord } from './stdin-records.js';

describe('lineToRecord', () => {
  it('takes the line as data, drops a trailing CR and skips empty lines', () => {
    expect(lineToRecord('hello\r', 1, {})).toEqual({ data: 'hello', partitionKey: undefined });
    expect(lineToRecord('', 2, {})).toBeNull();
    expect(lineToRecord('x', 3, { partitionKey: 'fixed' })).toEqual({ data: 'x', partitionKey: 'fixed' });
  });

  it('reads the partition key from a JSON field, string or number', () => {
    expect(lineToRecord('{"id":"u-1","n":2}', 1, { keyField: 'id' })).toEqual({
      data: '{"id":"u-1","n":2}',
      partitionKey: 'u-1',
    });
    expect(lineToRecord('{"id":42}', 1, { keyField: 'id' })?.partitionKey).toBe('42');
  });

  it('rejects lines that are not JSON or lack the key field, naming the line', () => {
    expect(() => lineToRecord('plain', 7, { keyField: 'id' })).toThrow(CliUsageError);
    expect(() => lineToRecord('plain', 7, { keyField: 'id' })).toThrow(/line 7 is not JSON/);
    expect(() => lineToRecord('{"other":1}', 8, { keyField: 'id' })).toThrow(/line 8 has no "id" field/);
    expect(() => lineToRecord('{"id":""}', 9, { keyField: 'id' })).toThrow(/line 9/);
    expect(() => lineToRecord('[1]', 10, { keyField: 'id' })).toThrow(/line 10/);
  });
});
