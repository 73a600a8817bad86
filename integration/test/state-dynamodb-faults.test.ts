import { createServer } from 'node:net';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ErrorCode,
  LeaseConflictError,
  LeaseLostError,
  type LeaseScope,
  StateStoreError,
  ValidationError,
} from '@kinesis-ts/core';
import { createStateTable, DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend.js';
import { dynamoClient } from '../src/clients.js';
import { FaultProxy } from '../src/fault-proxy.js';
import { type InProcessEmulator, startDynalite } from '../src/in-process-emulator.js';
import { deleteTable } from '../src/state-table.js';
import { uniqueName } from '../src/unique-name.js';

const backend = getBackend();
const credentials = backend.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' };

function scope(): LeaseScope {
  const token = uniqueName('faults');
  return { consumerGroup: `group-${token}`, streamName: `stream-${token}` };
}

const shardIdOf = (index: number): string => `shardId-${String(index).padStart(12, '0')}`;

/** A loopback port nobody listens on (bound, read, released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe(`DynamoDBState faults (${backend.name}, ${backend.dynamodbEndpoint})`, () => {
  const admin: DynamoDBClient = dynamoClient();
  const table = uniqueName('it-state-faults');
  const adapters: DynamoDBState[] = [];
  const adapter = async (
    options: Partial<ConstructorParameters<typeof DynamoDBState>[0]> = {},
  ): Promise<DynamoDBState> => {
    const state = new DynamoDBState({ tableName: table, client: admin, ...options });
    adapters.push(state);
    await state.start();
    return state;
  };

  beforeAll(async () => {
    await createStateTable(admin, { tableName: table, pollIntervalMs: 100 });
  });
  afterAll(async () => {
    await Promise.all(adapters.map((a) => a.close()));
    await deleteTable(admin, table);
    admin.destroy();
  });

  it('two adapters racing for 100 leases end with every lease owned exactly once', async () => {
    const s = scope();
    const [a, b] = [await adapter(), await adapter()];
    await Promise.all(Array.from({ length: 100 }, (_, i) => a.createLease(s, shardIdOf(i))));
    // Each instance loops: list, then take every lease it saw unowned with the fence it observed,
    // 4 at a time; A walks the shards upwards, B downwards, so they meet in the middle and collide.
    const race = async (state: DynamoDBState, owner: string, descending: boolean) => {
      const won: string[] = [];
      let conflicts = 0;
      for (;;) {
        const unowned = (await state.listLeases(s)).filter((lease) => lease.owner === null);
        if (unowned.length === 0) return { won, conflicts };
        unowned.sort((x, y) => (x.shardId < y.shardId ? -1 : 1) * (descending ? -1 : 1));
        const queue = [...unowned];
        const worker = async (): Promise<void> => {
          for (let lease = queue.shift(); lease !== undefined; lease = queue.shift()) {
            try {
              await state.takeLease(s, lease.shardId, lease, owner);
              won.push(lease.shardId);
            } catch (error) {
              if (!(error instanceof LeaseConflictError) || error instanceof LeaseLostError) throw error;
              expect(error.actualOwner, 'a conflict reports the winner').not.toBe(owner);
              expect(error.actualOwner, 'a conflict reports the winner').not.toBeNull();
              conflicts++;
            }
          }
        };
        await Promise.all([worker(), worker(), worker(), worker()]);
      }
    };
    const [ra, rb] = await Promise.all([race(a, 'owner-a', false), race(b, 'owner-b', true)]);
    console.log(
      `[state-dynamodb] 100-lease race: a won ${ra.won.length}, b won ${rb.won.length}, conflicts ${ra.conflicts + rb.conflicts}`,
    );
    expect(ra.won.length + rb.won.length).toBe(100);
    expect(new Set([...ra.won, ...rb.won]).size).toBe(100);
    const final = await a.listLeases(s);
    expect(final).toHaveLength(100);
    for (const lease of final) {
      expect(lease.leaseCounter, `${lease.shardId} taken once`).toBe(1);
      const winner = ra.won.includes(lease.shardId) ? 'owner-a' : 'owner-b';
      expect(lease.owner, lease.shardId).toBe(winner);
    }
  });

  it('a checkpoint from an instance whose lease was taken fails with LeaseLostError and leaves the stored checkpoint untouched', async () => {
    const s = scope();
    const [a, b] = [await adapter(), await adapter()];
    const created = await a.createLease(s, shardIdOf(0));
    const held = await a.takeLease(s, shardIdOf(0), created, 'owner-a');
    const checkpointed = await a.checkpoint(s, shardIdOf(0), held, {
      sequenceNumber: '100',
      subSequenceNumber: 0,
    });
    const stolen = await b.takeLease(
      s,
      shardIdOf(0),
      await b.getLease(s, shardIdOf(0)).then((l) => l ?? created),
      'owner-b',
    );
    const error = await rejection(
      a.checkpoint(s, shardIdOf(0), checkpointed, { sequenceNumber: '200', subSequenceNumber: 0 }),
    );
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(error).toMatchObject({
      code: ErrorCode.LEASE_LOST,
      operation: 'checkpoint',
      actualOwner: 'owner-b',
      actualCounter: stolen.leaseCounter,
    });
    expect(await b.getCheckpoint(s, shardIdOf(0))).toEqual({ sequenceNumber: '100', subSequenceNumber: 0 });
    expect((await b.getLease(s, shardIdOf(0)))?.owner).toBe('owner-b');
  });

  describe('the endpoint disappearing', () => {
    let proxy: FaultProxy;
    beforeAll(async () => {
      proxy = await FaultProxy.start(backend.dynamodbEndpoint);
    });
    afterAll(async () => {
      await proxy.close();
    });
    const viaProxy = () =>
      adapter({
        client: undefined,
        clientConfig: { endpoint: proxy.endpoint, region: backend.region, credentials },
        retry: { maxAttempts: 12, baseDelayMs: 50, maxDelayMs: 400 },
        requestTimeoutMs: 2000,
      });

    it('while a renew is in flight, and coming back: the renew is resolved by re-reading and no checkpoint is lost', async () => {
      const s = scope();
      const state = await viaProxy();
      const direct = await adapter();
      const held = await state.takeLease(
        s,
        shardIdOf(0),
        await state.createLease(s, shardIdOf(0)),
        'owner-a',
      );
      const checkpointed = await state.checkpoint(s, shardIdOf(0), held, {
        sequenceNumber: '1000',
        subSequenceNumber: 3,
      });
      // The renew reaches DynamoDB, then the endpoint vanishes before the answer (connections cut,
      // new ones refused) and comes back 600 ms later.
      const mark = proxy.requests.length;
      proxy.inject('UpdateItem', {
        kind: 'respond',
        respond: async (_request, forward) => {
          const answer = await forward();
          await proxy.pause(600);
          return answer;
        },
      });
      const renewed = await state.renewLease(s, shardIdOf(0), checkpointed);
      expect(renewed).toMatchObject({ owner: 'owner-a', leaseCounter: checkpointed.leaseCounter + 1 });
      expect(renewed.checkpoint).toEqual({ sequenceNumber: '1000', subSequenceNumber: 3 });
      expect(
        proxy.requests.slice(mark).filter((r) => r.target?.endsWith('.UpdateItem')).length,
        'the renew was not sent twice',
      ).toBe(1);
      // The owner's fence still works: the next checkpoint lands.
      await state.checkpoint(s, shardIdOf(0), renewed, { sequenceNumber: '2000', subSequenceNumber: 0 });
      expect(await direct.getLease(s, shardIdOf(0))).toMatchObject({
        owner: 'owner-a',
        leaseCounter: checkpointed.leaseCounter + 1,
        checkpoint: { sequenceNumber: '2000', subSequenceNumber: 0 },
      });
    });

    it('before a renew is sent (connection refused) and coming back: the renew is retried and applied once', async () => {
      const s = scope();
      const state = await viaProxy();
      const direct = await adapter();
      const held = await state.takeLease(
        s,
        shardIdOf(1),
        await state.createLease(s, shardIdOf(1)),
        'owner-a',
      );
      const checkpointed = await state.checkpoint(s, shardIdOf(1), held, {
        sequenceNumber: '7',
        subSequenceNumber: 0,
      });
      await proxy.pause(500);
      const renewed = await state.renewLease(s, shardIdOf(1), checkpointed);
      expect(renewed.leaseCounter).toBe(checkpointed.leaseCounter + 1);
      expect(await direct.getCheckpoint(s, shardIdOf(1))).toEqual({
        sequenceNumber: '7',
        subSequenceNumber: 0,
      });
    });

    it('for longer than the retries last: STATE_STORE_UNAVAILABLE, and nothing written', async () => {
      const s = scope();
      const state = await adapter({
        client: undefined,
        clientConfig: { endpoint: proxy.endpoint, region: backend.region, credentials },
        retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 },
      });
      const direct = await adapter();
      const held = await state.takeLease(
        s,
        shardIdOf(2),
        await state.createLease(s, shardIdOf(2)),
        'owner-a',
      );
      await proxy.pause();
      try {
        const error = await rejection(
          state.checkpoint(s, shardIdOf(2), held, { sequenceNumber: '9', subSequenceNumber: 0 }),
        );
        expect(error).toBeInstanceOf(StateStoreError);
        expect(error).toMatchObject({
          code: ErrorCode.STATE_STORE_UNAVAILABLE,
          context: expect.objectContaining({ attempts: 3 }),
        });
      } finally {
        await proxy.resume();
      }
      expect(await direct.getCheckpoint(s, shardIdOf(2))).toBeNull();
    });
  });

  describe('bad input: typed errors with actionable messages', () => {
    let other: InProcessEmulator;
    beforeAll(async () => {
      other = await startDynalite();
    });
    afterAll(async () => {
      await other.stop();
    });

    const startError = async (state: DynamoDBState): Promise<Error> => {
      adapters.push(state);
      const error = await rejection(state.start());
      expect(error).toBeInstanceOf(StateStoreError);
      return error as Error;
    };

    it('a missing table names region and endpoint and gives the create-table command line', async () => {
      const missing = uniqueName('it-missing');
      const error = await startError(new DynamoDBState({ tableName: missing }));
      expect(error).toMatchObject({ code: ErrorCode.STATE_STORE_MISCONFIGURED });
      expect(error.message).toContain(
        `DynamoDB table "${missing}" was not found (looked in region ${backend.region}, endpoint ${backend.dynamodbEndpoint})`,
      );
      expect(error.message).toContain(
        `aws dynamodb create-table --table-name ${missing} --attribute-definitions AttributeName=shard,AttributeType=S ` +
          `--key-schema AttributeName=shard,KeyType=HASH --billing-mode PAY_PER_REQUEST --region ${backend.region} --endpoint-url ${backend.dynamodbEndpoint}`,
      );
    });

    it.each([
      [
        'a wrong key name',
        [{ AttributeName: 'id', AttributeType: 'S' as const }],
        [{ AttributeName: 'id', KeyType: 'HASH' as const }],
        'its HASH key is named "id", not "shard"',
      ],
      [
        'a wrong key type',
        [{ AttributeName: 'shard', AttributeType: 'N' as const }],
        [{ AttributeName: 'shard', KeyType: 'HASH' as const }],
        'its HASH key "shard" has type N, not S (string)',
      ],
      [
        'a sort key',
        [
          { AttributeName: 'shard', AttributeType: 'S' as const },
          { AttributeName: 'sk', AttributeType: 'S' as const },
        ],
        [
          { AttributeName: 'shard', KeyType: 'HASH' as const },
          { AttributeName: 'sk', KeyType: 'RANGE' as const },
        ],
        'it has a sort (RANGE) key "sk"',
      ],
    ])(
      '%s is STATE_STORE_MISCONFIGURED saying what to create instead',
      async (_what, AttributeDefinitions, KeySchema, expected) => {
        const name = uniqueName('it-badkey');
        await admin.send(
          new CreateTableCommand({
            TableName: name,
            AttributeDefinitions,
            KeySchema,
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
        try {
          const error = await startError(new DynamoDBState({ tableName: name }));
          expect(error).toMatchObject({ code: ErrorCode.STATE_STORE_MISCONFIGURED });
          expect(error.message).toContain(expected);
          expect(error.message).toContain("A table's key schema cannot be changed");
          expect(error.message).toContain(`aws dynamodb create-table --table-name ${name}`);
        } finally {
          await deleteTable(admin, name);
        }
      },
    );

    it('a table that exists at another endpoint: the message names the endpoint and region it looked in', async () => {
      // `table` exists on the run's DynamoDB; this adapter points at a second dynalite.
      const error = await startError(
        new DynamoDBState({
          tableName: table,
          clientConfig: { endpoint: other.endpoint, region: 'ap-southeast-2', credentials },
        }),
      );
      expect(error).toMatchObject({ code: ErrorCode.STATE_STORE_MISCONFIGURED });
      expect(error.message).toContain(`looked in region ap-southeast-2, endpoint ${other.endpoint}`);
      expect(error.message).toContain('point the client there (AWS_REGION / AWS_ENDPOINT_URL_DYNAMODB');
    });

    it('an invalid table name is a ValidationError at construction', () => {
      for (const [tableName, reason] of [
        ['ab', '2 characters (DynamoDB allows 3 to 255)'],
        ['my leases', 'contains " "'],
        ['leases/prod', 'contains "/"'],
      ] as const) {
        const error = (() => {
          try {
            new DynamoDBState({ tableName });
          } catch (e) {
            return e;
          }
          throw new Error(`${tableName} was accepted`);
        })();
        expect(error).toBeInstanceOf(ValidationError);
        expect(error).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
        expect((error as Error).message).toContain(reason);
      }
    });

    it('an endpoint nobody listens on is STATE_STORE_UNAVAILABLE after the bounded retries', async () => {
      const port = await closedPort();
      const error = await startError(
        new DynamoDBState({
          tableName: table,
          clientConfig: { endpoint: `http://127.0.0.1:${port}`, region: backend.region, credentials },
          retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 },
        }),
      );
      expect(error).toMatchObject({
        code: ErrorCode.STATE_STORE_UNAVAILABLE,
        context: expect.objectContaining({ attempts: 3 }),
      });
      expect(error.message).toContain('ECONNREFUSED');
    });
  });
});
