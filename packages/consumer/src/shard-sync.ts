/**
 * Shard sync (KCL's hierarchical shard syncer): the stream's shard graph → leases.
 *
 * The plan is recomputed from the whole graph and every existing lease on each sync; nothing about
 * earlier syncs (such as "this was the group's first sync") is remembered. Leases are created
 * ancestors first, so whatever prefix of a plan was written before an instance died or a
 * `createLease` failed, the next sync (by any instance) computes the rest of the same plan:
 *
 * - `TRIM_HORIZON` / `AT_TIMESTAMP`: every listed shard gets a lease. Closed ancestors included:
 *   records written to a parent before a split are wanted too (the timestamp filters what is not).
 * - `LATEST`: an open shard gets a lease; a closed shard only when one of its parents has (or gets)
 *   one, i.e. it lies after something this group already reads. Closed history older than the group
 *   is skipped, which is what LATEST means.
 *
 * A lease records as parents only the parents that have (or get) a lease, so a child is read after
 * them; a parent without a lease counts as finished.
 */
import {
  type CreateLeaseOptions,
  checkpointPosition,
  ErrorCode,
  isKinesisTsError,
  type KinesisTsError,
  type Lease,
  type LeaseScope,
  type StateAdapter,
  StateStoreError,
} from '@kinesis-ts/core';
import type { KinesisApi } from './kinesis-api.js';
import type { InitialPosition } from './options.js';
import type { StartPosition } from './record-source.js';
import { listAllShards, type ShardInfo } from './shard-list.js';

/** A lease the shard sync creates. */
export interface PlannedLease {
  /** Shard id. */
  readonly shardId: string;
  /** Parents that have (or get, earlier in the plan) a lease. */
  readonly parentShardIds: readonly string[];
  /** Distance from the oldest planned-or-leased ancestor: leases of one depth may be created together. */
  readonly depth: number;
}

/**
 * The leases to create for `shards` given the leases that exist, ancestors before descendants.
 * Pure: the same inputs always give the same plan.
 */
