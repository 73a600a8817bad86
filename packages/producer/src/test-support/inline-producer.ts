/**
 * Test helper: a producer on the inline runner writing to a {@link FakeKinesis} stream `stream`, with no
 * shard rate limits, recording every event it emits.
 */
import type { ProducerEvent } from '../events.js';
import type { KinesisProducerOptions } from '../options.js';
import { KinesisProducer } from '../producer.js';
import { FakeKinesis } from './fake-kinesis.js';

/** A producer on `fake` (inline runner, `rateLimit: false`); `options` override; `events` collects `onEvent`. */
export function inlineProducer(options: Partial<KinesisProducerOptions> = {}, fake = new FakeKinesis()) {
  const events: ProducerEvent[] = [];
  const producer = new KinesisProducer({
    streamName: 'stream',
    runner: 'inline',
    kinesisApi: fake,
    rateLimit: false,
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { producer, fake, events };
}
