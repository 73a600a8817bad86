import { describe, expect, it } from 'vitest';
import { ShardMap } from './shard-map.js';
import { evenShards, FakeKinesis } from './test-support/fake-kinesis.js';

describe('ShardMap', () => {
  it('bumps its version only when the open shards changed', async () => {
    const fake = new FakeKinesis({ shards: 2 });
    const map = new ShardMap(fake, 'stream');
    expect(map.version).toBe(0);
    await map.refresh();
    expect(map.version).toBe(1);
    await map.refresh();
    expect(map.version).toBe(1); // same shards: predictions made before are still current
    fake.shards = evenShards(4, 'child-');
    await map.refresh();
    expect(map.version).toBe(2);
    expect(map.shards.map((s) => s.shardId)).toEqual(fake.shards.map((s) => s.shardId));
    expect(fake.listShardsCalls).toBe(3);
  });

  it('shares one ListShards between concurrent refreshes', async () => {
    const fake = new FakeKinesis({ shards: 2 });
    const map = new ShardMap(fake, 'stream');
    await Promise.all([map.refresh(), map.refresh(), map.refresh()]);
    expect(fake.listShardsCalls).toBe(1);
  });
});
