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

  /**
   * Bumped when a refresh finds different open shards; lets callers tell whether a prediction was made
   * with the current map (a record that lands elsewhere then means the map is stale).
   */
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
    const same =
      open.length === this.#shards.length &&
      open.every((shard, i) => {
        const known = this.#shards[i]!;
        return (
          known.shardId === shard.shardId &&
          known.hashKeyRange.startingHashKey === shard.hashKeyRange.startingHashKey &&
          known.hashKeyRange.endingHashKey === shard.hashKeyRange.endingHashKey
        );
      });
    if (same && this.#version > 0) return;
    this.#shards = open;
    this.#version++;
    this.#logger.debug('shard map loaded', { streamName: this.#streamName, openShards: open.length });
  }

  /** The open shard that owns `hashKey`, or `undefined` when the map has none (not loaded, or a gap). */
  predict(hashKey: bigint): PredictedShard | undefined {
    return findShardForHashKey(this.#shards, hashKey);
  }
}
