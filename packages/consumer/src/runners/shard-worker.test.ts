import { deserialize, serialize } from 'node:v8';
import {
  fromTransferableError,
  isKinesisTsError,
  type KinesisTsError,
  type TransferableError,
} from '@kinesis-ts/core';
import { describe, expect, it } from 'vitest';
import { awsError, FakeKinesis } from '../test-support/fake-kinesis.js';
import { runShardWorker } from './shard-worker.js';
import type { FromWorkerMessage, ToWorkerMessage, TransferableCredentials } from './transport.js';

function harness() {
  const fake = new FakeKinesis();
  fake.createStream('s', 1);
  const sent: FromWorkerMessage[] = [];
  let deliver: (message: ToWorkerMessage) => void = () => {};
  let provider: (() => Promise<TransferableCredentials>) | null = null;
  let closed = false;
  const done = runShardWorker({
    pack: true,
    port: {
      send: (message) => sent.push(message),
      onMessage: (listener) => {
        deliver = listener;
      },
      close: () => {
        closed = true;
      },
    },
    apiFactory: (_config, credentials) => {
      provider = credentials;
      return fake;
    },
  });
  return {
    fake,
    sent,
    send: (m: ToWorkerMessage) => deliver(m),
    provider: () => provider,
    done,
    closed: () => closed,
  };
}

const start = (credentials: TransferableCredentials | null, credit = 100): ToWorkerMessage => ({
  type: 'start',
  spec: {
    streamName: 's',
    shardId: 'shardId-000000000000',
    hashKeyRange: null,
    position: { type: 'TRIM_HORIZON' },
  },
  reader: {
    minPollIntervalMs: 200,
    idlePollIntervalMs: 1000,
    maxRecordsPerCall: 100,
    minFetchRecords: 1,
    heartbeatIntervalMs: 60_000,
  },
  client: { region: 'us-east-1' },
  credentials,
  credit: { records: credit, bytes: 1 << 20 },
});

describe('shard worker', () => {
  it('gets credentials only over IPC and asks the parent again when they are about to expire', async () => {
    const h = harness();
    const soon: TransferableCredentials = {
      accessKeyId: 'a',
      secretAccessKey: 'b',
      expiration: Date.now() + 60_000,
    };
    h.send(start(soon, 0));
    const provider = h.provider()!;
    expect(provider).not.toBeNull();
    const pending = provider();
    expect(h.sent.filter((m) => m.type === 'credentials-request')).toHaveLength(1);
    const fresh: TransferableCredentials = {
      accessKeyId: 'c',
      secretAccessKey: 'd',
      expiration: Date.now() + 3_600_000,
    };
    h.send({ type: 'credentials', credentials: fresh });
    await expect(pending).resolves.toEqual(fresh);
    await expect(provider()).resolves.toEqual(fresh);
    expect(h.sent.filter((m) => m.type === 'credentials-request')).toHaveLength(1);
    h.send({ type: 'stop' });
    await h.done;
    expect(h.closed()).toBe(true);
    expect(h.sent.at(-1)).toEqual({ type: 'stopped' });
  });

  it('sends one packed message per batch and fetches only with credit', async () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.fake.put('s', 'shardId-000000000000', `k${i}`, `v${i}`);
    h.send(start(null, 0));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(h.fake.calls.filter((c) => c.op === 'GetRecords')).toHaveLength(0);
    h.send({ type: 'credit', records: 3, bytes: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const batches = h.sent.filter((m) => m.type === 'batch');
    expect(batches).toHaveLength(1);
    const batch = batches[0]!;
    expect(batch.type === 'batch' && batch.count).toBe(3);
    expect(batch.type === 'batch' && batch.packed?.partitionKeys).toEqual(['k0', 'k1', 'k2']);
    expect(h.fake.calls.find((c) => c.op === 'GetRecords')?.limit).toBe(3);
    h.send({ type: 'stop' });
    await h.done;
  });
});

describe('shard worker errors', () => {
  it('cross to the main process with code, message, context and the SDK cause (every runner)', async () => {
    const h = harness();
    const denied = Object.assign(awsError('AccessDeniedException', 'not allowed to read s'), {
      $fault: 'client',
      $metadata: { httpStatusCode: 400, requestId: 'req-42', attempts: 1 },
    });
    h.fake.failures.push({ op: 'GetShardIterator', error: denied });
    h.send(start({ accessKeyId: 'a', secretAccessKey: 'b' }));
    for (let i = 0; i < 50 && !h.sent.some((m) => m.type === 'error'); i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const message = h.sent.find((m) => m.type === 'error');
    expect(message).toBeDefined();
    if (message?.type !== 'error') return;
    // The inline runner passes the object; the process (advanced IPC) and thread runners clone it.
    for (const data of [message.error, deserialize(serialize(message.error)) as TransferableError]) {
      const error = fromTransferableError(data) as KinesisTsError;
      expect(isKinesisTsError(error)).toBe(true);
      expect(error.code).toBe('KINESIS_REQUEST_FAILED');
      expect(error.message).toContain('not allowed to read s');
      expect(error.context).toMatchObject({ shardId: 'shardId-000000000000' });
      const cause = error.cause as Error & { $metadata?: unknown; $fault?: unknown };
      expect(cause.name).toBe('AccessDeniedException');
      expect(cause.message).toBe('not allowed to read s');
      expect(cause.$fault).toBe('client');
      expect(cause.$metadata).toEqual({ httpStatusCode: 400, requestId: 'req-42', attempts: 1 });
    }
    h.send({ type: 'stop' });
    await h.done;
  });
});
