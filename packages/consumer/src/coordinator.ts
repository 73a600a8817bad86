/**
 * Lease coordination (KCL's rules): shard discovery into leases, parents before children, taking
 * unowned and expired leases, renewing held ones, balancing toward ceil(leases / instances) with at
 * most one steal per scan (graceful handoff first, forced take after a timeout).
 */
import {
  type Clock,
  ErrorCode,
  isKinesisTsError,
  type KinesisTsError,
  type Lease,
  LeaseConflictError,
  LeaseExpiryTracker,
  LeaseLostError,
  type LeaseScope,
  type Logger,
  type StateAdapter,
  StateStoreError,
  type TimerHandle,
} from '@kinesis-ts/core';
import { HeldLease } from './held-lease.js';
import type { KinesisApi } from './kinesis-api.js';
import type { InitialPosition } from './options.js';
import type { ChildShardInfo } from './record-source.js';
import { listAllShards, type ShardInfo } from './shard-list.js';
import { syncShardLeases } from './shard-sync.js';

/** What the coordinator tells the consumer. */
export interface CoordinatorCallbacks {
  /** A lease was taken (or handed over to this instance): start reading the shard. */
  acquired(held: HeldLease, stolen: boolean): void;
  /** A held lease was lost: stop the shard at once, without a checkpoint. */
  lost(shardId: string, reason: string): void;
  /** Another instance asked for a held lease: checkpoint what was processed and release with handoff. */
  handoffRequested(shardId: string): void;
  /** A non-fatal failure (state store, ListShards); the coordinator retries on the next scan. */
  error(error: KinesisTsError): void;
}

/** Options of {@link Coordinator}. */
export interface CoordinatorOptions {
  readonly state: StateAdapter;
  readonly scope: LeaseScope;
  /** This instance's owner id. */
  readonly owner: string;
  readonly api: KinesisApi;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly initialPosition: InitialPosition;
  readonly failoverTimeMs: number;
  readonly renewIntervalMs: number;
  readonly leaseScanIntervalMs: number;
  readonly shardSyncIntervalMs: number;
  readonly handoffTimeoutMs: number;
  readonly callbacks: CoordinatorCallbacks;
}

interface HeldEntry {
  readonly held: HeldLease;
  lastRenewOk: number;
  handoffAnnounced: boolean;
}

/** Where a shard without checkpoint starts: see {@link startPositionFor} in shard-sync.ts. */
export { startPositionFor } from './shard-sync.js';

/** Runs lease scans and renewals for one consumer instance. */
export class Coordinator {
  readonly #o: CoordinatorOptions;
  readonly #tracker: LeaseExpiryTracker;
  readonly #held = new Map<string, HeldEntry>();
  readonly #shards = new Map<string, ShardInfo>();
  readonly #quarantined = new Map<string, number>();
  #pendingSteal: { shardId: string; owner: string; since: number } | null = null;
  #lastSync = Number.NEGATIVE_INFINITY;
  #syncRequested = true;
  #scanTimer: TimerHandle | null = null;
  #renewTimer: TimerHandle | null = null;
  #scanning: Promise<void> | null = null;
  #rescan = false;
  /** Milliseconds from the end of the last scan until the first lease seen there can expire, or null. */
  #nextExpiryMs: number | null = null;
  #renewing = false;
  #started = false;
  #closed = false;

  constructor(options: CoordinatorOptions) {
    this.#o = options;
    this.#tracker = new LeaseExpiryTracker({ failoverTimeMs: options.failoverTimeMs, clock: options.clock });
  }

  /** Runs the first scan (its failures reject: unknown stream, unreachable state store), then the timers. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#scanOnce(true);
    if (this.#closed) return;
    this.#scheduleScan(this.#nextScanDelay());
    this.#scheduleRenew();
  }

  /** Stops scanning and renewing (held leases are released by the consumer). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#scanTimer !== null) this.#o.clock.clearTimeout(this.#scanTimer);
    if (this.#renewTimer !== null) this.#o.clock.clearTimeout(this.#renewTimer);
    this.#scanTimer = null;
    this.#renewTimer = null;
    await this.#scanning?.catch(() => {});
  }

  /** The held lease of a shard. */
  held(shardId: string): HeldLease | undefined {
    return this.#held.get(shardId)?.held;
  }

