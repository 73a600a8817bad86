import type { Checkpoint } from '../records.js';
import type { Lease, LeaseScope, StateAdapter } from '../state.js';

/** How {@link seedLease} prepares a lease. */
export interface SeedOptions {
  /** Owner to take the lease for (`null`: leave it unowned). */
  readonly owner: string | null;
  /** Parents recorded at creation. */
  readonly parentShardIds?: readonly string[];
  /** A checkpoint written by the owner. */
  readonly checkpoint?: Checkpoint;
  /** A requester whose handoff request is left pending. */
  readonly pendingOwner?: string;
}

/**
 * Creates a lease and brings it into the requested state through the public API only; returns the
 * last lease the adapter returned (the fence to use next).
 */
export async function seedLease(
  adapter: StateAdapter,
  scope: LeaseScope,
  shardId: string,
  options: SeedOptions,
): Promise<Lease> {
  let lease = await adapter.createLease(scope, shardId, { parentShardIds: options.parentShardIds ?? [] });
  if (options.owner === null) return lease;
  lease = await adapter.takeLease(
    scope,
    shardId,
    { owner: lease.owner, leaseCounter: lease.leaseCounter },
    options.owner,
  );
  if (options.checkpoint !== undefined) {
    lease = await adapter.checkpoint(scope, shardId, fenceOf(lease), options.checkpoint);
  }
  if (options.pendingOwner !== undefined) {
    lease = await adapter.requestHandoff(scope, shardId, fenceOf(lease), options.pendingOwner);
  }
  return lease;
}

/** The fence that matches a lease as returned. */
export function fenceOf(lease: Lease): { owner: string | null; leaseCounter: number } {
  return { owner: lease.owner, leaseCounter: lease.leaseCounter };
}
