import {
  atTimestampCheckpoint,
  LATEST_CHECKPOINT,
  type Lease,
  type LeaseScope,
  type StateAdapter,
  TRIM_HORIZON_CHECKPOINT,
} from '@kinesis-ts/core';
import { MemoryState, MemoryStateStore } from '@kinesis-ts/state-memory';
import { describe, expect, it } from 'vitest';
import type { InitialPosition } from './options.js';
import type { ShardInfo } from './shard-list.js';
import { planShardLeases, startPositionFor, syncShardLeases } from './shard-sync.js';
import { FakeKinesis } from './test-support/fake-kinesis.js';

const scope: LeaseScope = { consumerGroup: 'g', streamName: 's' };
const T = new Date('2026-01-01T00:00:00Z');
const AT: InitialPosition = { atTimestamp: T };

function shard(shardId: string, parentShardIds: string[] = [], closed = false): ShardInfo {
  return { shardId, parentShardIds, hashKeyRange: null, closed };
}

/** P split into C1, C2. */
const split = [shard('P', [], true), shard('C1', ['P']), shard('C2', ['P'])];
/** A and B merged into M. */
const merge = [shard('A', [], true), shard('B', [], true), shard('M', ['A', 'B'])];
/** P split into C1, C2; C1 split again into G1, G2 (listed children first, to test the ordering). */
const twoGenerations = [
  shard('G1', ['C1']),
  shard('G2', ['C1']),
  shard('C1', ['P'], true),
  shard('C2', ['P']),
  shard('P', [], true),
];
/** The parent of C1, C2 was trimmed (no longer listed). */
const trimmedParent = [shard('C1', ['P']), shard('C2', ['P'])];

type Plan = Array<[string, string[]]>;

describe('planShardLeases', () => {
  const cases: Array<{
    name: string;
    shards: ShardInfo[];
    leases: string[];
    initial: InitialPosition;
    plan: Plan;
  }> = [
    {
      name: 'split, first sync, TRIM_HORIZON: the closed parent too, before its children',
      shards: split,
      leases: [],
      initial: 'TRIM_HORIZON',
      plan: [
        ['P', []],
        ['C1', ['P']],
        ['C2', ['P']],
      ],
    },
    {
      name: 'split, first sync, AT_TIMESTAMP: the closed parent too (records after t before the split)',
      shards: split,
      leases: [],
      initial: AT,
      plan: [
        ['P', []],
        ['C1', ['P']],
        ['C2', ['P']],
      ],
    },
    {
      name: 'split, first sync, LATEST: only the open children, as roots',
      shards: split,
      leases: [],
      initial: 'LATEST',
      plan: [
        ['C1', []],
        ['C2', []],
      ],
    },
    {
      name: 'merge, AT_TIMESTAMP: both parents, then the child',
      shards: merge,
      leases: [],
      initial: AT,
      plan: [
        ['A', []],
        ['B', []],
        ['M', ['A', 'B']],
      ],
    },
    {
      name: 'two generations, TRIM_HORIZON: ancestors first whatever the listing order',
      shards: twoGenerations,
      leases: [],
      initial: 'TRIM_HORIZON',
      plan: [
        ['P', []],
        ['C1', ['P']],
        ['C2', ['P']],
        ['G1', ['C1']],
        ['G2', ['C1']],
      ],
    },
    {
      name: 'two generations, LATEST, parent P leased earlier: the closed C1 lies after P and is read',
      shards: twoGenerations,
      leases: ['P'],
      initial: 'LATEST',
      plan: [
        ['C1', ['P']],
        ['C2', ['P']],
        ['G1', ['C1']],
        ['G2', ['C1']],
      ],
    },
    {
      name: 'two generations, LATEST, nothing leased: only the open shards',
      shards: twoGenerations,
      leases: [],
      initial: 'LATEST',
      plan: [
        ['G1', []],
        ['G2', []],
        ['C2', []],
      ],
    },
    {
      name: 'partial first sync (P, C1 written), TRIM_HORIZON: the rest of the same plan',
      shards: twoGenerations,
      leases: ['P', 'C1'],
      initial: 'TRIM_HORIZON',
      plan: [
        ['G1', ['C1']],
        ['G2', ['C1']],
        ['C2', ['P']],
      ],
    },
    {
      name: 'everything leased: nothing to do',
      shards: split,
      leases: ['P', 'C1', 'C2'],
      initial: AT,
      plan: [],
    },
    {
      name: 'trimmed parent without lease: children are roots',
      shards: trimmedParent,
      leases: [],
      initial: 'TRIM_HORIZON',
      plan: [
        ['C1', []],
        ['C2', []],
      ],
    },
    {
      name: 'trimmed parent with a lease: children wait for it',
      shards: trimmedParent,
      leases: ['P'],
      initial: 'LATEST',
      plan: [
        ['C1', ['P']],
        ['C2', ['P']],
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planShardLeases(
        c.shards,
        c.leases.map((shardId) => ({ shardId })),
        c.initial,
      );
      expect(plan.map((p) => [p.shardId, [...p.parentShardIds]])).toEqual(c.plan);
    });
  }

  it('plans a chain of 5,000 generations without deep recursion, oldest first', () => {
    const shards: ShardInfo[] = [];
    for (let i = 4999; i >= 0; i--) shards.push(shard(`s${i}`, i === 0 ? [] : [`s${i - 1}`], i < 4999));
    const plan = planShardLeases(shards, [], 'TRIM_HORIZON');
    expect(plan).toHaveLength(5000);
    expect(plan[0]!.shardId).toBe('s0');
    expect(plan[4999]!.shardId).toBe('s4999');
  });
});

