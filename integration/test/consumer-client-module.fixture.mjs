/**
 * A `workerClientModule` for consumer-client-module.test.ts: builds the shard workers' Kinesis client
 * the way an application would (its own HTTP handler and a middleware), tags every request with the
 * worker's pid and thread id, and appends one line per call to the file named by
 * KINESIS_TS_CLIENT_MODULE_LOG.
 */
import { appendFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { threadId } from 'node:worker_threads';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export function createKinesisClient(config) {
  const client = new KinesisClient({
    ...config,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true }) }),
  });
  const tag = `${process.pid}/${threadId}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      args.request.headers['x-client-module'] = tag;
      const log = process.env.KINESIS_TS_CLIENT_MODULE_LOG;
      if (log) appendFileSync(log, `${tag} ${context.commandName} ${config.credentials ? 'ipc' : 'chain'}\n`);
      return next(args);
    },
    { step: 'build', name: 'clientModuleTag' },
  );
  return client;
}
