/**
 * Lease coordination (KCL's rules), in three parts: a shard sync (the shard graph into leases, parents
 * before children), the lease taker ({@link planLeases}: a pure plan from a snapshot of the leases) and
 * the renewer ({@link LeaseRenewer}: each held lease on its own schedule with a local deadline). This
 * class runs the scans, carries the taker's plan out and owns the renewer. Every state-store call is
 * bounded by `stateTimeoutMs`.
 */
import {
  type BackoffPolicy,
  backoffDelay,
  type Clock,
  ErrorCode,
  type KinesisTsError,
  type Lease,
  LeaseConflictError,
  LeaseExpiryTracker,
  type LeaseScope,
  type Logger,
  type StateAdapter,
  StateStoreError,
  sleep,
  type TimerHandle,
} from '@kinesis-ts/core';
import { HeldLease } from './held-lease.js';
import type { KinesisApi } from './kinesis-api.js';
import { LeaseRenewer } from './lease-renewer.js';
import { type LeasePlan, type PendingSteal, planLeases } from './lease-taker.js';
import type { InitialPosition } from './options.js';
import type { ChildShardInfo } from './record-source.js';
import { listAllShards, type ShardInfo } from './shard-list.js';
import { syncShardLeases } from './shard-sync.js';
import { callStore, isPermanentError, type StoreCallOptions, storeError } from './store-call.js';

/** Backoff of start-up retries (state adapter start, first lease scan): 200 ms doubling to 5 s, equal jitter. */
export const START_RETRY_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 5000, jitter: 'equal' };

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
  /** A failure that must end the consumer (another live process uses this instance's id). */
  fatal(error: KinesisTsError): void;
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
  /** Longest wait for one state-store call. Default `renewIntervalMs`. */
  readonly stateTimeoutMs?: number;
  /** How long `start()` retries a failing first scan. Default 60,000 ms. */
  readonly startTimeoutMs?: number;
  readonly callbacks: CoordinatorCallbacks;
}

/** Where a shard without checkpoint starts: see {@link startPositionFor} in shard-sync.ts. */
export { startPositionFor } from './shard-sync.js';

/** Runs lease scans and renewals for one consumer instance. */
export class Coordinator {
  readonly #o: CoordinatorOptions;
  readonly #store: StoreCallOptions;
  readonly #tracker: LeaseExpiryTracker;
  readonly #renewer: LeaseRenewer;
  readonly #shards = new Map<string, ShardInfo>();
  readonly #quarantined = new Map<string, number>();
  readonly #closeSignal = new AbortController();
  #pendingSteal: PendingSteal | null = null;
  #target = 0;
  #lastSync = Number.NEGATIVE_INFINITY;
  #syncRequested = true;
  #scanTimer: TimerHandle | null = null;
  #scanning: Promise<void> | null = null;
  #rescan = false;
  /** Milliseconds from the end of the last scan until the first lease seen there can expire, or null. */
  #nextExpiryMs: number | null = null;
  #started = false;
  /** No more scans or takes (close began). */
  #stopped = false;
  /** Renewals ended too. */
  #closed = false;

