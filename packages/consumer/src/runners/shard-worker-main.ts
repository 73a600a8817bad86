/**
 * Entry of a shard process (forked) or shard thread: wires the transport to the parent and runs the
 * shard worker with its own Kinesis client. Built as a separate file (`dist/shard-worker-main.*`).
 */
import { parentPort } from 'node:worker_threads';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { transferables } from '../batch-codec.js';
import { fanOutSourceFactory, workerFanOutApi } from '../fan-out/fan-out-factory.js';
import { sdkKinesisApi, workerKinesisClient } from '../kinesis-client.js';
import { runShardWorker } from './shard-worker.js';
import type { FromWorkerMessage, ToWorkerMessage, WorkerPort } from './transport.js';

function processPort(): WorkerPort {
  const send = process.send?.bind(process);
  if (send === undefined)
    throw new Error('shard-worker-main must be started by the consumer (fork or worker thread)');
  // The parent died or closed the channel: nothing is left to read for.
  process.on('disconnect', () => process.exit(0));
  let last: Promise<void> = Promise.resolve();
  return {
    send: (message: FromWorkerMessage) => {
      if (!process.connected) return;
      last = new Promise<void>((resolve) => {
        send(message, undefined, undefined, () => resolve());
      });
    },
    onMessage: (listener) => {
      process.on('message', (message) => listener(message as ToWorkerMessage));
    },
    close: () => {
      void last.then(() => process.exit(0));
    },
  };
}

function threadPort(): WorkerPort {
  const port = parentPort!;
  return {
    send: (message: FromWorkerMessage) => {
      // Batches move to the main thread without a copy.
      if (message.type === 'batch' && message.packed !== null)
        port.postMessage(message, transferables(message.packed));
      else port.postMessage(message);
    },
    onMessage: (listener) => {
      port.on('message', (message) => listener(message as ToWorkerMessage));
    },
    close: () => {
      port.close();
      process.exit(0);
    },
  };
}

let client: KinesisClient | undefined;
let fanOutClient: { destroy(): void } | undefined;
const port = parentPort === null ? processPort() : threadPort();
const closePort = port.close;
void runShardWorker({
  pack: true,
  port: {
    ...port,
    close: () => {
      client?.destroy();
      fanOutClient?.destroy();
      closePort();
    },
  },
  fanOutSourceFactory: (fanOut, config, credentials) => {
    const subscriber = workerFanOutApi(config, credentials, fanOut.http);
    fanOutClient = subscriber;
    return fanOutSourceFactory(subscriber.api, fanOut);
  },
  apiFactory: (config, credentials) => {
    client = workerKinesisClient(config, credentials);
    return sdkKinesisApi(client);
  },
});
