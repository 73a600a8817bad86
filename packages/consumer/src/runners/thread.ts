/**
 * The thread runner's launcher: a pooled worker is a worker thread running the same worker script
 * and messages as the process runner (batches move without a copy).
 */
import { Worker } from 'node:worker_threads';
import { childExecArgv } from '@kinesis-ts/core';
import { workerEnvironment } from './child-env.js';
import type { PooledWorker, PooledWorkerLauncher } from './pooled-worker.js';
import type { FromPooledWorkerMessage, ToPooledWorkerMessage } from './transport.js';

/** Starts shard threads running the worker script (see `resolveWorkerScript`). */
export function threadLauncher(script: string): PooledWorkerLauncher {
  return (): PooledWorker => {
    const worker = new Worker(script, {
      env: workerEnvironment(),
      // The parent's warning settings (e.g. --no-warnings); NODE_OPTIONS comes with the environment.
      execArgv: childExecArgv(),
      workerData: { kinesisTsShardWorker: true },
    });
    const threadId = worker.threadId;
    let onMessage: ((message: FromPooledWorkerMessage) => void) | null = null;
    let onExit: ((reason: string) => void) | null = null;
    let exited = false;
    let failure: string | null = null;
    const exit = (reason: string): void => {
      if (exited) return;
      exited = true;
      onExit?.(reason);
    };
    worker.on('message', (message) => onMessage?.(message as FromPooledWorkerMessage));
    worker.on('error', (error) => {
      failure = `shard thread failed: ${error.message}`;
    });
    worker.on('exit', (code) => {
      exit(failure ?? `shard thread ${threadId} exited (code ${code})`);
    });
    return {
      send: (message: ToPooledWorkerMessage) => {
        if (!exited) worker.postMessage(message);
      },
      onMessage: (listener) => {
        onMessage = listener;
      },
      onExit: (listener) => {
        onExit = listener;
      },
      // An idle thread holds no reader and no client: ending it at once loses nothing.
      end: () => {
        if (!exited) void worker.terminate();
      },
      kill: () => {
        if (!exited) void worker.terminate();
      },
    };
  };
}
