/**
 * The lease renewer (KCL's seam): each held lease on its own schedule, with a local deadline.
 *
 * - Every lease is renewed `renewIntervalMs` after its previous renewal started, or as soon as it
 *   ended when it took longer (a call that timed out); renewals of one lease never overlap, and a slow
 *   renewal of one lease never delays another's.
 * - A lease whose last successful renewal *started* more than `failoverTimeMs` ago is given up locally
 *   by a timer on the injected clock, whether or not a renew call is still pending: other instances
 *   count the failover time from when they first saw the counter that renewal wrote, which is later,
 *   so this instance stops reading before anyone may take the lease.
 */
import {
  type Clock,
  type KinesisTsError,
  LeaseLostError,
  type LeaseScope,
  type TimerHandle,
} from '@kinesis-ts/core';
import type { HeldLease } from './held-lease.js';
import { storeError } from './store-call.js';

/** Options of {@link LeaseRenewer}. */
export interface LeaseRenewerOptions {
  readonly clock: Clock;
  readonly scope: LeaseScope;
  /** This instance's owner id. */
  readonly owner: string;
  readonly renewIntervalMs: number;
  readonly failoverTimeMs: number;
  /** A renewal showed that another instance asked for the lease (once per lease). */
  readonly onHandoffRequested: (shardId: string) => void;
  /** The lease is gone (taken by another instance, or given up at its deadline). */
  readonly onLost: (shardId: string, reason: string) => void;
  /** A renewal failed for another reason; renewing goes on until the deadline. */
  readonly onError: (error: KinesisTsError) => void;
  /** Another live process writes leases under this instance's id (fatal). */
  readonly onDuplicate: (error: KinesisTsError) => void;
}

interface Entry {
  readonly held: HeldLease;
  /** When the last successful renewal (or the take) started. */
  validSince: number;
  renewTimer: TimerHandle | null;
  deadlineTimer: TimerHandle | null;
  renewing: Promise<void> | null;
  handoffAnnounced: boolean;
}

/** Renews held leases, each on its own schedule, and gives them up at their local deadline. */
export class LeaseRenewer {
  readonly #o: LeaseRenewerOptions;
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  constructor(options: LeaseRenewerOptions) {
    this.#o = options;
  }

  /**
   * Starts renewing `held`. `validSince`: when the write that made it ours started (the take, or the
   * listing that showed it ours); `renewNow` renews at once (a lease adopted from a listing).
   */
  add(held: HeldLease, validSince: number, renewNow = false): void {
    if (this.#closed) return;
    this.remove(held.shardId);
    const entry: Entry = {
      held,
      validSince,
      renewTimer: null,
      deadlineTimer: null,
      renewing: null,
      handoffAnnounced: false,
    };
    this.#entries.set(held.shardId, entry);
    this.#armDeadline(entry);
    this.#schedule(entry, renewNow ? 0 : this.#o.renewIntervalMs);
  }

  /** The held lease of a shard. */
  get(shardId: string): HeldLease | undefined {
    return this.#entries.get(shardId)?.held;
  }

  /** Shard ids of every lease being renewed. */
  shardIds(): string[] {
    return [...this.#entries.keys()];
  }

  /** Stops renewing a lease (released, lost, or handed over); only when it is `held`, if given. */
  remove(shardId: string, held?: HeldLease): void {
    const entry = this.#entries.get(shardId);
    if (entry === undefined || (held !== undefined && entry.held !== held)) return;
    this.#entries.delete(shardId);
    this.#clear(entry);
  }

  /** Renews every lease now and waits for the renewals (tests; the timers do this otherwise). */
  async renewAll(): Promise<void> {
    await Promise.all([...this.#entries.values()].map((entry) => this.#renew(entry)));
  }

  /** Stops every timer; leases are released by their sessions, not here. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#entries.values()) this.#clear(entry);
    this.#entries.clear();
  }

  #clear(entry: Entry): void {
    if (entry.renewTimer !== null) this.#o.clock.clearTimeout(entry.renewTimer);
    if (entry.deadlineTimer !== null) this.#o.clock.clearTimeout(entry.deadlineTimer);
    entry.renewTimer = null;
    entry.deadlineTimer = null;
  }

  #current(entry: Entry): boolean {
    return !this.#closed && this.#entries.get(entry.held.shardId) === entry;
  }

  #schedule(entry: Entry, ms: number): void {
    if (!this.#current(entry)) return;
    if (entry.renewTimer !== null) this.#o.clock.clearTimeout(entry.renewTimer);
    entry.renewTimer = this.#o.clock.setTimeout(() => {
      entry.renewTimer = null;
      const started = this.#o.clock.now();
      // The next renewal is due one interval after this one started, or at once when this one ended
      // later than that (it timed out): renewals of a lease never overlap and never fall behind.
      void this.#renew(entry).then(() =>
        this.#schedule(entry, Math.max(0, started + this.#o.renewIntervalMs - this.#o.clock.now())),
      );
    }, ms);
  }

  #armDeadline(entry: Entry): void {
    const { clock, failoverTimeMs } = this.#o;
    if (entry.deadlineTimer !== null) clock.clearTimeout(entry.deadlineTimer);
    entry.deadlineTimer = clock.setTimeout(
      () => {
        entry.deadlineTimer = null;
        if (!this.#current(entry)) return;
        this.#giveUp(entry, `no successful renewal for ${failoverTimeMs} ms`);
      },
      Math.max(0, entry.validSince + failoverTimeMs - clock.now()),
    );
  }

  #giveUp(entry: Entry, reason: string): void {
    this.remove(entry.held.shardId);
    entry.held.abandon(reason);
    this.#o.onLost(entry.held.shardId, reason);
  }

  /** One renewal; a renewal already pending for the lease is awaited instead of doubled. */
  #renew(entry: Entry): Promise<void> {
    if (entry.renewing !== null) return entry.renewing;
    const { held } = entry;
    if (held.released || held.lost !== null || !this.#current(entry)) return Promise.resolve();
    const started = this.#o.clock.now();
    const run = async (): Promise<void> => {
      try {
        const lease = await held.renew();
        if (!this.#current(entry)) return;
        if (started > entry.validSince) {
          entry.validSince = started;
          this.#armDeadline(entry);
        }
        if (lease.pendingOwner !== null && lease.pendingOwner !== this.#o.owner && !entry.handoffAnnounced) {
          entry.handoffAnnounced = true;
          this.#o.onHandoffRequested(held.shardId);
        }
      } catch (error) {
        if (held.released || !this.#current(entry)) return;
        if (held.duplicateInstance !== null) {
          this.remove(held.shardId);
          this.#o.onDuplicate(held.duplicateInstance);
          return;
        }
        if (error instanceof LeaseLostError) {
          this.remove(held.shardId);
          this.#o.onLost(held.shardId, 'another instance holds the lease now');
          return;
        }
        this.#o.onError(storeError('renew lease', error, this.#o.scope, held.shardId));
      }
    };
    entry.renewing = run().finally(() => {
      entry.renewing = null;
    });
    return entry.renewing;
  }
}
