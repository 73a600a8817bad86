/**
 * Test helpers: a consumer on the inline runner reading a {@link FakeKinesis} stream `s` from
 * TRIM_HORIZON with a 3 s failover time, and a stream filled with numbered records.
 */
import { KinesisConsumer } from '../consumer.js';
import type { KinesisConsumerOptions } from '../options.js';
import type { FakeKinesis } from './fake-kinesis.js';

/** A consumer of fake stream `s` (inline runner, TRIM_HORIZON, failover 3 s); `options` override. */
export function inlineConsumer(
  fake: FakeKinesis,
  options: Partial<KinesisConsumerOptions> = {},
): KinesisConsumer {
  return new KinesisConsumer({
    streamName: 's',
    runner: 'inline',
    kinesisApi: fake,
    initialPosition: 'TRIM_HORIZON',
    failoverTimeMs: 3000,
    clientConfig: { region: 'us-east-1' },
    ...options,
  });
}

/** Creates stream `s` with `shards` shards, each holding `perShard` records (`<shardId>:<i>` keys, data `i`). */
export function fillStream(fake: FakeKinesis, shards: number, perShard: number): void {
  for (const shard of fake.createStream('s', shards))
    for (let i = 0; i < perShard; i++) fake.put('s', shard.shardId, `${shard.shardId}:${i}`, `${i}`);
}
