/**
 * Predicts which shard a hash key lands on, from the stream's open shards (ListShards).
 */

import { findShardForHashKey, type Logger, silentLogger } from '@kinesis-ts/core';
import type { KinesisApi, ShardInfo } from './kinesis-api.js';

/** An open shard as the map knows it. */
export interface PredictedShard {
  /** The shard id. */
  readonly shardId: string;
  /** Its inclusive hash key range. */
  readonly hashKeyRange: ShardInfo['hashKeyRange'];
}

/**
 * The hash ranges of the stream's open shards. `refresh()` is single-flight; callers ask for one when
 * a record lands on a shard other than the predicted one (resharding happened).
 */
export class ShardMap {
  readonly #api: KinesisApi;
  readonly #streamName: string;
  readonly #logger: Logger;
  #shards: PredictedShard[] = [];
  #version = 0;
  #refreshing: Promise<void> | undefined;

  constructor(api: KinesisApi, streamName: string, logger: Logger = silentLogger) {
    this.#api = api;
    this.#streamName = streamName;
    this.#logger = logger;
  }

  /** Bumped on every successful refresh; lets callers tell whether a prediction predates one. */
  get version(): number {
    return this.#version;
  }

  /** The open shards, sorted by starting hash key. */
  get shards(): readonly PredictedShard[] {
    return this.#shards;
  }

  /** Loads (or reloads) the open shards. Concurrent calls share one ListShards pass. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#load().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #load(): Promise<void> {
    const all = await this.#api.listShards(this.#streamName);
    const open = all
      .filter((s) => s.open)
      .map((s) => ({ shardId: s.shardId, hashKeyRange: s.hashKeyRange }))
      .sort((a, b) => (a.hashKeyRange.startingHashKey < b.hashKeyRange.startingHashKey ? -1 : 1));
    this.#shards = open;
    this.#version++;
    this.#logger.debug('shard map loaded', { streamName: this.#streamName, openShards: open.length });
  }

  /** The open shard that owns `hashKey`, or `undefined` when the map has none (not loaded, or a gap). */
  predict(hashKey: bigint): PredictedShard | undefined {
    return findShardForHashKey(this.#shards, hashKey);
  }
}