describe('startPositionFor', () => {
  const root = { checkpoint: null, parentShardIds: [] };
  const child = { checkpoint: null, parentShardIds: ['P'] };
  const checkpointed = { checkpoint: { sequenceNumber: '42', subSequenceNumber: 1 }, parentShardIds: ['P'] };
  const cases: Array<[string, Pick<Lease, 'checkpoint' | 'parentShardIds'>, InitialPosition, unknown]> = [
    ['root, TRIM_HORIZON', root, 'TRIM_HORIZON', { type: 'TRIM_HORIZON' }],
    ['child, TRIM_HORIZON', child, 'TRIM_HORIZON', { type: 'TRIM_HORIZON' }],
    ['root, AT_TIMESTAMP', root, AT, { type: 'AT_TIMESTAMP', timestamp: T.getTime() }],
    ['child, AT_TIMESTAMP', child, AT, { type: 'AT_TIMESTAMP', timestamp: T.getTime() }],
    ['root, LATEST', root, 'LATEST', { type: 'LATEST' }],
    ['child, LATEST', child, 'LATEST', { type: 'TRIM_HORIZON' }],
    ['checkpoint, any', checkpointed, 'LATEST', { type: 'AFTER', checkpoint: checkpointed.checkpoint }],
    // An operator's rewind wins over the initial position, for roots and children alike.
    [
      'TRIM_HORIZON checkpoint, LATEST',
      { ...root, checkpoint: TRIM_HORIZON_CHECKPOINT },
      'LATEST',
      { type: 'TRIM_HORIZON' },
    ],
    [
      'LATEST checkpoint, child, TRIM_HORIZON',
      { ...child, checkpoint: LATEST_CHECKPOINT },
      'TRIM_HORIZON',
      { type: 'LATEST' },
    ],
    [
      'AT_TIMESTAMP checkpoint, AT_TIMESTAMP',
      { ...child, checkpoint: atTimestampCheckpoint(1_000) },
      AT,
      { type: 'AT_TIMESTAMP', timestamp: 1_000 },
    ],
  ];
  for (const [name, lease, initial, expected] of cases) {
    it(name, () => expect(startPositionFor(lease, initial)).toEqual(expected));
  }
});

