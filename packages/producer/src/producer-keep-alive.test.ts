import { describe, expect, it } from 'vitest';
import { KinesisProducer } from './producer.js';
import { FakeKinesis } from './test-support/fake-kinesis.js';

/** Timers that keep Node alive. */
const refedTimeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('KinesisProducer keeps a started process alive until close()', () => {
  it('holds one handle from start() to close(), with nothing outstanding; none before, none after', async () => {
    const fake = new FakeKinesis();
    const before = refedTimeouts();
    const producer = new KinesisProducer({ streamName: 'stream', runner: 'inline', kinesisApi: fake });
    expect(refedTimeouts()).toBe(before); // constructed: nothing held
    await producer.start();
    await producer.put('x');
    // Idle again (nothing outstanding), and still held, like a server: close() lets exactly it go.
    const held = refedTimeouts();
    expect(held).toBeGreaterThanOrEqual(1);
    await producer.close();
    expect(refedTimeouts()).toBe(held - 1);
  });

  it('holds nothing after a start that failed', async () => {
    const before = refedTimeouts();
    const producer = new KinesisProducer({
      streamName: 'missing',
      runner: 'inline',
      kinesisApi: new FakeKinesis(),
    });
    await expect(producer.start()).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
    expect(refedTimeouts()).toBe(before);
    await producer.close();
  });
});
