export {
  type CreateStateTableOptions,
  type CreateStateTableResult,
  createStateTable,
} from './create-state-table.js';
export { DynamoDBState, type DynamoDBStateOptions } from './dynamodb-state.js';
export { LeaseAttribute } from './lease-item.js';
export { decodeLeaseKey, encodeLeaseKey, scopeKeyPrefix } from './lease-key.js';
export type { RetryOptions } from './retry-policy.js';
export { validateTableName } from './table-name.js';
