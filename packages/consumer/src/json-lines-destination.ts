/**
 * A failure destination that appends one JSON line per failed record to a local file.
 */
import { appendFile, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type FailedRecords, type FailureDestination, failedRecordDocuments } from './failure-destination.js';

/** Options of {@link jsonLinesFileDestination}. */
export interface JsonLinesFileDestinationOptions {
  /** The file; created (with its directory) on the first failure, appended to after. */
  readonly path: string;
  /** Write each record's payload (base64) into its line. Default `true`. */
  readonly includeData?: boolean;
  /** `fsync` after every append, so an accepted record survives a power cut. Default `false`. */
  readonly fsync?: boolean;
}

/**
 * Appends one JSON document per failed record (`FailedRecordDocument`: shard, sequence numbers,
 * condition, error, attempts, payload) as one line each. A group is written with one append, so its
 * lines are never interleaved with another shard's. Nothing is opened before the first failure.
 */
export function jsonLinesFileDestination(options: JsonLinesFileDestinationOptions): FailureDestination {
  const includeData = options.includeData ?? true;
  let dirReady: Promise<unknown> | null = null;
  return {
    async send(failed: FailedRecords): Promise<void> {
      const text = failedRecordDocuments(failed, includeData)
        .map((doc) => JSON.stringify(doc))
        .join('\n');
      dirReady ??= mkdir(dirname(options.path), { recursive: true }).catch((error: unknown) => {
        dirReady = null;
        throw error;
      });
      await dirReady;
      if (options.fsync === true) {
        const handle = await open(options.path, 'a');
        try {
          await handle.appendFile(`${text}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        return;
      }
      await appendFile(options.path, `${text}\n`);
    },
  };
}
