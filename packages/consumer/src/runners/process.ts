/**
 * The process runner's launcher (default runner): a pooled worker is an OS process forked with
 * `advanced` serialization; each GetRecords batch crosses as one message with its payloads packed
 * into one buffer.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { childExecArgv } from '@kinesis-ts/core';
import { workerEnvironment } from './child-env.js';
import type { PooledWorker, PooledWorkerLauncher } from './pooled-worker.js';
import type { FromPooledWorkerMessage, ToPooledWorkerMessage } from './transport.js';

/** Forks shard processes running the worker script (see `resolveWorkerScript`). */
export function processLauncher(script: string): PooledWorkerLauncher {
  return (): PooledWorker => {
    const child: ChildProcess = fork(script, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: workerEnvironment(),
      // The parent's warning settings (e.g. --no-warnings); NODE_OPTIONS comes with the environment.
      execArgv: childExecArgv(),
    });
    let onMessage: ((message: FromPooledWorkerMessage) => void) | null = null;
    let onExit: ((reason: string) => void) | null = null;
    let exited = false;
    const exit = (reason: string): void => {
      if (exited) return;
      exited = true;
      onExit?.(reason);
    };
    child.on('message', (message) => onMessage?.(message as FromPooledWorkerMessage));
    child.on('error', (error) => {
      // Spawn failures; IPC write errors to a dying child are followed by 'exit'.
      if (child.pid === undefined) exit(`spawn failed: ${error.message}`);
    });
    child.on('exit', (code, signal) => {
      exit(`shard process ${String(child.pid)} exited (code ${String(code)}, signal ${String(signal)})`);
    });
    return {
      pid: child.pid,
      send: (message: ToPooledWorkerMessage) => {
        if (exited || !child.connected) return;
        child.send(message, (error) => {
          if (error !== null && error !== undefined && !exited) child.kill('SIGKILL');
        });
      },
      onMessage: (listener) => {
        onMessage = listener;
      },
      onExit: (listener) => {
        onExit = listener;
      },
      end: () => {
        // The worker exits when its channel closes.
        if (!exited && child.connected) child.disconnect();
      },
      kill: () => {
        if (!exited) child.kill('SIGKILL');
      },
    };
  };
}
