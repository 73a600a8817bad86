/**
 * How a {@link Lease} is stored: one DynamoDB item per lease, with attributes a person can read in
 * the console.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  type Checkpoint,
  ErrorCode,
  isSentinelSequenceNumber,
  type Lease,
  SEQUENCE_NUMBER_PATTERN,
  StateStoreError,
} from '@kinesis-ts/core';

/** A DynamoDB item as the low-level client sends and returns it. */
export type Item = Record<string, AttributeValue>;

/** Attribute names of a lease item. */
export const LeaseAttribute = {
  /** The table's HASH key (S): see `encodeLeaseKey`. */
  key: 'shard',
  consumerGroup: 'consumerGroup',
  streamName: 'streamName',
  shardId: 'shardId',
  /** Absent when the lease has no owner. */
  owner: 'leaseOwner',
  leaseCounter: 'leaseCounter',
  /** Sequence number (S), or `TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP:<epoch ms>`; absent without a checkpoint. */
  checkpoint: 'checkpoint',
  checkpointSubSequenceNumber: 'checkpointSubSequenceNumber',
  /** List of S. */
  parentShardIds: 'parentShardIds',
  ended: 'ended',
  /** Absent when no handoff is pending. */
  pendingOwner: 'pendingOwner',
  /** ISO-8601 time of the last write, by the writer's clock (informational). */
  updatedAt: 'updatedAt',
} as const;

/** Builds the item of a new, unowned lease. */
export function newLeaseItem(
  key: string,
  ids: { consumerGroup: string; streamName: string; shardId: string },
  parentShardIds: readonly string[],
  updatedAt: Date,
): Item {
  return {
    [LeaseAttribute.key]: { S: key },
    [LeaseAttribute.consumerGroup]: { S: ids.consumerGroup },
    [LeaseAttribute.streamName]: { S: ids.streamName },
    [LeaseAttribute.shardId]: { S: ids.shardId },
    [LeaseAttribute.leaseCounter]: { N: '0' },
    [LeaseAttribute.parentShardIds]: { L: parentShardIds.map((id) => ({ S: id })) },
    [LeaseAttribute.ended]: { BOOL: false },
    [LeaseAttribute.updatedAt]: { S: updatedAt.toISOString() },
  };
}

function malformed(item: Item, attribute: string, expected: string): StateStoreError {
  return new StateStoreError(
    ErrorCode.STATE_STORE_MISCONFIGURED,
    `lease item ${JSON.stringify(item[LeaseAttribute.key]?.S)} has a malformed ${attribute} attribute (expected ${expected}); was it written by another tool?`,
    { context: { key: item[LeaseAttribute.key]?.S, attribute } },
  );
}

function optionalString(item: Item, attribute: string): string | null {
  const value = item[attribute];
  if (value === undefined || value.NULL === true) return null;
  if (typeof value.S !== 'string') throw malformed(item, attribute, 'S');
  return value.S;
}

function requiredString(item: Item, attribute: string): string {
  const value = optionalString(item, attribute);
  if (value === null) throw malformed(item, attribute, 'S');
  return value;
}

function number(item: Item, attribute: string, fallback?: number): number {
  const value = item[attribute];
  if (value === undefined && fallback !== undefined) return fallback;
  const parsed = typeof value?.N === 'string' ? Number(value.N) : Number.NaN;
  if (!Number.isSafeInteger(parsed)) throw malformed(item, attribute, 'N (integer)');
  return parsed;
}

/** Reads a lease from its item. @throws StateStoreError when the item is not a lease written by this adapter. */
export function leaseFromItem(item: Item): Lease {
  const sequenceNumber = optionalString(item, LeaseAttribute.checkpoint);
  if (
    sequenceNumber !== null &&
    !SEQUENCE_NUMBER_PATTERN.test(sequenceNumber) &&
    !isSentinelSequenceNumber(sequenceNumber)
  ) {
    throw malformed(
      item,
      LeaseAttribute.checkpoint,
      'a sequence number, TRIM_HORIZON, LATEST or AT_TIMESTAMP:<epoch ms>',
    );
  }
  const checkpoint: Checkpoint | null =
    sequenceNumber === null
      ? null
      : { sequenceNumber, subSequenceNumber: number(item, LeaseAttribute.checkpointSubSequenceNumber, 0) };
  const parents = item[LeaseAttribute.parentShardIds];
  let parentShardIds: string[] = [];
  if (parents?.L !== undefined) {
    parentShardIds = parents.L.map((entry) => {
      if (typeof entry.S !== 'string') throw malformed(item, LeaseAttribute.parentShardIds, 'L of S');
      return entry.S;
    });
  } else if (parents?.SS !== undefined) {
    parentShardIds = [...parents.SS];
  } else if (parents !== undefined && parents.NULL !== true) {
    throw malformed(item, LeaseAttribute.parentShardIds, 'L of S');
  }
  const ended = item[LeaseAttribute.ended];
  if (ended !== undefined && typeof ended.BOOL !== 'boolean')
    throw malformed(item, LeaseAttribute.ended, 'BOOL');
  const updatedAtText = optionalString(item, LeaseAttribute.updatedAt);
  const updatedAt = updatedAtText === null ? undefined : new Date(updatedAtText);
  return {
    consumerGroup: requiredString(item, LeaseAttribute.consumerGroup),
    streamName: requiredString(item, LeaseAttribute.streamName),
    shardId: requiredString(item, LeaseAttribute.shardId),
    owner: optionalString(item, LeaseAttribute.owner),
    leaseCounter: number(item, LeaseAttribute.leaseCounter),
    checkpoint,
    parentShardIds,
    ended: ended?.BOOL ?? false,
    pendingOwner: optionalString(item, LeaseAttribute.pendingOwner),
    updatedAt: updatedAt !== undefined && !Number.isNaN(updatedAt.getTime()) ? updatedAt : undefined,
  };
}
