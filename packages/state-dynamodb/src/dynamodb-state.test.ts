import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ErrorCode,
  type Lease,
  LeaseConflictError,
  LeaseLostError,
  type LeaseScope,
  StateStoreError,
  ValidationError,
} from '@kinesis-ts/core';
import { describe, expect, it, vi } from 'vitest';
import { DynamoDBState, type DynamoDBStateOptions } from './dynamodb-state.js';
import { FakeDynamoDB, networkError, sdkError } from './test-support/fake-dynamodb.js';

const scope: LeaseScope = { consumerGroup: 'app', streamName: 'orders' };
const SHARD = 'shardId-000000000000';
const KEY = `app#orders#${SHARD}`;

function setup(options: Partial<DynamoDBStateOptions> = {}) {
  const fake = new FakeDynamoDB();
  const table = fake.addTable('leases');
  const state = new DynamoDBState({
    tableName: 'leases',
    client: fake.asClient(),
    retry: { random: () => 1, baseDelayMs: 10, maxDelayMs: 1000, maxAttempts: 5 },
    ...options,
  });
  return { fake, table, state };
}

async function ownedLease(state: DynamoDBState, owner = 'owner-a'): Promise<Lease> {
  const created = await state.createLease(scope, SHARD);
  return state.takeLease(scope, SHARD, { owner: null, leaseCounter: created.leaseCounter }, owner);
}

const isUpdate = (name: string) => name === 'UpdateItemCommand';

/** Runs `promise` to completion while fake timers advance. */
async function settle<T>(promise: Promise<T>): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => {
    done = true;
  });
  tracked.catch(() => {});
  while (!done) await vi.advanceTimersByTimeAsync(100);
  return tracked;
}

