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
 * condition, error, attempts, payload) as one line each. Groups are appended one after another (each
 * with one append), so their lines are never interleaved. Nothing is opened before the first failure.
 */
export function jsonLinesFileDestination(options: JsonLinesFileDestinationOptions): FailureDestination {
  const includeData = options.includeData ?? true;
  let dirReady: Promise<unknown> | null = null;
  /** Appends run one after another, so the lines of one group are never interleaved with another's. */
  let tail: Promise<void> = Promise.resolve();
  const append = async (text: string): Promise<void> => {
    dirReady ??= mkdir(dirname(options.path), { recursive: true }).catch((error: unknown) => {
      dirReady = null;
      throw error;
    });
    await dirReady;
    if (options.fsync === true) {
      const handle = await open(options.path, 'a');
      try {
        await handle.appendFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return;
    }
    await appendFile(options.path, text);
  };
  return {
    send(failed: FailedRecords): Promise<void> {
      const text = `${failedRecordDocuments(failed, includeData)
        .map((doc) => JSON.stringify(doc))
        .join('\n')}\n`;
      const written = tail.then(() => append(text));
      tail = written.catch(() => {});
      return written;
    },
  };
}