  constructor(options: CoordinatorOptions) {
    this.#o = options;
    this.#store = {
      clock: options.clock,
      timeoutMs: options.stateTimeoutMs ?? options.renewIntervalMs,
      scope: options.scope,
    };
    this.#tracker = new LeaseExpiryTracker({ failoverTimeMs: options.failoverTimeMs, clock: options.clock });
    this.#renewer = new LeaseRenewer({
      clock: options.clock,
      scope: options.scope,
      owner: options.owner,
      renewIntervalMs: options.renewIntervalMs,
      failoverTimeMs: options.failoverTimeMs,
      onHandoffRequested: (shardId) => options.callbacks.handoffRequested(shardId),
      onLost: (shardId, reason) => options.callbacks.lost(shardId, reason),
      onError: (error) => options.callbacks.error(error),
      onDuplicate: (error) => options.callbacks.fatal(error),
    });
  }

  /**
   * Runs the first scan, retrying failures of the state store (and of ListShards) with backoff for up
   * to `startTimeoutMs`; then the timers. Rejects at once on a missing stream or a misconfigured store.
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { clock, callbacks } = this.#o;
    const timeoutMs = this.#o.startTimeoutMs ?? 60_000;
    const deadline = clock.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#scanOnce(true);
        break;
      } catch (error) {
        if (this.#stopped) return;
        if (isPermanentError(error)) throw error;
        const typed = storeError('first lease scan', error, this.#o.scope);
        const left = deadline - clock.now();
        if (left <= 0) {
          throw new StateStoreError(
            ErrorCode.STATE_STORE_UNAVAILABLE,
            `no lease scan succeeded within startTimeoutMs (${timeoutMs} ms); last failure: ${typed.message}`,
            { cause: typed, context: { ...this.#o.scope, attempts: attempt + 1 } },
          );
        }
        callbacks.error(typed);
        const backoff = Math.min(left, backoffDelay(attempt + 1, START_RETRY_BACKOFF));
        try {
          await sleep(backoff, clock, this.#closeSignal.signal);
        } catch {
          return;
        }
      }
    }
    if (this.#stopped) return;
    this.#scheduleScan(this.#nextScanDelay());
  }

  /**
   * Stops scanning and taking (waits for a scan in progress; a lease it takes is still handed to
   * `acquired`, so the consumer can release it). Held leases keep being renewed until {@link close}.
   */
  async stopTaking(): Promise<void> {
    this.#stopped = true;
    this.#closeSignal.abort();
    if (this.#scanTimer !== null) this.#o.clock.clearTimeout(this.#scanTimer);
    this.#scanTimer = null;
    await this.#scanning?.catch(() => {});
  }

  /**
   * After close released what it held: releases leases the store still shows under this instance's id
   * that no holder here has (a take whose answer timed out after it landed), so they do not wait a
   * failover time for another instance. Best effort, bounded like every store call.
   */
  async releaseOrphans(isHeld: (shardId: string) => boolean): Promise<void> {
    const { state, scope, owner } = this.#o;
    let leases: Lease[];
    try {
      leases = await this.#list();
    } catch {
      return;
    }
    for (const lease of leases) {
      if (lease.owner !== owner || lease.ended || isHeld(lease.shardId)) continue;
      try {
        await callStore(
          this.#store,
          `release of lease ${lease.shardId}`,
          () => state.releaseLease(scope, lease.shardId, { owner, leaseCounter: lease.leaseCounter }),
          lease.shardId,
        );
        this.#o.logger.info('released a lease this instance did not know it held', {
          shardId: lease.shardId,
        });
      } catch {
        // Changed meanwhile, or the store is failing: it expires after the failover time.
      }
    }
  }

  /** Stops scanning and renewing (held leases are released by the consumer first). Idempotent. */
  async close(): Promise<void> {
    await this.stopTaking();
    this.#closed = true;
    this.#renewer.close();
  }

  /** This instance's fair share of the leases as the last scan planned it (0 before the first scan). */
  get targetLeases(): number {
    return this.#target;
  }

  /** The held lease of a shard. */
  held(shardId: string): HeldLease | undefined {
    return this.#renewer.get(shardId);
  }

  /** Shard ids of every held lease. */
  heldShardIds(): string[] {
    return this.#renewer.shardIds();
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

  /** Forgets a held lease (after it was released or lost): no more renewals. Only `held` when given. */
  drop(shardId: string, held?: HeldLease): void {
    this.#renewer.remove(shardId, held);
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
          await callStore(
            this.#store,
            `create lease of ${child.shardId}`,
            () =>
              this.#o.state.createLease(this.#o.scope, child.shardId, {
                parentShardIds: child.parentShardIds,
              }),
            child.shardId,
          );
        } catch (error) {
          this.#syncRequested = true;
          this.#o.callbacks.error(storeError('create child lease', error, this.#o.scope, child.shardId));
        }
      }
    }
    this.#o.logger.info('shard ended', { shardId, children: children?.map((c) => c.shardId) ?? null });
    this.scanSoon();
  }

  /** Asks for a scan as soon as possible (coalesced with one in progress). */
  scanSoon(): void {
    if (this.#stopped || !this.#started) return;
    if (this.#scanning !== null) {
      this.#rescan = true;
      return;
    }
    this.#scheduleScan(0);
  }

  #scheduleScan(ms: number): void {
    if (this.#stopped) return;
    if (this.#scanTimer !== null) this.#o.clock.clearTimeout(this.#scanTimer);
    this.#scanTimer = this.#o.clock.setTimeout(() => {
      this.#scanTimer = null;
      void this.#scanOnce(false).finally(() => {
        if (this.#stopped) return;
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

  /** Runs one scan now (tests); a scan in progress is awaited instead of overlapping. */
  scan(): Promise<void> {
    return this.#scanOnce(false);
  }

  /** Renews every held lease once now (tests; each lease also renews on its own timer). */
  renewAll(): Promise<void> {
    return this.#renewer.renewAll();
  }

  #scanOnce(throwErrors: boolean): Promise<void> {
    if (this.#scanning !== null) return this.#scanning;
    const run = async (): Promise<void> => {
      try {
        await this.#scanBody();
      } catch (error) {
        if (throwErrors) throw error;
        if (!this.#stopped) this.#o.callbacks.error(storeError('lease scan', error, this.#o.scope));
      }
    };
    this.#scanning = run().finally(() => {
      this.#scanning = null;
    });
    return this.#scanning;
  }

  #list(): Promise<Lease[]> {
    return callStore(this.#store, 'listLeases', (signal) =>
      this.#o.state.listLeases(this.#o.scope, { signal }),
    );
  }

  async #scanBody(): Promise<void> {
    const { clock, owner } = this.#o;
    const listedAt = clock.now();
    let leases = await this.#list();
    if (this.#syncRequested || listedAt - this.#lastSync >= this.#o.shardSyncIntervalMs) {
      const created = await this.#syncShards(leases);
      if (created) leases = await this.#list();
    }
    if (this.#stopped) return;
    this.#tracker.observe(leases);
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
    const plan = planLeases({
      leases,
      owner,
      held: new Set(this.#renewer.shardIds()),
      expired: (lease) => this.#tracker.isExpired(lease),
      quarantined: (shardId) => this.#isQuarantined(shardId),
      pendingSteal: this.#pendingSteal,
      now: clock.now(),
      handoffTimeoutMs: this.#o.handoffTimeoutMs,
    });
    await this.#carryOut(plan, listedAt);
  }

  async #carryOut(plan: LeasePlan, listedAt: number): Promise<void> {
    const { state, scope, owner, clock } = this.#o;
    // Handoffs granted to this instance, or leases it still owns after a restart with the same id:
    // renewed at once, their deadline counted from the listing.
    this.#target = plan.target;
    for (const { lease, stolen } of plan.adopt) this.#adopt(lease, stolen, listedAt, true);
    this.#pendingSteal = plan.pendingSteal;
    let got = 0;
    for (const lease of plan.take) {
      if (got >= plan.wanted || this.#stopped) break;
      if (await this.#take(lease, false)) got += 1;
    }
    if (got >= plan.wanted || this.#stopped || plan.fallback === null) return;
    const fallback = plan.fallback;
    if (fallback.type === 'force-take') {
      await this.#take(fallback.lease, true);
      return;
    }
    const candidate = fallback.lease;
    try {
      await callStore(
        this.#store,
        `handoff request for ${candidate.shardId}`,
        () =>
          state.requestHandoff(
            scope,
            candidate.shardId,
            { owner: fallback.from, leaseCounter: candidate.leaseCounter },
            owner,
          ),
        candidate.shardId,
      );
      this.#pendingSteal = { shardId: candidate.shardId, owner: fallback.from, since: clock.now() };
      this.#o.logger.info('requested lease handoff', {
        shardId: candidate.shardId,
        from: fallback.from,
        target: plan.target,
      });
    } catch (error) {
      if (error instanceof LeaseConflictError) return;
      this.#o.callbacks.error(storeError('request handoff', error, scope, candidate.shardId));
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

  async #take(lease: Lease, stolen: boolean): Promise<boolean> {
    const startedAt = this.#o.clock.now();
    try {
      const taken = await callStore(
        this.#store,
        `take of lease ${lease.shardId}`,
        () =>
          this.#o.state.takeLease(
            this.#o.scope,
            lease.shardId,
            { owner: lease.owner, leaseCounter: lease.leaseCounter },
            this.#o.owner,
          ),
        lease.shardId,
      );
      // Adopted even when close() began meanwhile: the consumer then releases it at once rather
      // than leaving it owned by a closed instance until it expires.
      this.#adopt(taken, stolen || (lease.owner !== null && lease.owner !== this.#o.owner), startedAt, false);
      return true;
    } catch (error) {
      // Someone else changed the lease since it was listed: not ours, try again next scan. A take that
      // timed out may have landed: the next listing shows the lease as ours and it is adopted then.
      if (error instanceof LeaseConflictError) return false;
      this.#o.callbacks.error(storeError('take lease', error, this.#o.scope, lease.shardId));
      return false;
    }
  }

  #adopt(lease: Lease, stolen: boolean, validSince: number, renewNow: boolean): void {
    if (this.#closed) return;
    const held = new HeldLease({ state: this.#o.state, scope: this.#o.scope, lease, store: this.#store });
    this.#renewer.add(held, validSince, renewNow);
    this.#o.logger.info('lease acquired', {
      shardId: lease.shardId,
      leaseCounter: lease.leaseCounter,
      stolen,
    });
    this.#o.callbacks.acquired(held, stolen);
  }

  async #syncShards(leases: readonly Lease[]): Promise<boolean> {
    // The plan is recomputed from the whole shard graph each time (see shard-sync.ts): a sync that
    // fails half-way stays requested, and the next one completes it.
    const { created } = await syncShardLeases(
      {
        api: this.#o.api,
        state: {
          createLease: (scope, shardId, options) =>
            callStore(
              this.#store,
              `create lease of ${shardId}`,
              () => this.#o.state.createLease(scope, shardId, options),
              shardId,
            ),
        },
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
