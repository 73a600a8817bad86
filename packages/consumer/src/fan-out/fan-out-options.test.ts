import { describe, expect, it } from 'vitest';
import { resolveFanOutOptions } from './fan-out-options.js';

describe('resolveFanOutOptions', () => {
  it('is null without the option (polling) and defaults the consumer name to the consumer group', () => {
    expect(resolveFanOutOptions(undefined, 'app')).toBeNull();
    expect(resolveFanOutOptions({}, 'app')).toEqual({
      consumerName: 'app',
      consumerArn: undefined,
      deregisterOnClose: false,
      http: {},
      maxBufferedEvents: 4,
      maxSubscriptionMs: undefined,
      registrationTimeoutMs: 120_000,
    });
  });

  it('keeps an explicit ARN (no name needed) and explicit settings', () => {
    const arn = 'arn:aws:kinesis:us-east-1:1:stream/s/consumer/c:1';
    expect(
      resolveFanOutOptions(
        { consumerArn: arn, deregisterOnClose: true, http: { protocol: 'http1' }, maxSubscriptionMs: 1000 },
        'not a name!',
      ),
    ).toMatchObject({
      consumerArn: arn,
      consumerName: undefined,
      deregisterOnClose: true,
      maxSubscriptionMs: 1000,
    });
  });

  it('rejects bad values with INVALID_ARGUMENT naming the field', () => {
    const bad: Array<[unknown, string]> = [
      [{ consumerArn: 'x' }, 'fanOut.consumerArn'],
      [{ consumerName: 'a b' }, 'fanOut.consumerName'],
      [{}, 'fanOut.consumerName'], // group 'my group' is not a valid name
      [{ consumerName: 'ok', deregisterOnClose: 'yes' }, 'fanOut.deregisterOnClose'],
      [{ consumerName: 'ok', http: { protocol: 'h3' } }, 'fanOut.http.protocol'],
      [{ consumerName: 'ok', maxBufferedEvents: 0 }, 'fanOut.maxBufferedEvents'],
      [{ consumerName: 'ok', maxSubscriptionMs: 1.5 }, 'fanOut.maxSubscriptionMs'],
    ];
    for (const [input, option] of bad) {
      expect(() => resolveFanOutOptions(input as never, 'my group')).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', context: expect.objectContaining({ option }) }),
      );
    }
    expect(() =>
      resolveFanOutOptions({ consumerName: 'ok', http: { maxStreamsPerSession: -1 } }, 'g'),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
