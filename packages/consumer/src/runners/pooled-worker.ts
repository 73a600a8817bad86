/**
 * One pooled worker (a child process or a worker thread that reads several shards) as the pool sees
 * it, and the launcher contract the process and thread runners implement.
 */
import type { FromPooledWorkerMessage, ToPooledWorkerMessage } from './transport.js';

/** A started pooled worker. */
export interface PooledWorker {
  /** OS process id (process runner). */
  readonly pid?: number | undefined;
  /** Sends a message (dropped after exit; a failed write ends the worker). */
  send(message: ToPooledWorkerMessage): void;
  /** Registers the message listener (one). */
  onMessage(listener: (message: FromPooledWorkerMessage) => void): void;
  /** Registers the exit listener (one): called once, with a description of how it ended. */
  onExit(listener: (reason: string) => void): void;
  /** Asks an idle worker to exit (closes its channel); it exits once it has nothing left to do. */
  end(): void;
  /** Ends the worker at once (SIGKILL / terminate). */
  kill(): void;
}

/** Starts one pooled worker running the worker script. */
export type PooledWorkerLauncher = () => PooledWorker;
