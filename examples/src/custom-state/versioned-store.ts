/**
 * The one primitive a lease store needs: compare-and-set on a versioned value. Redis (WATCH/MULTI),
 * etcd (mod revisions), Consul (ModifyIndex) and a SQL row with a version column all offer it.
 * `InMemoryVersionedStore` is the stand-in the example and its test use; `FileVersionedStore`
 * (file-versioned-store.ts) is shared by processes on one host.
 */

/** A stored value and its version (bumped by every write). */
export interface Versioned {
  readonly key: string;
  readonly value: string;
  readonly version: number;
}

import type { StateAdapterCapabilities } from '@kinesis-ts/core';

/** A key-value store with conditional writes. */
export interface VersionedStore {
  /** What the store offers (shared across processes? durable?); the adapter declares the same. */
  readonly capabilities?: StateAdapterCapabilities;
  get(key: string): Promise<Versioned | undefined>;
  /** Every entry whose key starts with `prefix`. */
  list(prefix: string): Promise<Versioned[]>;
  /** Writes `value` only if the stored version is `expected` (`undefined`: the key must be absent). */
  compareAndSet(key: string, value: string, expected: number | undefined): Promise<boolean>;
}

/** A {@link VersionedStore} in this process's memory (answers asynchronously, like a remote store). */
export class InMemoryVersionedStore implements VersionedStore {
  /** One process only, gone with it. */
  readonly capabilities: StateAdapterCapabilities = { sharedAcrossProcesses: false, durable: false };
  readonly #entries = new Map<string, Versioned>();

  async get(key: string): Promise<Versioned | undefined> {
    await Promise.resolve();
    return this.#entries.get(key);
  }

  async list(prefix: string): Promise<Versioned[]> {
    await Promise.resolve();
    return [...this.#entries.values()].filter((entry) => entry.key.startsWith(prefix));
  }

  async compareAndSet(key: string, value: string, expected: number | undefined): Promise<boolean> {
    await Promise.resolve();
    if (this.#entries.get(key)?.version !== expected) return false;
    this.#entries.set(key, { key, value, version: (expected ?? 0) + 1 });
    return true;
  }
}
