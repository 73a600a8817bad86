/**
 * The thread runner: one worker thread per owned shard, same worker script and messages as the
 * process runner.
 */
import { Worker } from 'node:worker_threads';
import { workerEnvironment } from './child-env.js';
import type { FromWorkerMessage, ShardRunner, ShardWorkerHandle, ToWorkerMessage } from './transport.js';

/** Starts a worker thread per shard running the shard worker script. */
export class ThreadRunner implements ShardRunner {
  readonly kind = 'thread' as const;
  readonly #script: string;

  /** @param script Path of `shard-worker-main` (see `resolveWorkerScript`). */
  constructor(script: string) {
    this.#script = script;
  }

  spawn(shardId: string): ShardWorkerHandle {
    const worker = new Worker(this.#script, {
      env: workerEnvironment(),
      argv: ['--shard', shardId],
      execArgv: [],
      workerData: { kinesisTsShardWorker: true },
    });
    let onMessage: ((message: FromWorkerMessage) => void) | null = null;
    let onExit: ((reason: string | null) => void) | null = null;
    let stopping = false;
    let exited = false;
    let failure: string | null = null;
    const exit = (reason: string | null): void => {
      if (exited) return;
      exited = true;
      onExit?.(reason);
    };
    worker.on('message', (message) => onMessage?.(message as FromWorkerMessage));
    worker.on('error', (error) => {
      failure = `shard thread failed: ${error.message}`;
    });
    worker.on('exit', (code) => {
      exit(failure ?? (stopping && code === 0 ? null : `shard thread exited (code ${code})`));
    });
    return {
      send: (message: ToWorkerMessage) => {
        if (exited) return;
        if (message.type === 'stop') stopping = true;
        worker.postMessage(message);
      },
      onMessage: (listener) => {
        onMessage = listener;
      },
      onExit: (listener) => {
        onExit = listener;
      },
      kill: () => {
        if (!exited) void worker.terminate();
      },
    };
  }
}
