import { LATEST_CHECKPOINT, TRIM_HORIZON_CHECKPOINT } from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { CliUsageError } from './cli-error.js';
import {
  DEFAULT_FAILOVER_MS,
  DEFAULT_HANDOFF_TIMEOUT_MS,
  parseRewindOptions,
  parseRewindTo,
} from './rewind-options.js';

const NOW = Date.parse('2026-11-29T18:00:00Z');

function usage(values: Record<string, string | boolean>): string {
  try {
    parseRewindOptions(values, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(CliUsageError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(values)}`);
}

describe('parseRewindTo', () => {
  it('reads trim-horizon and latest in any spelling, and times as AT_TIMESTAMP sentinels', () => {
    for (const raw of ['trim-horizon', 'TRIM_HORIZON', 'Trim-Horizon'])
      expect(parseRewindTo(raw, NOW)).toEqual(TRIM_HORIZON_CHECKPOINT);
    expect(parseRewindTo('LATEST', NOW)).toEqual(LATEST_CHECKPOINT);
    expect(parseRewindTo('2026-11-29T17:00:00Z', NOW)).toEqual({
      sequenceNumber: `AT_TIMESTAMP:${Date.parse('2026-11-29T17:00:00Z')}`,
      subSequenceNumber: 0,
    });
    expect(parseRewindTo('1764435600000', NOW)).toEqual({
      sequenceNumber: 'AT_TIMESTAMP:1764435600000',
      subSequenceNumber: 0,
    });
    // Exactly now is not in the future.
    expect(parseRewindTo(String(NOW), NOW).sequenceNumber).toBe(`AT_TIMESTAMP:${NOW}`);
  });

  it('refuses a malformed value, a future time and a time before 1970', () => {
    expect(() => parseRewindTo('yesterday', NOW)).toThrow(
      /--to must be trim-horizon, latest, an ISO 8601 time/,
    );
    expect(() => parseRewindTo('2026-11-29T18:00:01Z', NOW)).toThrow(/is in the future/);
    expect(() => parseRewindTo(String(NOW + 1), NOW)).toThrow(CliUsageError);
    expect(() => parseRewindTo('1969-12-31T23:59:59Z', NOW)).toThrow(/before 1970/);
  });
});

describe('parseRewindOptions', () => {
  it('needs exactly one target and exactly one scope', () => {
    expect(usage({ all: true })).toMatch(/exactly one target/);
    expect(usage({ all: true, to: 'latest', after: '5', shard: 's' })).toMatch(/exactly one target/);
    expect(usage({ to: 'latest' })).toMatch(/give --shard <shardId> or --all/);
    expect(usage({ to: 'latest', all: true, shard: 's' })).toMatch(/not both/);
    expect(usage({ after: '5', all: true })).toMatch(/--after needs --shard/);
    expect(usage({ after: 'x1', shard: 's' })).toMatch(/--after must be a sequence number/);
    expect(usage({ to: 'latest', all: true, 'handoff-timeout-ms': '5' })).toMatch(
      /only applies with --handoff/,
    );
    expect(usage({ to: 'latest', all: true, handoff: true, 'handoff-timeout-ms': '0' })).toMatch(
      /--handoff-timeout-ms must be an integer/,
    );
  });

  it('reads the target, the scope and the handoff settings with their defaults', () => {
    expect(parseRewindOptions({ to: 'trim-horizon', all: true }, NOW)).toEqual({
      target: { type: 'POSITION', checkpoint: TRIM_HORIZON_CHECKPOINT },
      selection: { type: 'all' },
      dryRun: false,
      handoff: false,
      handoffTimeoutMs: DEFAULT_HANDOFF_TIMEOUT_MS,
      failoverTimeMs: DEFAULT_FAILOVER_MS,
    });
    expect(
      parseRewindOptions(
        {
          after: '4959/2',
          shard: 'shardId-000000000001',
          'dry-run': true,
          handoff: true,
          'handoff-timeout-ms': '5000',
          'failover-ms': '3000',
        },
        NOW,
      ),
    ).toEqual({
      target: { type: 'AFTER', sequenceNumber: '4959', subSequenceNumber: 2 },
      selection: { type: 'shard', shardId: 'shardId-000000000001' },
      dryRun: true,
      handoff: true,
      handoffTimeoutMs: 5000,
      failoverTimeMs: 3000,
    });
  });
});
