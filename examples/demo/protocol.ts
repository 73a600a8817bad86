/**
 * What a demo consumer instance tells the demo (one JSON object per stdout line), and the config the
 * demo gives it (one JSON argument).
 */

/** Endpoints, region and credentials of the run; `undefined` fields fall back to the SDK default chain. */
export interface Connection {
  readonly region: string;
  readonly kinesisEndpoint: string | undefined;
  readonly dynamodbEndpoint: string | undefined;
  readonly credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/** The argument of `consumer-instance.ts`. */
export interface InstanceConfig {
  readonly connection: Connection;
  readonly streamName: string;
  readonly tableName: string;
  readonly consumerGroup: string;
  readonly instanceId: string;
  /** Marks this run's records (`<runId> <id> ...`); other records in the stream are skipped. */
  readonly runId: string;
  readonly failoverTimeMs: number;
  readonly leaseScanIntervalMs: number;
  readonly checkpointRecords: number;
  readonly checkpointMs: number;
}

/** A line an instance prints. */
export type InstanceMessage =
  | { readonly t: 'started'; readonly instanceId: string; readonly pid: number }
  /** Record ids of this run consumed from a shard since the previous `records` line. */
  | { readonly t: 'records'; readonly shardId: string; readonly ids: number[] }
  | {
      readonly t: 'status';
      readonly owned: string[];
      readonly shardPids: Record<string, number>;
      /** `millisBehindLatest` of the last GetRecords call of each owned shard. */
      readonly lag: Record<string, number>;
      /** Records of other runs skipped so far. */
      readonly foreign: number;
    }
  | {
      readonly t: 'lease';
      readonly event: 'acquired' | 'lost' | 'released';
      readonly shardId: string;
      readonly detail: string;
    }
  | { readonly t: 'error'; readonly code: string; readonly message: string }
  | { readonly t: 'closed' };

/** The payload of record `id` of run `runId`, padded to about `size` bytes. */
export function recordPayload(runId: string, id: number, size: number): string {
  const head = `${runId} ${id} `;
  return head.length >= size ? head : head + '.'.repeat(size - head.length);
}

/** The record id of a payload of run `runId`, or `undefined` for a record of another run. */
export function parsePayload(runId: string, text: string): number | undefined {
  const space = text.indexOf(' ');
  if (space < 0 || text.slice(0, space) !== runId) return undefined;
  const id = Number.parseInt(text.slice(space + 1), 10);
  return Number.isInteger(id) && id >= 0 ? id : undefined;
}
