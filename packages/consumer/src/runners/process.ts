/**
 * The process runner (default): one OS process per owned shard, forked with `advanced` serialization;
 * each GetRecords batch crosses as one message with its payloads packed into one buffer.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { workerEnvironment } from './child-env.js';
import type { FromWorkerMessage, ShardRunner, ShardWorkerHandle, ToWorkerMessage } from './transport.js';

/** Forks a process per shard running the shard worker script. */
export class ProcessRunner implements ShardRunner {
  readonly kind = 'process' as const;
  readonly #script: string;

  /** @param script Path of `shard-worker-main` (see `resolveWorkerScript`). */
  constructor(script: string) {
    this.#script = script;
  }

  spawn(shardId: string): ShardWorkerHandle {
    const child: ChildProcess = fork(this.#script, ['--shard', shardId], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: workerEnvironment(),
      execArgv: [],
    });
    let onMessage: ((message: FromWorkerMessage) => void) | null = null;
    let onExit: ((reason: string | null) => void) | null = null;
    let stopping = false;
    let exited = false;
    const exit = (reason: string | null): void => {
      if (exited) return;
      exited = true;
      onExit?.(reason);
    };
    child.on('message', (message) => onMessage?.(message as FromWorkerMessage));
    child.on('error', (error) => {
      // Spawn failures; IPC write errors to a dying child are followed by 'exit'.
      if (child.pid === undefined) exit(`spawn failed: ${error.message}`);
    });
    child.on('exit', (code, signal) => {
      exit(
        stopping && code === 0
          ? null
          : `shard process exited (code ${String(code)}, signal ${String(signal)})`,
      );
    });
    return {
      pid: child.pid,
      send: (message: ToWorkerMessage) => {
        if (exited || !child.connected) return;
        if (message.type === 'stop') stopping = true;
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
      kill: () => {
        if (!exited) child.kill('SIGKILL');
      },
    };
  }
}
