/**
 * The inline runner: shard readers run on the main event loop, behind the same message transport
 * as the process and thread runners (messages are passed as objects, one microtask apart).
 */
import type { Clock } from '@kinesis-ts/core';
import type { KinesisApi } from '../kinesis-api.js';
import { runShardWorker, type ShardWorkerOptions } from './shard-worker.js';
import type { FromWorkerMessage, ShardRunner, ShardWorkerHandle, ToWorkerMessage } from './transport.js';

/** Options of {@link InlineRunner}. */
export interface InlineRunnerOptions {
  /** The Kinesis API the readers use (the consumer's client). */
  readonly api: KinesisApi;
  /** The consumer's clock (drives polling intervals). */
  readonly clock: Clock;
  /** Replaces the polling source (tests, enhanced fan-out). */
  readonly sourceFactory?: ShardWorkerOptions['sourceFactory'];
}

/** Runs each shard reader in the main process. */
export class InlineRunner implements ShardRunner {
  readonly kind = 'inline' as const;
  readonly #options: InlineRunnerOptions;

  constructor(options: InlineRunnerOptions) {
    this.#options = options;
  }

  spawn(_shardId: string): ShardWorkerHandle {
    let toMain: ((message: FromWorkerMessage) => void) | null = null;
    let toWorker: ((message: ToWorkerMessage) => void) | null = null;
    let onExit: ((reason: string | null) => void) | null = null;
    let exited = false;
    const exit = (reason: string | null): void => {
      if (exited) return;
      exited = true;
      queueMicrotask(() => onExit?.(reason));
    };
    const pending: ToWorkerMessage[] = [];
    const worker = runShardWorker({
      pack: false,
      clock: this.#options.clock,
      apiFactory: () => this.#options.api,
      sourceFactory: this.#options.sourceFactory,
      port: {
        send: (message) => {
          if (exited) return;
          queueMicrotask(() => {
            if (!exited) toMain?.(message);
          });
        },
        onMessage: (listener) => {
          toWorker = listener;
          for (const message of pending.splice(0)) listener(message);
        },
        close: () => {},
      },
    });
    worker.then(() => exit(null));
    return {
      send: (message) => {
        if (exited) return;
        queueMicrotask(() => {
          if (exited) return;
          if (toWorker === null) pending.push(message);
          else toWorker(message);
        });
      },
      onMessage: (listener) => {
        toMain = listener;
      },
      onExit: (listener) => {
        onExit = listener;
      },
      kill: () => {
        if (exited) return;
        toWorker?.({ type: 'stop' });
        exit('killed');
      },
    };
  }

  /** Nothing to end: inline readers stop with their sessions. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
