/**
 * Test fixture (not shipped): a state adapter that keeps one JSON file per lease in a directory that
 * several processes share, on a synchronous driver (every call blocks this process, like
 * better-sqlite3), with a simulated round trip of `roundTripMs` after each read.
 *
 * - `read-then-write`: a write reads the lease, checks the fence, then writes. In one process calls
 *   never interleave (nothing awaits between the read and the write), so every in-process test of
 *   the fencing rules passes; across processes two writers can both pass the check.
 * - `locked`: the same, inside a per-lease lock (an exclusive `mkdir`) every process respects.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ErrorCode,
  LeaseConflictError,
  LeaseLostError,
  type LeaseOperation,
  LifecycleError,
  StateStoreError,
} from '../../errors.js';
import type { Checkpoint } from '../../records.js';
import type {
  CreateLeaseOptions,
  Lease,
  LeaseFence,
  LeaseScope,
  ListLeasesOptions,
  ReleaseLeaseOptions,
  StateAdapter,
  StateAdapterCapabilities,
} from '../../state.js';

/** How a write is made. */
export type FileLeaseStateMode = 'read-then-write' | 'locked';

const LOCK_TIMEOUT_MS = 5_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this process for `ms` (the synchronous driver's round trip). */
function blockFor(ms: number): void {
  if (ms > 0) Atomics.wait(pause, 0, 0, ms);
}

function encodePart(part: string): string {
  return Buffer.from(part, 'utf8').toString('base64url');
}

let temporaryFiles = 0;

/** See the module comment. */
export class FileLeaseState implements StateAdapter {
  readonly capabilities: StateAdapterCapabilities = {
    sharedAcrossProcesses: true,
    durable: true,
    consistentListing: true,
  };
  readonly #directory: string;
  readonly #mode: FileLeaseStateMode;
  readonly #roundTripMs: number;
  #phase: 'new' | 'started' | 'closed' = 'new';

  constructor(directory: string, mode: FileLeaseStateMode, roundTripMs = 1) {
    this.#directory = directory;
    this.#mode = mode;
    this.#roundTripMs = roundTripMs;
  }

  async start(): Promise<void> {
    if (this.#phase === 'closed') throw new LifecycleError(ErrorCode.CLOSED, 'FileLeaseState is closed');
    mkdirSync(this.#directory, { recursive: true });
    this.#phase = 'started';
  }

  async close(): Promise<void> {
    this.#phase = 'closed';
  }

  async listLeases(scope: LeaseScope, options: ListLeasesOptions = {}): Promise<Lease[]> {
    this.#ready();
    options.signal?.throwIfAborted();
    const prefix = this.#prefix(scope);
    return readdirSync(this.#directory)
      .filter((name) => name.startsWith(prefix) && name.endsWith('.json'))
      .flatMap((name) => {
        const lease = this.#read(join(this.#directory, name));
        return lease === null ? [] : [lease];
      });
  }

  async getLease(scope: LeaseScope, shardId: string): Promise<Lease | null> {
    this.#ready();
    return this.#read(this.#path(scope, shardId));
  }

  async getCheckpoint(scope: LeaseScope, shardId: string): Promise<Checkpoint | null> {
    return (await this.getLease(scope, shardId))?.checkpoint ?? null;
  }

  async createLease(scope: LeaseScope, shardId: string, options: CreateLeaseOptions = {}): Promise<Lease> {
    this.#ready();
    const path = this.#path(scope, shardId);
    return this.#atomically(path, () => {
      const existing = this.#read(path);
      if (existing !== null) return existing;
      const lease: Lease = {
        ...scope,
        shardId,
        owner: null,
        leaseCounter: 0,
        checkpoint: null,
        parentShardIds: [...(options.parentShardIds ?? [])],
        ended: false,
        pendingOwner: null,
      };
      this.#store(path, lease);
      return lease;
    });
  }

  takeLease(scope: LeaseScope, shardId: string, fence: LeaseFence, newOwner: string): Promise<Lease> {
    return this.#write(scope, shardId, fence, 'take', (l) => ({
      ...l,
      owner: newOwner,
      pendingOwner: null,
      leaseCounter: l.leaseCounter + 1,
    }));
  }

  renewLease(scope: LeaseScope, shardId: string, fence: LeaseFence): Promise<Lease> {
    return this.#write(scope, shardId, fence, 'renew', (l) => ({ ...l, leaseCounter: l.leaseCounter + 1 }));
  }

  checkpoint(scope: LeaseScope, shardId: string, fence: LeaseFence, checkpoint: Checkpoint): Promise<Lease> {
    return this.#write(scope, shardId, fence, 'checkpoint', (l) => ({ ...l, checkpoint: { ...checkpoint } }));
  }

  releaseLease(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    options: ReleaseLeaseOptions = {},
  ): Promise<Lease> {
    return this.#write(scope, shardId, fence, 'release', (l) => ({
      ...l,
      owner: options.handoff === true ? l.pendingOwner : null,
      pendingOwner: null,
      leaseCounter: l.leaseCounter + 1,
    }));
  }

  markShardEnded(scope: LeaseScope, shardId: string, fence: LeaseFence, last?: Checkpoint): Promise<Lease> {
    return this.#write(scope, shardId, fence, 'end', (l) => ({
      ...l,
      ended: true,
      checkpoint: last === undefined ? l.checkpoint : { ...last },
      leaseCounter: l.leaseCounter + 1,
    }));
  }

  requestHandoff(scope: LeaseScope, shardId: string, fence: LeaseFence, requester: string): Promise<Lease> {
    const allowed = (l: Lease): boolean =>
      l.owner !== null && l.owner === fence.owner && (l.pendingOwner ?? requester) === requester;
    return this.#write(scope, shardId, fence, 'handoff', (l) => ({ ...l, pendingOwner: requester }), allowed);
  }

  async #write(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    operation: LeaseOperation,
    next: (lease: Lease) => Lease,
    allowed?: (lease: Lease) => boolean,
  ): Promise<Lease> {
    this.#ready();
    const path = this.#path(scope, shardId);
    const ownerWrite = operation !== 'take' && operation !== 'handoff';
    const fenced = (l: Lease): boolean =>
      l.owner === fence.owner && l.leaseCounter === fence.leaseCounter && !(ownerWrite && l.owner === null);
    return this.#atomically(path, () => {
      const current = this.#read(path);
      if (current === null || !(allowed ?? fenced)(current)) {
        const details = {
          ...scope,
          shardId,
          operation,
          expectedOwner: fence.owner,
          expectedCounter: fence.leaseCounter,
          actualOwner: current?.owner ?? null,
          actualCounter: current?.leaseCounter ?? null,
        };
        throw ownerWrite ? new LeaseLostError(details) : new LeaseConflictError(details);
      }
      const updated = next(current);
      this.#store(path, updated);
      return updated;
    });
  }

  #atomically<T>(path: string, work: () => T): T {
    if (this.#mode === 'read-then-write') return work();
    const lock = `${path}.lock`;
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    for (;;) {
      try {
        mkdirSync(lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (Date.now() > deadline) {
          throw new StateStoreError(
            ErrorCode.STATE_STORE_UNAVAILABLE,
            `lock ${lock} held for ${LOCK_TIMEOUT_MS} ms`,
          );
        }
        blockFor(0.2);
      }
    }
    try {
      return work();
    } finally {
      rmdirSync(lock);
    }
  }

  #read(path: string): Lease | null {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    blockFor(this.#roundTripMs);
    return JSON.parse(text) as Lease;
  }

  #store(path: string, lease: Lease): void {
    const temporary = `${path}.${process.pid}.${temporaryFiles++}.tmp`;
    writeFileSync(temporary, JSON.stringify(lease));
    renameSync(temporary, path);
  }

  #prefix(scope: LeaseScope): string {
    return `${encodePart(scope.consumerGroup)}.${encodePart(scope.streamName)}.`;
  }

  #path(scope: LeaseScope, shardId: string): string {
    return join(this.#directory, `${this.#prefix(scope)}${encodePart(shardId)}.json`);
  }

  #ready(): void {
    if (this.#phase === 'new')
      throw new LifecycleError(ErrorCode.NOT_STARTED, 'FileLeaseState is not started');
    if (this.#phase === 'closed') throw new LifecycleError(ErrorCode.CLOSED, 'FileLeaseState is closed');
  }
}