/** A state adapter whose `createLease` fails from call `failAfter + 1` on. */
function failingAfter(inner: StateAdapter, failAfter: number): StateAdapter {
  let calls = 0;
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'createLease') {
        return (...args: Parameters<StateAdapter['createLease']>) => {
          calls += 1;
          if (calls > failAfter) return Promise.reject(new Error('store down'));
          return target.createLease(...args);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function fakeWith(graph: 'split' | 'twoGenerations' | 'merge'): FakeKinesis {
  const fake = new FakeKinesis();
  const [s0, s1] = fake.createStream('s', 2).map((s) => s.shardId) as [string, string];
  if (graph === 'merge') {
    fake.addChild('s', 'm', [s0, s1]);
  } else {
    fake.addChild('s', 'c1', [s0]);
    fake.addChild('s', 'c2', [s0]);
    if (graph === 'twoGenerations') {
      fake.addChild('s', 'g1', ['c1']);
      fake.addChild('s', 'g2', ['c1']);
    }
  }
  return fake;
}

async function leasesOf(state: StateAdapter): Promise<Array<[string, string[]]>> {
  return (await state.listLeases(scope))
    .map((l): [string, string[]] => [l.shardId, [...l.parentShardIds].sort()])
    .sort((a, b) => a[0].localeCompare(b[0]));
}

describe('syncShardLeases', () => {
  for (const graph of ['split', 'twoGenerations', 'merge'] as const) {
    for (const initial of ['TRIM_HORIZON', AT, 'LATEST'] as InitialPosition[]) {
      const label = typeof initial === 'string' ? initial : 'AT_TIMESTAMP';
      it(`${graph}, ${label}: a sync interrupted at any createLease is healed by the next one`, async () => {
        const fake = fakeWith(graph);
        const reference = new MemoryState({ store: new MemoryStateStore() });
        await reference.start();
        const full = await syncShardLeases(
          { api: fake, state: reference, scope, initialPosition: initial },
          [],
        );
        const expected = await leasesOf(reference);
        expect(full.created.length).toBe(expected.length);
        for (let k = 0; k <= full.created.length; k++) {
          const store = new MemoryStateStore();
          const healthy = new MemoryState({ store });
          await healthy.start();
          const broken = failingAfter(healthy, k);
          const first = syncShardLeases(
            { api: fake, state: broken, scope, initialPosition: initial, concurrency: 1 },
            await healthy.listLeases(scope),
          );
          if (k < full.created.length) {
            await expect(first).rejects.toMatchObject({ code: 'STATE_STORE_UNAVAILABLE' });
          } else {
            await first;
          }
          // Ancestors first: every parent a written lease records is written too.
          const partial = await healthy.listLeases(scope);
          const written = new Set(partial.map((l) => l.shardId));
          for (const lease of partial) for (const p of lease.parentShardIds) expect(written).toContain(p);
          expect(partial).toHaveLength(k === full.created.length ? expected.length : k);
          // A fresh instance syncs from what it finds.
          await syncShardLeases(
            { api: fake, state: healthy, scope, initialPosition: initial },
            await healthy.listLeases(scope),
          );
          expect(await leasesOf(healthy)).toEqual(expected);
        }
      });
    }
  }

  it('reports the listed shards before creating leases, even when a create fails', async () => {
    const fake = fakeWith('split');
    const state = new MemoryState({ store: new MemoryStateStore() });
    await state.start();
    const seen: string[] = [];
    await expect(
      syncShardLeases(
        {
          api: fake,
          state: failingAfter(state, 0),
          scope,
          initialPosition: 'TRIM_HORIZON',
          onShards: (shards) => seen.push(...shards.map((s) => s.shardId)),
        },
        [],
      ),
    ).rejects.toMatchObject({ code: 'STATE_STORE_UNAVAILABLE' });
    expect(seen.sort()).toEqual(['c1', 'c2', 'shardId-000000000000', 'shardId-000000000001']);
  });
});
