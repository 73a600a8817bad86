import { randomUUID } from 'node:crypto';
import type { LeaseScope } from '../state.js';

/** A short random token of lowercase hex digits. */
export function randomToken(length = 12): string {
  return randomUUID().replaceAll('-', '').slice(0, length);
}

/**
 * A fresh scope no other test uses: `{ consumerGroup: 'kts-<prefix>-g-<random>', streamName: 'kts-<prefix>-s-<random>' }`.
 * Both names match the Kinesis stream-name and DynamoDB table-name alphabets (`[a-zA-Z0-9_.-]`), so an
 * adapter may use either as (part of) a resource name.
 */
export function randomScope(prefix = 'conformance'): LeaseScope {
  const token = randomToken();
  return { consumerGroup: `kts-${prefix}-g-${token}`, streamName: `kts-${prefix}-s-${token}` };
}

/** The canonical id of the `index`-th shard: `shardId-000000000000`, `shardId-000000000001`, ... */
export function shardIdOf(index: number): string {
  return `shardId-${String(index).padStart(12, '0')}`;
}
