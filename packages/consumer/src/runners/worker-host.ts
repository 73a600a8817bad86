/**
 * The worker side of a pooled shard process or thread: each `start` for a new lane opens one shard
 * reader ({@link runShardWorker}) on a port of its own; every message to and from the main process
 * carries its lane id, and a lane's end is confirmed with `closed`. One reader per shard, many shards
 * per worker; still one message per GetRecords batch.
 */
import { runShardWorker, type ShardWorkerOptions } from './shard-worker.js';
import type { FromPooledWorkerMessage, ToPooledWorkerMessage, ToWorkerMessage } from './transport.js';

/** The pooled worker's channel to the main process. */
export interface WorkerHostPort {
  /** Sends a message to the main process. */
  send(message: FromPooledWorkerMessage): void;
  /** Registers the message listener (one). */
  onMessage(listener: (message: ToPooledWorkerMessage) => void): void;
}

/** What one lane needs: the reader's options and a release for what they hold (SDK clients). */
export interface LaneSetup {
  /** Options of the lane's {@link runShardWorker} (its port is the host's). */
  readonly options: Omit<ShardWorkerOptions, 'port'>;
  /** Called once when the lane closed. */
  release(): void;
}

/** Options of {@link runWorkerHost}. */
export interface WorkerHostOptions {
  /** The channel to the main process. */
  readonly port: WorkerHostPort;
  /** Builds a lane's options (called when its `start` arrives). */
  readonly lane: (lane: number) => LaneSetup;
}

/** A running host. */
export interface WorkerHost {
  /** Lanes whose reader has not closed yet. */
  readonly openLanes: number;
}

interface LaneEntry {
  listener: ((message: ToWorkerMessage) => void) | null;
}

/** Serves lanes on `port` until the process or thread ends. */
export function runWorkerHost(options: WorkerHostOptions): WorkerHost {
  const { port } = options;
  const lanes = new Map<number, LaneEntry>();

  const open = (id: number): LaneEntry => {
    const entry: LaneEntry = { listener: null };
    const setup = options.lane(id);
    let closed = false;
    lanes.set(id, entry);
    void runShardWorker({
      ...setup.options,
      port: {
        send: (message) => {
          if (!closed) port.send({ type: 'lane', lane: id, message });
        },
        onMessage: (listener) => {
          entry.listener = listener;
        },
        close: () => {
          if (closed) return;
          closed = true;
          lanes.delete(id);
          setup.release();
          port.send({ type: 'closed', lane: id });
        },
      },
    });
    return entry;
  };

  port.onMessage((envelope) => {
    if (envelope.type !== 'lane') return;
    let entry = lanes.get(envelope.lane);
    if (entry === undefined) {
      // A late message (credit, stop) for a lane that already closed.
      if (envelope.message.type !== 'start') return;
      entry = open(envelope.lane);
    }
    entry.listener?.(envelope.message);
  });

  return {
    get openLanes() {
      return lanes.size;
    },
  };
}
