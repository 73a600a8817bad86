/**
 * Helpers of the producer scenarios: read back user records (bare SDK reader + core deaggregation) and
 * a fault that fails chosen PutRecords entries while forwarding the rest (a real partial failure).
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { deaggregate, type KinesisRecord } from '@kinesis-ts/core';
import type { Fault } from '../src/fault-proxy.js';
import { readAllRecords } from '../src/read-all-records.js';

/** Every user record in the stream, deaggregated, in shard order. */
export async function readUserRecords(client: KinesisClient, stream: string): Promise<KinesisRecord[]> {
  const raw = await readAllRecords(client, stream);
  return raw.flatMap((r) =>
    deaggregate({
      data: r.Data!,
      partitionKey: r.PartitionKey!,
      sequenceNumber: r.SequenceNumber!,
      shardId: r.shardId,
      approximateArrivalTimestamp: r.ApproximateArrivalTimestamp ?? new Date(0),
    }),
  );
}

interface PutRecordsBody {
  StreamName: string;
  Records: { Data: string; PartitionKey: string; ExplicitHashKey?: string }[];
}

/**
 * A `respond` fault for PutRecords: entries for which `fail(entry data, index)` is true get
 * `errorCode` and never reach the emulator; the others are forwarded and answered by it.
 */
export function partialPutRecordsFailure(
  fail: (data: Buffer, index: number) => boolean,
  errorCode = 'ProvisionedThroughputExceededException',
): Fault {
  return {
    kind: 'respond',
    respond: async (request, forward) => {
      const body = request.json<PutRecordsBody>();
      const failing = body.Records.map((r, i) => fail(Buffer.from(r.Data, 'base64'), i));
      const kept = body.Records.filter((_, i) => !failing[i]);
      let upstream: { Records: Record<string, unknown>[] } = { Records: [] };
      if (kept.length > 0) {
        const answer = await forward(JSON.stringify({ ...body, Records: kept }));
        if (answer.status !== 200)
          return { status: answer.status, headers: answer.headers, body: answer.body };
        upstream = JSON.parse(answer.body.toString('utf8')) as typeof upstream;
      }
      let next = 0;
      const records = failing.map((failed) =>
        failed
          ? { ErrorCode: errorCode, ErrorMessage: 'injected partial failure' }
          : upstream.Records[next++]!,
      );
      const failedCount = records.filter((r) => 'ErrorCode' in r && r.ErrorCode !== undefined).length;
      return {
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({ FailedRecordCount: failedCount, Records: records }),
      };
    },
  };
}

/** Pids of processes whose environment carries `marker` (Linux /proc; empty elsewhere). */
export function pidsWithMarker(marker: string): number[] {
  if (!existsSync('/proc')) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`PRODUCER_TEST_MARKER=${marker}`))
        pids.push(Number(entry));
    } catch {
      // gone or not ours
    }
  }
  return pids;
}