export function planShardLeases(
  shards: readonly ShardInfo[],
  leases: readonly Pick<Lease, 'shardId'>[],
  initialPosition: InitialPosition,
): PlannedLease[] {
  const byId = new Map(shards.map((shard) => [shard.shardId, shard]));
  const leased = new Set(leases.map((lease) => lease.shardId));
  // Depth of every shard that has or gets a lease (0 for leased shards: they exist already).
  const tracked = new Map<string, number>();
  for (const id of leased) tracked.set(id, 0);
  const plan: PlannedLease[] = [];
  const visited = new Set<string>();

  const visit = (root: ShardInfo): void => {
    // Iterative post-order over listed parents, so a graph of thousands of generations cannot
    // overflow the stack; a (malformed) cycle is cut where it closes.
    const stack: Array<{ shard: ShardInfo; expanded: boolean }> = [{ shard: root, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (!top.expanded) {
        top.expanded = true;
        if (visited.has(top.shard.shardId)) {
          stack.pop();
          continue;
        }
        visited.add(top.shard.shardId);
        for (const parentId of top.shard.parentShardIds) {
          const parent = byId.get(parentId);
          if (parent !== undefined && !visited.has(parentId)) stack.push({ shard: parent, expanded: false });
        }
        continue;
      }
      stack.pop();
      decide(top.shard);
    }
  };

  const decide = (shard: ShardInfo): void => {
    if (leased.has(shard.shardId)) return;
    const parents = shard.parentShardIds.filter((parent) => tracked.has(parent));
    const wanted = initialPosition !== 'LATEST' || !shard.closed || parents.length > 0;
    if (!wanted) return;
    const depth = parents.reduce((max, parent) => Math.max(max, (tracked.get(parent) ?? 0) + 1), 0);
    tracked.set(shard.shardId, depth);
    plan.push({ shardId: shard.shardId, parentShardIds: parents, depth });
  };

  for (const shard of shards) visit(shard);
  // Stable by depth: a lease's parents always come at a smaller depth than the lease itself.
  return plan.sort((a, b) => a.depth - b.depth);
}

/**
 * Where a shard starts. With a record checkpoint: strictly after it. With a checkpoint an operator
 * moved to a position that is not a record (`TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP`, see core's
 * `checkpointPosition`): at that position, whatever the initial position. Without a checkpoint:
 *
 * | initial position | any shard without checkpoint                                       |
 * | ---------------- | ------------------------------------------------------------------ |
 * | `TRIM_HORIZON`   | `TRIM_HORIZON`                                                     |
 * | `AT_TIMESTAMP t` | `AT_TIMESTAMP t` (parents, children alike: only records at/after t) |
 * | `LATEST`         | `TRIM_HORIZON` when its lease has parents (they were read), else `LATEST` |
 */
export function startPositionFor(
  lease: Pick<Lease, 'checkpoint' | 'parentShardIds'>,
  initialPosition: InitialPosition,
): StartPosition {
  if (lease.checkpoint !== null) return checkpointPosition(lease.checkpoint);
  if (initialPosition === 'TRIM_HORIZON') return { type: 'TRIM_HORIZON' };
  if (initialPosition === 'LATEST') {
    return lease.parentShardIds.length > 0 ? { type: 'TRIM_HORIZON' } : { type: 'LATEST' };
  }
  return { type: 'AT_TIMESTAMP', timestamp: initialPosition.atTimestamp.getTime() };
}

/** Options of {@link syncShardLeases}. */
export interface ShardSyncOptions {
  readonly api: KinesisApi;
  /** Where leases are created (the coordinator passes a bounded call). */
  readonly state: Pick<StateAdapter, 'createLease'>;
  readonly scope: LeaseScope;
  readonly initialPosition: InitialPosition;
  /** Called with the listed shards before any lease is created (so they are known even if a create fails). */
  readonly onShards?: (shards: readonly ShardInfo[]) => void;
  /** Most `createLease` calls in flight at once (within one depth). Default 16. */
  readonly concurrency?: number;
}

/** What one shard sync did. */
export interface ShardSyncResult {
  /** Every shard ListShards returned. */
  readonly shards: ShardInfo[];
  /** Shard ids whose leases were created (or found created) by this sync. */
  readonly created: string[];
}

/**
 * Lists every shard and creates the planned leases, one depth after another (a depth starts only
 * once every lease of the previous depth was written).
 * @throws KinesisTsError `STREAM_NOT_FOUND` (or another Kinesis error) from ListShards; a
 *   {@link StateStoreError} when a `createLease` failed (the leases written so far stay; the next
 *   sync completes the plan).
 */
export async function syncShardLeases(
  options: ShardSyncOptions,
  leases: readonly Pick<Lease, 'shardId'>[],
  signal?: AbortSignal,
): Promise<ShardSyncResult> {
  const { api, state, scope } = options;
  const shards = await listAllShards(api, scope.streamName, signal);
  options.onShards?.(shards);
  const plan = planShardLeases(shards, leases, options.initialPosition);
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const created: string[] = [];
  let index = 0;
  while (index < plan.length) {
    const depth = plan[index]!.depth;
    let end = index;
    while (end < plan.length && plan[end]!.depth === depth) end += 1;
    const level = plan.slice(index, end);
    let next = 0;
    let failure: KinesisTsError | null = null;
    const worker = async (): Promise<void> => {
      while (failure === null && next < level.length) {
        const lease = level[next++]!;
        const create: CreateLeaseOptions = { parentShardIds: lease.parentShardIds };
        try {
          await state.createLease(scope, lease.shardId, create);
          created.push(lease.shardId);
        } catch (error) {
          failure ??= wrapCreateError(error, scope, lease.shardId);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, level.length) }, worker));
    if (failure !== null) throw failure;
    index = end;
  }
  return { shards, created };
}

function wrapCreateError(error: unknown, scope: LeaseScope, shardId: string): KinesisTsError {
  if (isKinesisTsError(error)) return error;
  return new StateStoreError(
    ErrorCode.STATE_STORE_UNAVAILABLE,
    `shard sync: createLease failed: ${String((error as Error)?.message ?? error)}`,
    { cause: error, context: { ...scope, shardId } },
  );
}
