/**
 * Entry of a pooled shard process (forked) or shard thread: wires the transport to the parent and
 * serves one lane (shard reader with its own Kinesis client) per shard the pool assigns to it. Built as
 * a separate file (`dist/shard-worker-main.*`).
 */
import { parentPort } from 'node:worker_threads';
import { transferables } from '../batch-codec.js';
import { fanOutSourceFactory, workerFanOutApi } from '../fan-out/fan-out-factory.js';
import { sdkKinesisApi, workerCredentialProvider, workerKinesisClient } from '../kinesis-client.js';
import type { FromPooledWorkerMessage, ToPooledWorkerMessage } from './transport.js';
import { moduleKinesisApi } from './worker-client-module.js';
import { runWorkerHost, type WorkerHostPort } from './worker-host.js';

function processPort(): WorkerHostPort {
  const send = process.send?.bind(process);
  if (send === undefined)
    throw new Error('shard-worker-main must be started by the consumer (fork or worker thread)');
  // The parent died, or ended this idle worker: nothing is left to read for.
  process.on('disconnect', () => process.exit(0));
  return {
    send: (message: FromPooledWorkerMessage) => {
      if (process.connected) send(message);
    },
    onMessage: (listener) => {
      process.on('message', (message) => listener(message as ToPooledWorkerMessage));
    },
  };
}

function threadPort(): WorkerHostPort {
  const port = parentPort!;
  return {
    send: (message: FromPooledWorkerMessage) => {
      // Batches move to the main thread without a copy.
      if (message.type === 'lane' && message.message.type === 'batch' && message.message.packed !== null)
        port.postMessage(message, transferables(message.message.packed));
      else port.postMessage(message);
    },
    onMessage: (listener) => {
      port.on('message', (message) => listener(message as ToPooledWorkerMessage));
    },
  };
}

runWorkerHost({
  port: parentPort === null ? processPort() : threadPort(),
  lane: () => {
    let client: { destroy(): void } | undefined;
    let fanOutClient: { destroy(): void } | undefined;
    return {
      options: {
        pack: true,
        fanOutSourceFactory: (fanOut, config, credentials) => {
          const subscriber = workerFanOutApi(config, credentials, fanOut.http);
          fanOutClient = subscriber;
          return fanOutSourceFactory(subscriber.api, fanOut);
        },
        apiFactory: (config, credentials) => {
          if (config.clientModule !== undefined) {
            // The user's client (their middleware, retry strategy, agent), built by their module.
            const provider = workerCredentialProvider(credentials);
            const built = moduleKinesisApi(
              config.clientModule,
              {
                ...(config.region === undefined ? {} : { region: config.region }),
                ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
                ...(config.maxAttempts === undefined ? {} : { maxAttempts: config.maxAttempts }),
                ...(provider === undefined ? {} : { credentials: provider }),
              },
              (c) => sdkKinesisApi(c),
            );
            client = { destroy: built.release };
            return built.api;
          }
          const sdk = workerKinesisClient(config, credentials);
          client = sdk;
          return sdkKinesisApi(sdk);
        },
      },
      release: () => {
        client?.destroy();
        fanOutClient?.destroy();
      },
    };
  },
});
