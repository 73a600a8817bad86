/**
 * Entry of the background host process (forked by the process runner). It owns the buffer: records
 * arrive packed over IPC, acknowledgements go back per PutRecords response. Credentials are asked
 * from the parent and refreshed before they expire. When the channel breaks (the parent exited or was
 * killed), it flushes what it holds within `orphanFlushTimeout`, then exits. Terminal signals sent to
 * the process group (Ctrl-C) are ignored: the host is detached and ends by its channel.
 */

import { ErrorCode, isKinesisTsError, type Logger, silentLogger } from '@kinesis-ts/core';
import type { RecordAck } from '../acks.js';
import type { RecordFailure } from '../errors.js';
import { sdkKinesisApi } from '../kinesis-api.js';
import { createKinesisClient } from '../kinesis-client.js';
import { ProducerPipeline } from '../pipeline.js';
import { type ChildMessage, type ParentMessage, packAcks, unpackRecords } from './protocol.js';

type Credentials = {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
};

/** Refresh credentials this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});

function post(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

let pipeline: ProducerPipeline | undefined;
let orphanFlushTimeout = 30_000;
let rid = 0;
const credentialRequests = new Map<number, { resolve(c: Credentials): void; reject(e: Error): void }>();
let cached: Credentials | undefined;
let refreshing: Promise<Credentials> | undefined;
let refreshTimer: NodeJS.Timeout | undefined;

function askParent(): Promise<Credentials> {
  return new Promise<Credentials>((resolve, reject) => {
    if (!process.connected) {
      reject(new Error('credentials unavailable: the producer process is gone'));
      return;
    }
    const id = ++rid;
    credentialRequests.set(id, { resolve, reject });
    post({ t: 'credentials', rid: id });
  });
}

function refreshCredentials(): Promise<Credentials> {
  refreshing ??= askParent()
    .then((credentials) => {
      cached = credentials;
      if (refreshTimer !== undefined) clearTimeout(refreshTimer);
      if (credentials.expiration instanceof Date) {
        const wait = Math.max(1000, credentials.expiration.getTime() - Date.now() - REFRESH_MARGIN_MS);
        refreshTimer = setTimeout(() => void refreshCredentials().catch(() => {}), wait);
        refreshTimer.unref();
      }
      return credentials;
    })
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

async function credentialProvider(): Promise<Credentials> {
  const c = cached;
  if (c !== undefined && (!(c.expiration instanceof Date) || c.expiration.getTime() - Date.now() > 60_000))
    return c;
  try {
    return await refreshCredentials();
  } catch (error) {
    if (c !== undefined && (!(c.expiration instanceof Date) || c.expiration.getTime() > Date.now())) return c;
    throw error;
  }
}

function forwardingLogger(): Logger {
  const send =
    (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, context?: Record<string, unknown>) =>
      post({ t: 'log', level, message, context });
  return { debug: send('debug'), info: send('info'), warn: send('warn'), error: send('error') };
}

function wireError(error: unknown): RecordFailure {
  if (isKinesisTsError(error))
    return { code: error.code, message: error.message, context: { ...error.context } };
  return { code: ErrorCode.KINESIS_REQUEST_FAILED, message: String(error), context: {} };
}

function reply(id: number, work: () => Promise<unknown>): void {
  work().then(
    (value) => post({ t: 'reply', rid: id, ok: true, value }),
    (error: unknown) => post({ t: 'reply', rid: id, ok: false, value: wireError(error) }),
  );
}

function onMessage(message: ParentMessage): void {
  switch (message.t) {
    case 'init': {
      orphanFlushTimeout = message.orphanFlushTimeout;
      const client = createKinesisClient({
        ...(message.client.region === undefined ? {} : { region: message.client.region }),
        ...(message.client.endpoint === undefined ? {} : { endpoint: message.client.endpoint }),
        ...(message.client.maxAttempts === undefined ? {} : { maxAttempts: message.client.maxAttempts }),
        credentials: credentialProvider,
      });
      pipeline = new ProducerPipeline(
        sdkKinesisApi(client),
        message.options,
        {
          settled: (acks: RecordAck[]) => post({ t: 'acks', acks: packAcks(acks) }),
          event: (event) => post({ t: 'event', event }),
        },
        { logger: message.forwardLogs ? forwardingLogger() : silentLogger },
      );
      break;
    }
    case 'start':
      reply(message.rid, () => pipeline!.start());
      break;
    case 'put': {
      const records = unpackRecords(message.records);
      try {
        pipeline!.add(records);
      } catch (error) {
        // Not started or already closed: fail these records rather than lose them silently.
        const failure = wireError(error);
        post({
          t: 'acks',
          acks: packAcks(records.map((r): RecordAck => ({ id: r.id, failure }))),
        });
      }
      break;
    }
    case 'flush':
      reply(message.rid, () => pipeline!.flush(message.upToId));
      break;
    case 'close':
      reply(message.rid, () => pipeline!.close());
      break;
    case 'credentials': {
      const waiting = credentialRequests.get(message.rid);
      credentialRequests.delete(message.rid);
      if (message.ok) waiting?.resolve(message.value as Credentials);
      else
        waiting?.reject(new Error((message.value as { message?: string }).message ?? 'credentials failed'));
      break;
    }
  }
}

process.on('message', onMessage);

process.on('disconnect', () => {
  for (const waiting of credentialRequests.values())
    waiting.reject(new Error('the producer process is gone'));
  credentialRequests.clear();
  const deadline = setTimeout(() => process.exit(0), orphanFlushTimeout);
  const done = pipeline === undefined ? Promise.resolve() : pipeline.close();
  done.then(
    () => {
      clearTimeout(deadline);
      process.exit(0);
    },
    () => process.exit(1),
  );
});
