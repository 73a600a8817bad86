/**
 * The user's Kinesis client in shard processes and threads: the `workerClientModule` option names a
 * module whose named export `createKinesisClient(config)` builds the client a shard worker reads
 * with (custom retry strategy, proxy agent, logging middleware). Loaded once per process or thread.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ErrorCode, ValidationError } from '@kinesis-ts/core';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { KinesisApi } from '../kinesis-api.js';

/**
 * What a shard worker passes to the module's `createKinesisClient`: the main process's client
 * settings (region, endpoint, max attempts) and a credential provider that asks the main process
 * over IPC (`undefined`: none was resolvable there; the SDK chain applies). Spread it into your
 * `KinesisClient` config.
 */
export interface WorkerKinesisClientConfig {
  readonly region?: string;
  readonly endpoint?: string;
  readonly maxAttempts?: number;
  readonly credentials?: AwsCredentialIdentityProvider;
}

/** The shape of a `workerClientModule`: a named export `createKinesisClient`. */
export interface WorkerClientModule {
  /** Builds the Kinesis client of one shard reader (called once per shard a worker reads). */
  createKinesisClient(config: WorkerKinesisClientConfig): KinesisClient | Promise<KinesisClient>;
}

const OPTION = 'workerClientModule';

function invalid(message: string, value: unknown, cause?: unknown): ValidationError {
  return new ValidationError(ErrorCode.INVALID_ARGUMENT, `option ${OPTION} ${message}`, {
    context: { option: OPTION, value },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * The option as a `file:` URL (what `import()` takes on every platform).
 * @throws ValidationError unless it is an absolute path or a `file:` URL.
 */
export function workerClientModuleUrl(value: unknown): string {
  if (typeof value === 'string' && value.startsWith('file:')) {
    try {
      return new URL(value).href;
    } catch (error) {
      throw invalid('is not a valid file URL', value, error);
    }
  }
  if (typeof value === 'string' && value !== '' && isAbsolute(value)) return pathToFileURL(value).href;
  throw invalid('must be an absolute path or a file: URL of a module', value);
}

const loaded = new Map<string, Promise<WorkerClientModule['createKinesisClient']>>();

/**
 * Imports the module (once per process or thread) and returns its `createKinesisClient`.
 * @throws ValidationError naming `workerClientModule` when it cannot be imported or lacks the export.
 */
export function loadWorkerClientModule(url: string): Promise<WorkerClientModule['createKinesisClient']> {
  let loading = loaded.get(url);
  if (loading === undefined) {
    loading = (async () => {
      let module: Partial<WorkerClientModule>;
      try {
        // Left to Node at run time, also in bundles (webpack keeps it with this comment; esbuild does anyway).
        module = (await import(/* webpackIgnore: true */ url)) as Partial<WorkerClientModule>;
      } catch (error) {
        throw invalid(
          `could not be loaded (${url}): ${error instanceof Error ? error.message : String(error)}`,
          url,
          error,
        );
      }
      const create = module.createKinesisClient;
      if (typeof create !== 'function')
        throw invalid(`(${url}) has no named export createKinesisClient(config)`, url);
      return create.bind(module);
    })();
    // A failed load is not cached: the file may be fixed and the consumer started again.
    loading.catch(() => loaded.delete(url));
    loaded.set(url, loading);
  }
  return loading;
}

/** A worker's client from the module, behind a KinesisApi that waits for it. */
export interface ModuleClient {
  /** The Kinesis API over the client (calls wait for the module to load). */
  readonly api: KinesisApi;
  /** Destroys the client once built. */
  release(): void;
}

/**
 * Builds a shard worker's Kinesis API with the module's client; `adapt` turns the client into the
 * API (the consumer's `sdkKinesisApi`). A load or build failure rejects each call (the reader retries,
 * then fails the shard with it).
 */
export function moduleKinesisApi(
  url: string,
  config: WorkerKinesisClientConfig,
  adapt: (client: KinesisClient) => KinesisApi,
): ModuleClient {
  let client: KinesisClient | undefined;
  let released = false;
  const ready = (async () => {
    const create = await loadWorkerClientModule(url);
    const built = await create(config);
    if (built === null || typeof built !== 'object' || typeof (built as KinesisClient).send !== 'function')
      throw invalid(`(${url}): createKinesisClient() did not return a KinesisClient`, url);
    client = built;
    if (released) built.destroy();
    return adapt(built);
  })();
  ready.catch(() => {});
  return {
    api: {
      getShardIterator: async (input, signal) => (await ready).getShardIterator(input, signal),
      getRecords: async (input, signal) => (await ready).getRecords(input, signal),
      listShards: async (input, signal) => (await ready).listShards(input, signal),
    },
    release: () => {
      released = true;
      client?.destroy();
    },
  };
}
