import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FailedRecords, failedRecordDocuments, toFailureDestination } from './failure-destination.js';
import { jsonLinesFileDestination } from './json-lines-destination.js';
import { type DestinationProducer, kinesisStreamDestination } from './kinesis-stream-destination.js';

function failed(count: number): FailedRecords {
  const error = Object.assign(new Error('bad payload'), { code: 'E_BAD' });
  return {
    streamName: 'orders',
    consumerGroup: 'billing',
    shardId: 'shardId-000000000002',
    records: Array.from({ length: count }, (_, i) => ({
      data: Buffer.from(`payload-${i}`),
      partitionKey: `key-${i}`,
      sequenceNumber: String(100 + i),
      subSequenceNumber: i,
      shardId: 'shardId-000000000002',
      approximateArrivalTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      aggregated: true,
    })),
    condition: 'RetryAttemptsExhausted',
    error,
    attempts: 4,
    failedAt: new Date(Date.UTC(2026, 0, 2)),
  };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('failure documents', () => {
  it('carry stream, group, shard, sequence numbers, identifier, condition, error, attempts and payload', () => {
    const [doc] = failedRecordDocuments(failed(2));
    expect(doc).toEqual({
      version: 1,
      condition: 'RetryAttemptsExhausted',
      streamName: 'orders',
      consumerGroup: 'billing',
      shardId: 'shardId-000000000002',
      sequenceNumber: '100',
      subSequenceNumber: 0,
      itemIdentifier: '100:0',
      partitionKey: 'key-0',
      approximateArrivalTimestamp: '2026-01-01T00:00:00.000Z',
      aggregated: true,
      attempts: 4,
      failedAt: '2026-01-02T00:00:00.000Z',
      error: { name: 'Error', message: 'bad payload', code: 'E_BAD' },
      group: { size: 2, firstSequenceNumber: '100', lastSequenceNumber: '101' },
      data: Buffer.from('payload-0').toString('base64'),
    });
    expect(failedRecordDocuments(failed(1), false)[0]).not.toHaveProperty('data');
  });

  it('a function is a destination; anything else is rejected', async () => {
    const seen: FailedRecords[] = [];
    await toFailureDestination((f) => {
      seen.push(f);
    }).send(failed(1), new AbortController().signal);
    expect(seen).toHaveLength(1);
    expect(() => toFailureDestination({} as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('jsonLinesFileDestination', () => {
  it('appends one JSON line per record, creating the directory on the first failure', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kts-failed-'));
    dirs.push(dir);
    const path = join(dir, 'nested', 'failed.jsonl');
    const destination = jsonLinesFileDestination({ path, fsync: true });
    await destination.send(failed(2), new AbortController().signal);
    await destination.send(failed(1), new AbortController().signal);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const docs = lines.map((line) => JSON.parse(line));
    expect(docs.map((d) => d.sequenceNumber)).toEqual(['100', '101', '100']);
    expect(Buffer.from(docs[1].data, 'base64').toString()).toBe('payload-1');
  });
});

describe('jsonLinesFileDestination (concurrent shards)', () => {
  it('appends groups sent at the same time one after another, never interleaved', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kts-failed-'));
    dirs.push(dir);
    const path = join(dir, 'failed.jsonl');
    const destination = jsonLinesFileDestination({ path, includeData: false });
    const signal = new AbortController().signal;
    await Promise.all([destination.send(failed(3), signal), destination.send(failed(2), signal)]);
    const docs = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(docs.map((d) => d.sequenceNumber)).toEqual(['100', '101', '102', '100', '101']);
    expect(docs.every((d) => !('data' in d))).toBe(true);
  });
});

describe('kinesisStreamDestination', () => {
  it('puts one document per record with the record partition key; resolves after every put; leaves a given producer open', async () => {
    const puts: Array<{ data: string; partitionKey: string | undefined }> = [];
    let closed = false;
    const producer: DestinationProducer = {
      put: async (data, options) => {
        puts.push({ data: String(data), partitionKey: options?.partitionKey });
        return { shardId: 'x', sequenceNumber: '1' };
      },
      close: async () => {
        closed = true;
      },
    };
    const destination = kinesisStreamDestination({ producer });
    await destination.send(failed(3), new AbortController().signal);
    expect(puts.map((p) => p.partitionKey)).toEqual(['key-0', 'key-1', 'key-2']);
    expect(JSON.parse(puts[2]!.data)).toMatchObject({
      shardId: 'shardId-000000000002',
      sequenceNumber: '102',
      attempts: 4,
    });
    await destination.close?.();
    expect(closed).toBe(false);
  });

  it('rejects the send when a put fails (the records are offered again)', async () => {
    const destination = kinesisStreamDestination({
      producer: {
        put: async () => {
          throw new Error('RECORD_EXPIRED');
        },
        close: async () => {},
      },
    });
    await expect(destination.send(failed(1), new AbortController().signal)).rejects.toThrow('RECORD_EXPIRED');
  });

  it('needs a stream name without a producer', () => {
    expect(() => kinesisStreamDestination({})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