  /** Shard ids of every held lease. */
  heldShardIds(): string[] {
    return [...this.#held.keys()];
  }

  /** What ListShards (or ChildShards) said about a shard. */
  shardInfo(shardId: string): ShardInfo | undefined {
    return this.#shards.get(shardId);
  }

  /**
   * The hash-key range of a shard, listing the stream's shards once more when the shard is not known
   * yet. `null` when ListShards does not know it either.
   */
  async shardRange(shardId: string): Promise<ShardInfo['hashKeyRange']> {
    const known = this.#shards.get(shardId)?.hashKeyRange;
    if (known) return known;
    for (const shard of await listAllShards(this.#o.api, this.#o.scope.streamName))
      this.#shards.set(shard.shardId, shard);
    return this.#shards.get(shardId)?.hashKeyRange ?? null;
  }

  /** Forgets a held lease (after it was released or lost). */
  drop(shardId: string): void {
    this.#held.delete(shardId);
  }

  /** Keeps this instance from taking `shardId` for `ms`. */
  quarantine(shardId: string, ms: number): void {
    this.#quarantined.set(shardId, this.#o.clock.now() + ms);
  }

  /**
   * A held shard reached SHARD_END and was marked ended: creates leases for its children (from
   * ChildShards when known, else from a ListShards run) and scans soon.
   */
  async shardEnded(shardId: string, children: readonly ChildShardInfo[] | null): Promise<void> {
    if (children === null || children.length === 0) {
      this.#syncRequested = true;
    } else {
      for (const child of children) {
        const known = this.#shards.get(child.shardId);
        this.#shards.set(child.shardId, {
          shardId: child.shardId,
          parentShardIds: child.parentShardIds,
          hashKeyRange: child.hashKeyRange ?? known?.hashKeyRange ?? null,
          closed: known?.closed ?? false,
        });
        try {
          await this.#o.state.createLease(this.#o.scope, child.shardId, {
            parentShardIds: child.parentShardIds,
          });
        } catch (error) {
          this.#syncRequested = true;
          this.#o.callbacks.error(this.#storeError('create child lease', error, child.shardId));
        }
      }
    }
    this.#o.logger.info('shard ended', { shardId, children: children?.map((c) => c.shardId) ?? null });
    this.scanSoon();
  }

  /** Asks for a scan as soon as possible (coalesced with one in progress). */
  scanSoon(): void {
    if (this.#closed || !this.#started) return;
    if (this.#scanning !== null) {
      this.#rescan = true;
      return;
    }
    this.#scheduleScan(0);
  }

  #scheduleScan(ms: number): void {
    if (this.#closed) return;
    if (this.#scanTimer !== null) this.#o.clock.clearTimeout(this.#scanTimer);
    this.#scanTimer = this.#o.clock.setTimeout(() => {
      this.#scanTimer = null;
      void this.#scanOnce(false).finally(() => {
        if (this.#closed) return;
        if (this.#rescan) {
          this.#rescan = false;
          this.#scheduleScan(0);
        } else if (this.#scanTimer === null) {
          this.#scheduleScan(this.#nextScanDelay());
        }
      });
    }, ms);
  }

  /**
   * The regular scan interval, or sooner when a lease seen in the last scan expires before then: the
   * scan then runs just after the expiry, so a dead owner's leases are taken within failover time plus
   * at most one scan interval of its last renewal (the time until its last counter was first seen).
   */
  #nextScanDelay(): number {
    const interval = this.#o.leaseScanIntervalMs;
    if (this.#nextExpiryMs === null) return interval;
    return Math.max(0, Math.min(interval, this.#nextExpiryMs + 1));
  }

  #scheduleRenew(): void {
    if (this.#closed) return;
    this.#renewTimer = this.#o.clock.setTimeout(() => {
      this.#renewTimer = null;
      void this.renewAll().finally(() => this.#scheduleRenew());
    }, this.#o.renewIntervalMs);
  }

  /** Runs one scan now (tests); a scan in progress is awaited instead of overlapping. */
  scan(): Promise<void> {
    return this.#scanOnce(false);
  }

  #scanOnce(throwErrors: boolean): Promise<void> {
    if (this.#scanning !== null) return this.#scanning;
    const run = async (): Promise<void> => {
      try {
        await this.#scanBody();
      } catch (error) {
        if (throwErrors) throw error;
        if (!this.#closed) {
          this.#o.callbacks.error(isKinesisTsError(error) ? error : this.#storeError('lease scan', error));
        }
      }
    };
    this.#scanning = run().finally(() => {
      this.#scanning = null;
    });
    return this.#scanning;
  }

  #storeError(what: string, error: unknown, shardId?: string): KinesisTsError {
    if (isKinesisTsError(error)) return error;
    return new StateStoreError(
      ErrorCode.STATE_STORE_UNAVAILABLE,
      `${what} failed: ${String((error as Error)?.message ?? error)}`,
      {
        cause: error,
        context: { ...this.#o.scope, shardId },
      },
    );
  }

  async #scanBody(): Promise<void> {
    const { state, scope, owner, clock, callbacks } = this.#o;
    const now = clock.now();
    let leases = await state.listLeases(scope);
    if (this.#syncRequested || now - this.#lastSync >= this.#o.shardSyncIntervalMs) {
      const created = await this.#syncShards(leases);
      if (created) leases = await state.listLeases(scope);
    }
    if (this.#closed) return;
    this.#tracker.observe(leases);
    const byId = new Map(leases.map((lease) => [lease.shardId, lease]));
    this.#nextExpiryMs = null;
    for (const lease of leases) {
      if (lease.owner === null || lease.owner === owner || lease.ended) continue;
      const remaining = this.#tracker.timeUntilExpiry(lease);
      if (
        remaining !== null &&
        remaining >= 0 &&
        (this.#nextExpiryMs === null || remaining < this.#nextExpiryMs)
      ) {
        this.#nextExpiryMs = remaining;
      }
    }

    // Handoffs granted to this instance (or leases it still owns after a restart with the same id).
    for (const lease of leases) {
      if (
        lease.owner === owner &&
        !lease.ended &&
        !this.#held.has(lease.shardId) &&
        !this.#isQuarantined(lease.shardId)
      ) {
        this.#adopt(lease, this.#pendingSteal?.shardId === lease.shardId);
      }
    }
    if (this.#pendingSteal !== null) {
      const lease = byId.get(this.#pendingSteal.shardId);
      if (lease === undefined || lease.owner !== this.#pendingSteal.owner || lease.ended)
        this.#pendingSteal = null;
    }

    const eligible = leases.filter((lease) => this.#eligible(lease, byId));
    const counts = new Map<string, number>();
    for (const lease of eligible) {
      if (lease.owner === null || lease.owner === owner || this.#tracker.isExpired(lease)) continue;
      counts.set(lease.owner, (counts.get(lease.owner) ?? 0) + 1);
    }
    let mine = eligible.filter((lease) => this.#held.has(lease.shardId)).length;
    const target = Math.ceil(eligible.length / (counts.size + 1));

    // 1. Unowned first, then expired.
    const available = eligible
      .filter((lease) => !this.#held.has(lease.shardId) && this.#tracker.isAvailable(lease))
      .sort((a, b) => (a.owner === null ? 0 : 1) - (b.owner === null ? 0 : 1));
    for (const lease of available) {
      if (mine >= target || this.#closed) break;
      if (await this.#take(lease, false)) mine += 1;
    }
    if (mine >= target || this.#closed) return;

    // 2. A handoff that timed out: take it.
    if (this.#pendingSteal !== null) {
      const lease = byId.get(this.#pendingSteal.shardId);
      if (lease !== undefined && clock.now() - this.#pendingSteal.since >= this.#o.handoffTimeoutMs) {
        this.#pendingSteal = null;
        await this.#take(lease, true);
      }
      return;
    }

    // 3. Steal at most one lease from the most loaded owner.
    let victim: string | null = null;
    let most = 0;
    for (const [other, count] of counts) {
      if (count > most) {
        most = count;
        victim = other;
      }
    }
    if (victim === null || !(most > target || most - mine > 1)) return;
    const candidate = eligible.find((lease) => lease.owner === victim && lease.pendingOwner === null);
    if (candidate === undefined) return;
    try {
      await state.requestHandoff(
        scope,
        candidate.shardId,
        { owner: victim, leaseCounter: candidate.leaseCounter },
        owner,
      );
      this.#pendingSteal = { shardId: candidate.shardId, owner: victim, since: clock.now() };
      this.#o.logger.info('requested lease handoff', {
        shardId: candidate.shardId,
        from: victim,
        target,
        mine,
      });
    } catch (error) {
      if (error instanceof LeaseConflictError) return;
      callbacks.error(this.#storeError('request handoff', error, candidate.shardId));
    }
  }

  #isQuarantined(shardId: string): boolean {
    const until = this.#quarantined.get(shardId);
    if (until === undefined) return false;
    if (this.#o.clock.now() >= until) {
      this.#quarantined.delete(shardId);
      return false;
    }
    return true;
  }

  #eligible(lease: Lease, byId: Map<string, Lease>): boolean {
    if (lease.ended || this.#isQuarantined(lease.shardId)) return false;
    // Parents first: a child is read only once every parent lease is ended (or gone).
    return lease.parentShardIds.every((parent) => byId.get(parent)?.ended ?? true);
  }

  async #take(lease: Lease, stolen: boolean): Promise<boolean> {
    try {
      const taken = await this.#o.state.takeLease(
        this.#o.scope,
        lease.shardId,
        { owner: lease.owner, leaseCounter: lease.leaseCounter },
        this.#o.owner,
      );
      if (this.#closed) return false;
      this.#adopt(taken, stolen || (lease.owner !== null && lease.owner !== this.#o.owner));
      return true;
    } catch (error) {
      // Someone else changed the lease since it was listed: not ours, try again next scan.
      if (error instanceof LeaseConflictError) return false;
      this.#o.callbacks.error(this.#storeError('take lease', error, lease.shardId));
      return false;
    }
  }

  #adopt(lease: Lease, stolen: boolean): void {
    const held = new HeldLease(this.#o.state, this.#o.scope, lease);
    this.#held.set(lease.shardId, { held, lastRenewOk: this.#o.clock.now(), handoffAnnounced: false });
    this.#o.logger.info('lease acquired', {
      shardId: lease.shardId,
      leaseCounter: lease.leaseCounter,
      stolen,
    });
    this.#o.callbacks.acquired(held, stolen);
  }

  /** Renews every held lease once (the renew timer calls this; tests may too). */
  async renewAll(): Promise<void> {
    if (this.#renewing) return;
    this.#renewing = true;
    try {
      await Promise.all([...this.#held.values()].map((entry) => this.#renew(entry)));
    } finally {
      this.#renewing = false;
    }
  }

  async #renew(entry: HeldEntry): Promise<void> {
    const { held } = entry;
    if (held.released || held.lost !== null) return;
    try {
      const lease = await held.renew();
      entry.lastRenewOk = this.#o.clock.now();
      if (lease.pendingOwner !== null && lease.pendingOwner !== this.#o.owner && !entry.handoffAnnounced) {
        entry.handoffAnnounced = true;
        this.#o.callbacks.handoffRequested(held.shardId);
      }
    } catch (error) {
      if (held.released || this.#held.get(held.shardId) !== entry) return;
      if (error instanceof LeaseLostError) {
        this.#held.delete(held.shardId);
        this.#o.callbacks.lost(held.shardId, 'another instance holds the lease now');
        return;
      }
      this.#o.callbacks.error(this.#storeError('renew lease', error, held.shardId));
      if (this.#o.clock.now() - entry.lastRenewOk >= this.#o.failoverTimeMs) {
        // Others may consider the lease expired by now: stop reading rather than risk two readers.
        this.#held.delete(held.shardId);
        this.#o.callbacks.lost(held.shardId, `renewals failed for ${this.#o.failoverTimeMs} ms`);
      }
    }
  }

  async #syncShards(leases: readonly Lease[]): Promise<boolean> {
    // The plan is recomputed from the whole shard graph each time (see shard-sync.ts): a sync that
    // fails half-way stays requested, and the next one completes it.
    const { created } = await syncShardLeases(
      {
        api: this.#o.api,
        state: this.#o.state,
        scope: this.#o.scope,
        initialPosition: this.#o.initialPosition,
        onShards: (shards) => {
          for (const shard of shards) this.#shards.set(shard.shardId, shard);
        },
      },
      leases,
    );
    this.#lastSync = this.#o.clock.now();
    this.#syncRequested = false;
    return created.length > 0;
  }
}