describe('DynamoDBState: construction and start()', () => {
  it('rejects unknown option keys, also in retry, with the nearest known key', () => {
    const fake = new FakeDynamoDB();
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ tabelName: 'leases' }, 'tabelName', 'tableName'],
      [{ tableName: 'leases', retry: { maxAttempt: 3 } }, 'retry.maxAttempt', 'maxAttempts'],
      [{ tableName: 'leases', requestTimeout: 100 }, 'requestTimeout', 'requestTimeoutMs'],
    ];
    for (const [options, option, suggestion] of cases) {
      expect(() => new DynamoDBState(options as unknown as DynamoDBStateOptions)).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining(
            `DynamoDBState option ${option} is not a known option (did you mean`,
          ),
          context: expect.objectContaining({ option, suggestion }),
        }),
      );
    }
    expect(() => new DynamoDBState({ tableName: 'leases', client: { region: 'x' } as never })).toThrow(
      expect.objectContaining({ context: expect.objectContaining({ option: 'client' }) }),
    );
    expect(() => new DynamoDBState({ tableName: 'leases', clientConfig: { region: 3 } as never })).toThrow(
      expect.objectContaining({ context: expect.objectContaining({ option: 'clientConfig.region' }) }),
    );
    expect(fake.calls).toHaveLength(0);
  });

  it('rejects an invalid table name at construction, before any request', () => {
    const fake = new FakeDynamoDB();
    for (const tableName of ['ab', 'x'.repeat(256), 'my table', 'tbl/name', '', 'emoji🙂']) {
      expect(() => new DynamoDBState({ tableName, client: fake.asClient() })).toThrow(ValidationError);
    }
    expect(() => new DynamoDBState({ tableName: 'my table', client: fake.asClient() })).toThrow(
      /only letters, digits/,
    );
    expect(() => new DynamoDBState({ tableName: 'ab', client: fake.asClient() })).toThrow(/3 to 255/);
    expect(
      () =>
        new DynamoDBState({
          tableName: 'arn:aws:dynamodb:eu-west-1:123456789012:table/leases',
          client: fake.asClient(),
        }),
    ).not.toThrow();
    expect(() => new DynamoDBState({ tableName: 'leases', listSegments: 0 })).toThrow(ValidationError);
    expect(() => new DynamoDBState({ tableName: 'leases', retry: { maxAttempts: 0 } })).toThrow(
      ValidationError,
    );
    expect(fake.calls).toHaveLength(0);
  });

  it('does no I/O in the constructor and checks the table once in start()', async () => {
    const { fake, state } = setup();
    expect(fake.calls).toHaveLength(0);
    await Promise.all([state.start(), state.start()]);
    await state.start();
    expect(fake.count('DescribeTableCommand')).toBe(1);
    expect(state.capabilities).toEqual({
      sharedAcrossProcesses: true,
      durable: true,
      consistentListing: true,
    });
  });

  it('a missing table is STATE_STORE_MISCONFIGURED naming region, endpoint and the exact create command', async () => {
    const { fake, state } = setup({ tableName: 'nope-table' });
    fake.tables.clear();
    const error = await state.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect(error).toMatchObject({ code: ErrorCode.STATE_STORE_MISCONFIGURED });
    const message = (error as Error).message;
    expect(message).toContain('"nope-table" was not found');
    expect(message).toContain('region eu-west-1');
    expect(message).toContain(
      'aws dynamodb create-table --table-name nope-table --attribute-definitions AttributeName=shard,AttributeType=S --key-schema AttributeName=shard,KeyType=HASH --billing-mode PAY_PER_REQUEST --region eu-west-1',
    );
    expect(message).toContain('createStateTable()');
  });

  it.each([
    [{ name: 'leaseKey', type: 'S' as const }, /HASH key is named "leaseKey", not "shard"/],
    [{ name: 'shard', type: 'N' as const }, /HASH key "shard" has type N, not S/],
    [{ name: 'shard', type: 'S' as const, range: 'sk' }, /sort \(RANGE\) key "sk"/],
  ])(
    'a wrong key schema %j is STATE_STORE_MISCONFIGURED saying what to create instead',
    async (key, pattern) => {
      const { fake, state } = setup();
      fake.addTable('leases', key);
      const error = await state.start().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: ErrorCode.STATE_STORE_MISCONFIGURED });
      expect((error as Error).message).toMatch(pattern);
      expect((error as Error).message).toMatch(
        /cannot be changed.*aws dynamodb create-table --table-name leases/,
      );
    },
  );

  it('a DELETING table is misconfigured; a CREATING one is waited for', async () => {
    const deleting = setup();
    deleting.table.description.TableStatus = 'DELETING';
    await expect(deleting.state.start()).rejects.toMatchObject({
      code: ErrorCode.STATE_STORE_MISCONFIGURED,
      message: expect.stringContaining('DELETING'),
    });

    vi.useFakeTimers();
    try {
      const creating = setup();
      creating.table.description.TableStatus = 'CREATING';
      await settle(creating.state.start());
      expect(creating.fake.count('DescribeTableCommand')).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('an unreachable endpoint is STATE_STORE_UNAVAILABLE after the bounded retries; start() may be retried', async () => {
    vi.useFakeTimers();
    try {
      const { fake, state } = setup();
      fake.inject({ when: () => true, phase: 'before', error: () => networkError('ECONNREFUSED'), times: 5 });
      const error = await settle(state.start()).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: ErrorCode.STATE_STORE_UNAVAILABLE,
        context: expect.objectContaining({ attempts: 5 }),
      });
      expect((error as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
      expect(fake.count('DescribeTableCommand')).toBe(5);
      await settle(state.start());
      expect(fake.count('DescribeTableCommand')).toBe(6);
    } finally {
      vi.useRealTimers();
    }
  });

  it('denied access is STATE_STORE_MISCONFIGURED without retries', async () => {
    const { fake, state } = setup();
    fake.inject({ when: () => true, phase: 'before', error: () => sdkError('AccessDeniedException') });
    await expect(state.start()).rejects.toMatchObject({
      code: ErrorCode.STATE_STORE_MISCONFIGURED,
      message: expect.stringContaining('IAM permissions'),
    });
    expect(fake.count('DescribeTableCommand')).toBe(1);
  });

  it('close() never destroys a client passed in, but destroys its own', async () => {
    const { fake, state } = setup();
    await state.start();
    await state.close();
    expect(fake.destroyed).toBe(false);

    const destroy = vi.spyOn(DynamoDBClient.prototype, 'destroy');
    const own = new DynamoDBState({ tableName: 'leases', clientConfig: { region: 'eu-west-1' } });
    await own.close();
    expect(destroy).not.toHaveBeenCalled(); // never started: no client was created
    const started = new DynamoDBState({
      tableName: 'leases',
      clientConfig: {
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:9',
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      },
      retry: { maxAttempts: 1 },
    });
    await expect(started.start()).rejects.toMatchObject({ code: ErrorCode.STATE_STORE_UNAVAILABLE });
    await started.close();
    expect(destroy).toHaveBeenCalledTimes(1);
    destroy.mockRestore();
  });
});

describe('DynamoDBState: conditional writes', () => {
  it('writes readable items with every attribute through ExpressionAttributeNames', async () => {
    const { fake, table, state } = setup();
    await state.start();
    const held = await ownedLease(state);
    await state.checkpoint(scope, SHARD, held, { sequenceNumber: '123', subSequenceNumber: 4 });
    const item = table.items.get(KEY);
    expect(item).toMatchObject({
      shard: { S: KEY },
      consumerGroup: { S: 'app' },
      streamName: { S: 'orders' },
      shardId: { S: SHARD },
      leaseOwner: { S: 'owner-a' },
      leaseCounter: { N: '1' },
      checkpoint: { S: '123' },
      checkpointSubSequenceNumber: { N: '4' },
      ended: { BOOL: false },
      parentShardIds: { L: [] },
    });
    expect(item?.updatedAt?.S).toMatch(/^\d{4}-\d\d-\d\dT/);
    for (const call of fake.calls.filter((c) => isUpdate(c.command))) {
      const expressions = `${String(call.input.ConditionExpression)} ${String(call.input.UpdateExpression)}`;
      expect(expressions, 'no raw attribute names').not.toMatch(
        /(?<![#:])\b(shard|leaseOwner|leaseCounter|checkpoint)\b/,
      );
      expect(call.input.ReturnValues).toBe('ALL_NEW');
    }
  });

  it('a failed condition re-reads the item and reports the actual owner and counter', async () => {
    const { state } = setup();
    await state.start();
    const held = await ownedLease(state, 'owner-a');
    const stolen = await state.takeLease(scope, SHARD, held, 'owner-b');
    const lost = await state.renewLease(scope, SHARD, held).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(LeaseLostError);
    expect(lost).toMatchObject({
      operation: 'renew',
      expectedOwner: 'owner-a',
      expectedCounter: 1,
      actualOwner: 'owner-b',
      actualCounter: stolen.leaseCounter,
    });
    const conflict = await state.takeLease(scope, SHARD, held, 'owner-c').catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(LeaseConflictError);
    expect(conflict).not.toBeInstanceOf(LeaseLostError);
    expect(conflict).toMatchObject({
      code: ErrorCode.LEASE_CONFLICT,
      actualOwner: 'owner-b',
      actualCounter: 2,
    });
  });

  it('a renew applied but answered with a timeout is resolved as applied by re-reading (counter +1, not +2)', async () => {
    vi.useFakeTimers();
    try {
      const { fake, table, state } = setup();
      await state.start();
      const held = await ownedLease(state);
      const mark = fake.calls.length;
      fake.inject({ when: isUpdate, phase: 'after', error: () => networkError('ETIMEDOUT', 'TimeoutError') });
      const renewed = await settle(state.renewLease(scope, SHARD, held));
      expect(renewed).toMatchObject({ owner: 'owner-a', leaseCounter: held.leaseCounter + 1 });
      expect(fake.calls.slice(mark).map((c) => c.command)).toEqual(['UpdateItemCommand', 'GetItemCommand']);
      expect(table.items.get(KEY)?.leaseCounter).toEqual({ N: String(held.leaseCounter + 1) });
    } finally {
      vi.useRealTimers();
    }
  });

  it('a renew not applied before a connection reset is sent again after the re-read shows the fence still holds', async () => {
    vi.useFakeTimers();
    try {
      const { fake, table, state } = setup();
      await state.start();
      const held = await ownedLease(state);
      const mark = fake.calls.length;
      fake.inject({
        when: isUpdate,
        phase: 'before',
        error: () => networkError('ECONNRESET', 'TimeoutError'),
      });
      const renewed = await settle(state.renewLease(scope, SHARD, held));
      expect(renewed.leaseCounter).toBe(held.leaseCounter + 1);
      expect(fake.calls.slice(mark).map((c) => c.command)).toEqual([
        'UpdateItemCommand',
        'GetItemCommand',
        'UpdateItemCommand',
      ]);
      expect(table.items.get(KEY)?.leaseCounter).toEqual({ N: String(held.leaseCounter + 1) });
    } finally {
      vi.useRealTimers();
    }
  });

  it('an unknown outcome followed by a steal is a LeaseLostError with the thief as actual owner', async () => {
    vi.useFakeTimers();
    try {
      const { fake, state } = setup();
      const thief = new DynamoDBState({ tableName: 'leases', client: fake.asClient() });
      await state.start();
      await thief.start();
      const held = await ownedLease(state);
      let stolen: Promise<Lease> | undefined;
      fake.inject({
        when: isUpdate,
        phase: 'after',
        error: () => {
          // While the answer is lost, another instance takes the lease it saw expire.
          stolen = thief.takeLease(
            scope,
            SHARD,
            { owner: 'owner-a', leaseCounter: held.leaseCounter + 1 },
            'owner-b',
          );
          return networkError('ECONNRESET');
        },
      });
      const error = await settle(state.renewLease(scope, SHARD, held)).catch((e: unknown) => e);
      expect(await stolen).toMatchObject({ owner: 'owner-b' });
      expect(error).toBeInstanceOf(LeaseLostError);
      expect(error).toMatchObject({ actualOwner: 'owner-b', actualCounter: held.leaseCounter + 2 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('a checkpoint and a take applied but answered with a 500 are resolved as applied', async () => {
    vi.useFakeTimers();
    try {
      const { fake, table, state } = setup();
      await state.start();
      const created = await state.createLease(scope, SHARD);
      fake.inject({ when: isUpdate, phase: 'after', error: () => sdkError('InternalServerError') });
      const taken = await settle(state.takeLease(scope, SHARD, created, 'owner-a'));
      expect(taken).toMatchObject({ owner: 'owner-a', leaseCounter: 1 });
      fake.inject({ when: isUpdate, phase: 'after', error: () => sdkError('InternalServerError') });
      const checkpointed = await settle(
        state.checkpoint(scope, SHARD, taken, { sequenceNumber: '77', subSequenceNumber: 1 }),
      );
      expect(checkpointed.checkpoint).toEqual({ sequenceNumber: '77', subSequenceNumber: 1 });
      expect(table.items.get(KEY)?.leaseCounter).toEqual({ N: '1' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('a release with handoff applied but answered with a timeout is resolved as applied', async () => {
    vi.useFakeTimers();
    try {
      const { fake, state } = setup();
      await state.start();
      const held = await ownedLease(state);
      const requested = await state.requestHandoff(scope, SHARD, held, 'owner-b');
      fake.inject({ when: isUpdate, phase: 'after', error: () => networkError('ETIMEDOUT', 'TimeoutError') });
      const released = await settle(state.releaseLease(scope, SHARD, requested, { handoff: true }));
      expect(released).toMatchObject({
        owner: 'owner-b',
        pendingOwner: null,
        leaseCounter: held.leaseCounter + 1,
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('a release with handoff re-reads and hands over to a requester who asked between its read and its write', async () => {
    const { fake, table, state } = setup();
    await state.start();
    const held = await ownedLease(state);
    let interfered = false;
    fake.inject({
      // Not a fault: a side effect just before the release's write is evaluated.
      when: (name) => {
        const item = table.items.get(KEY);
        if (isUpdate(name) && !interfered && item !== undefined) {
          interfered = true;
          item.pendingOwner = { S: 'owner-c' };
        }
        return false;
      },
      phase: 'before',
      error: () => new Error('unused'),
    });
    const released = await state.releaseLease(scope, SHARD, held, { handoff: true });
    expect(released).toMatchObject({
      owner: 'owner-c',
      pendingOwner: null,
      leaseCounter: held.leaseCounter + 1,
    });
    expect(fake.faults).toHaveLength(1);
  });

  it('a handoff request applied but answered with a reset is resolved as applied; the counter is unchanged', async () => {
    vi.useFakeTimers();
    try {
      const { fake, state } = setup();
      await state.start();
      const held = await ownedLease(state);
      fake.inject({ when: isUpdate, phase: 'after', error: () => networkError('ECONNRESET') });
      const requested = await settle(state.requestHandoff(scope, SHARD, held, 'owner-b'));
      expect(requested).toMatchObject({
        owner: 'owner-a',
        pendingOwner: 'owner-b',
        leaseCounter: held.leaseCounter,
      });
      await expect(state.requestHandoff(scope, SHARD, held, 'owner-c')).rejects.toMatchObject({
        code: ErrorCode.LEASE_CONFLICT,
        message: expect.stringContaining('owner-b already asked for it'),
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('a condition failure after the SDK retried internally is resolved by the re-read (applied on a lost answer)', async () => {
    const { fake, state } = setup();
    await state.start();
    const held = await ownedLease(state);
    // The SDK's first try applied the renew and timed out; its retry then failed the condition.
    let applied = false;
    fake.inject({
      when: (name) => isUpdate(name) && !applied,
      phase: 'after',
      error: () => {
        applied = true;
        return sdkError('ConditionalCheckFailedException', {
          $metadata: { httpStatusCode: 400, attempts: 2 },
        });
      },
    });
    const renewed = await state.renewLease(scope, SHARD, held);
    expect(renewed.leaseCounter).toBe(held.leaseCounter + 1);
  });

  it('a stale fence that happens to match the result of its write is still rejected (no false success)', async () => {
    const { state } = setup();
    await state.start();
    const held = await ownedLease(state);
    const renewed = await state.renewLease(scope, SHARD, held);
    // Renewing again with the old fence: the stored lease looks like the result of this renew.
    await expect(state.renewLease(scope, SHARD, held)).rejects.toBeInstanceOf(LeaseLostError);
    const stored = await state.getLease(scope, SHARD);
    expect(stored?.leaseCounter).toBe(renewed.leaseCounter);
  });

  it('throttling backs off exponentially (injectable jitter) and then succeeds', async () => {
    vi.useFakeTimers();
    try {
      const { fake, state } = setup();
      await state.start();
      const held = await ownedLease(state);
      fake.inject({
        when: isUpdate,
        phase: 'before',
        error: () => sdkError('ProvisionedThroughputExceededException'),
        times: 3,
      });
      const mark = fake.count('UpdateItemCommand');
      const renewing = state.renewLease(scope, SHARD, held);
      await vi.advanceTimersByTimeAsync(0);
      expect(fake.count('UpdateItemCommand') - mark).toBe(1);
      await vi.advanceTimersByTimeAsync(9); // first backoff: 10 ms (random() = 1)
      expect(fake.count('UpdateItemCommand') - mark).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(fake.count('UpdateItemCommand') - mark).toBe(2);
      await vi.advanceTimersByTimeAsync(20); // second: 20 ms
      expect(fake.count('UpdateItemCommand') - mark).toBe(3);
      await vi.advanceTimersByTimeAsync(40); // third: 40 ms
      expect(fake.count('UpdateItemCommand') - mark).toBe(4);
      expect((await renewing).leaseCounter).toBe(held.leaseCounter + 1);
      expect(fake.count('GetItemCommand'), 'throttled writes were not applied: no re-read').toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('persistent throttling ends in STATE_STORE_UNAVAILABLE after maxAttempts, nothing written', async () => {
    vi.useFakeTimers();
    try {
      const { fake, table, state } = setup();
      await state.start();
      const held = await ownedLease(state);
      fake.inject({
        when: isUpdate,
        phase: 'before',
        error: () => sdkError('ThrottlingException'),
        times: 100,
      });
      const error = await settle(
        state.checkpoint(scope, SHARD, held, { sequenceNumber: '5', subSequenceNumber: 0 }),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateStoreError);
      expect(error).toMatchObject({
        code: ErrorCode.STATE_STORE_UNAVAILABLE,
        context: expect.objectContaining({ attempts: 5, operation: 'checkpoint' }),
      });
      expect((error as Error).cause).toMatchObject({ name: 'ThrottlingException' });
      expect(table.items.get(KEY)?.checkpoint).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('createLease is idempotent across a lost answer and reads back an existing lease', async () => {
    vi.useFakeTimers();
    try {
      const { fake, state } = setup();
      await state.start();
      fake.inject({
        when: (name) => name === 'PutItemCommand',
        phase: 'after',
        error: () => networkError('ECONNRESET'),
      });
      const created = await settle(
        state.createLease(scope, SHARD, { parentShardIds: ['shardId-000000000009'] }),
      );
      expect(created).toMatchObject({
        leaseCounter: 0,
        owner: null,
        parentShardIds: ['shardId-000000000009'],
      });
      const held = await state.takeLease(scope, SHARD, created, 'owner-a');
      const again = await state.createLease(scope, SHARD, { parentShardIds: ['other'] });
      expect(again).toMatchObject({
        owner: 'owner-a',
        leaseCounter: held.leaseCounter,
        parentShardIds: ['shardId-000000000009'],
      });
      await expect(
        state.createLease(scope, SHARD, { parentShardIds: ['a', 'b', 'c'] }),
      ).rejects.toBeInstanceOf(ValidationError);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a table deleted after start() is reported as misconfigured with the create command', async () => {
    const { fake, state } = setup();
    await state.start();
    fake.tables.clear();
    await expect(state.getLease(scope, SHARD)).rejects.toMatchObject({
      code: ErrorCode.STATE_STORE_MISCONFIGURED,
      message: expect.stringContaining('aws dynamodb create-table --table-name leases'),
    });
  });

  it('rejects invalid arguments with a ValidationError before any request', async () => {
    const { fake, state } = setup();
    await state.start();
    const mark = fake.calls.length;
    await expect(
      state.takeLease(scope, SHARD, { owner: null, leaseCounter: -1 }, 'a'),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(state.takeLease(scope, SHARD, { owner: null, leaseCounter: 0 }, '')).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      state.checkpoint(
        scope,
        SHARD,
        { owner: 'a', leaseCounter: 1 },
        { sequenceNumber: '', subSequenceNumber: 0 },
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      state.checkpoint(
        scope,
        SHARD,
        { owner: 'a', leaseCounter: 1 },
        { sequenceNumber: '1', subSequenceNumber: -1 },
      ),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(state.getLease({ consumerGroup: '', streamName: 's' }, SHARD)).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(fake.calls.length).toBe(mark);
  });
});

describe('DynamoDBState: listing', () => {
  it('pages through a consistent Scan and returns only the scope, also with parallel segments', async () => {
    for (const listSegments of [1, 4]) {
      const { fake, state } = setup({ listSegments });
      fake.scanPageSize = 3;
      await state.start();
      const neighbours: LeaseScope[] = [
        { consumerGroup: 'app', streamName: 'orders#x' },
        { consumerGroup: 'app#orders', streamName: 'x' },
        { consumerGroup: 'apps', streamName: 'orders' },
        { consumerGroup: 'app', streamName: 'orders2' },
      ];
      for (let i = 0; i < 10; i++) await state.createLease(scope, `shardId-${String(i).padStart(12, '0')}`);
      for (const other of neighbours) await state.createLease(other, SHARD);
      const listed = await state.listLeases(scope);
      expect(listed.map((l) => l.shardId).sort()).toEqual(
        Array.from({ length: 10 }, (_, i) => `shardId-${String(i).padStart(12, '0')}`),
      );
      const scans = fake.calls.filter((c) => c.command === 'ScanCommand');
      expect(scans.length).toBeGreaterThan(listSegments);
      for (const scan of scans) {
        expect(scan.input.ConsistentRead).toBe(true);
        expect(scan.input.FilterExpression).toBe('begins_with(#shard, :prefix)');
        if (listSegments > 1) expect(scan.input.TotalSegments).toBe(listSegments);
      }
    }
  });

  it("rejects with the signal's reason when aborted between pages", async () => {
    const { fake, state } = setup();
    fake.scanPageSize = 1;
    await state.start();
    for (let i = 0; i < 5; i++) await state.createLease(scope, `shardId-${i}`);
    const controller = new AbortController();
    const reason = new Error('stop');
    fake.inject({
      when: (name) => name === 'ScanCommand',
      phase: 'after',
      error: () => {
        controller.abort(reason);
        return networkError('ECONNRESET');
      },
    });
    await expect(state.listLeases(scope, { signal: controller.signal })).rejects.toBe(reason);
  });
});
