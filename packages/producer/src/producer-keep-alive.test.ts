import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KinesisProducer } from './producer.js';
import { FakeKinesis } from './test-support/fake-kinesis.js';

// The intervals created and cleared while a test runs (real ones: timers are not faked here), watched
// directly rather than by counting every live timer of the process.
let created: Array<ReturnType<typeof setInterval>> = [];
let cleared = new Set<unknown>();
beforeEach(() => {
  created = [];
  cleared = new Set();
  const realSet = globalThis.setInterval;
  const realClear = globalThis.clearInterval;
  vi.spyOn(globalThis, 'setInterval').mockImplementation(((...args: Parameters<typeof setInterval>) => {
    const handle = realSet(...args);
    created.push(handle);
    return handle;
  }) as typeof setInterval);
  vi.spyOn(globalThis, 'clearInterval').mockImplementation(((handle: Parameters<typeof clearInterval>[0]) => {
    cleared.add(handle);
    realClear(handle);
  }) as typeof clearInterval);
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Handles created and not cleared, that keep Node alive. */
const held = () => created.filter((handle) => !cleared.has(handle) && handle.hasRef());

describe('KinesisProducer keeps a started process alive until close()', () => {
  it('holds a handle from start() to close(), with nothing outstanding; none before, none after', async () => {
    const producer = new KinesisProducer({
      streamName: 'stream',
      runner: 'inline',
      kinesisApi: new FakeKinesis(),
    });
    expect(held()).toHaveLength(0); // constructed: nothing held
    await producer.start();
    await producer.put('x');
    await producer.flush();
    await new Promise((resolve) => setImmediate(resolve));
    // Idle (nothing outstanding), and still held, like a server.
    expect(held()).toHaveLength(1);
    await producer.close();
    expect(held()).toHaveLength(0);
  });

  it('holds nothing after a start that failed', async () => {
    const producer = new KinesisProducer({
      streamName: 'missing',
      runner: 'inline',
      kinesisApi: new FakeKinesis(),
    });
    await expect(producer.start()).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
    expect(held()).toHaveLength(0);
    await producer.close();
  });
});
