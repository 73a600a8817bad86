/**
 * Entry of the background host process (forked by the process runner). It owns the buffer: records
 * arrive packed over IPC, acknowledgements go back per PutRecords response. Credentials are asked
 * from the parent and refreshed before they expire. When the channel breaks (the parent exited or was
 * killed: a `'disconnect'`, or a failed send such as `EPIPE`), it stops talking to the parent, sends
 * what it holds (records still expire after `recordTtl`; the whole flush is capped by
 * `orphanFlushTimeout`), then exits. Terminal signals sent to the process group (Ctrl-C) are ignored:
 * the host is detached and ends by its channel.
 */

import {
  ErrorCode,
  isKinesisTsError,
  KinesisTsError,
  type Logger,
  silentLogger,
  type TransferableError,
  toTransferableError,
  toTransferableLogContext,
} from '@kinesis-ts/core';
import type { RecordAck } from '../acks.js';
import type { RecordFailure } from '../errors.js';
import { sdkKinesisApi } from '../kinesis-api.js';
import { createKinesisClient } from '../kinesis-client.js';
import { ProducerPipeline } from '../pipeline.js';
import { HostAckMarks } from '../spool/host-ack-marks.js';
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

/** Set once a send to the parent failed or the channel closed: nothing is sent to it any more. */
let silenced = false;
/** Set once the channel closed: the host flushes what it holds and exits. */
let orphaned = false;
/** Fallback after a failed send, in case no `'disconnect'` follows (it always should). */
let silencedTimer: NodeJS.Timeout | undefined;

/** How long to wait for the channel's end of file after a failed send before flushing anyway. */
const DISCONNECT_AFTER_SEND_FAILURE_MS = 5000;

/**
 * Stops talking to a parent that is gone. The channel stays open for reading: messages the parent
 * wrote before it died (records `accepted()` already covered) are still buffered in it, and are read
 * before the end of file that raises `'disconnect'`, which starts the orphan flush.
 */
function silence(reason: string): void {
  if (silenced) return;
  silenced = true;
  ackMarks?.orphaned();
  silencedTimer = setTimeout(
    () => becomeOrphan(`no disconnect after: ${reason}`),
    DISCONNECT_AFTER_SEND_FAILURE_MS,
  );
}

/**
 * Sends to the parent unless it is gone. Always with a callback: a send that fails because the parent
 * died (`EPIPE`, `ERR_IPC_CHANNEL_CLOSED`) is reported there instead of as an unhandled `'error'` event
 * that would kill this process with the records it holds.
 */
function post(message: ChildMessage): void {
  if (silenced || !process.connected || process.send === undefined) return;
  try {
    process.send(message, (error: Error | null) => {
      if (error) onSendError(error);
    });
  } catch (error) {
    onSendError(error);
  }
}

/** Errors that mean the channel to the parent is gone. */
const CHANNEL_GONE = new Set(['EPIPE', 'ECONNRESET', 'ERR_IPC_CHANNEL_CLOSED', 'ERR_IPC_DISCONNECTED']);

function onSendError(error: unknown): void {
  const code = (error as { code?: unknown } | null)?.code;
  if (!process.connected || (typeof code === 'string' && CHANNEL_GONE.has(code))) {
    silence(`send failed: ${String(code ?? error)}`);
    return;
  }
  // Not a dead parent (e.g. a message that cannot be serialized): say so where a human can see it.
  process.stderr.write(`[kinesis-ts producer host] could not send to the producer: ${String(error)}\n`);
}

let pipeline: ProducerPipeline | undefined;
/** With a disk spool: the marks this host writes once its producer is gone. */
let ackMarks: HostAckMarks | undefined;

/**
 * Reports a batch of outcomes: to the producer while it lives (remembering what it was told, in case
 * it dies before marking them), else as acknowledgement marks in its spool.
 */
function settled(acks: RecordAck[]): void {
  if (ackMarks !== undefined) {
    const seqs: number[] = [];
    for (const ack of acks) if (!('failure' in ack)) seqs.push(ack.id);
    if (silenced) ackMarks.acknowledged(seqs);
    else ackMarks.reported(seqs);
  }
  post({ t: 'acks', acks: packAcks(acks) });
}
let orphanFlushTimeout = 30_000;
let rid = 0;
const credentialRequests = new Map<number, { resolve(c: Credentials): void; reject(e: Error): void }>();
let cached: Credentials | undefined;
let refreshing: Promise<Credentials> | undefined;
let refreshTimer: NodeJS.Timeout | undefined;

/** How long the parent may take to answer a credentials request (the producer's `requestTimeout`). */
let credentialsTimeout = 10_000;

function askParent(): Promise<Credentials> {
  return new Promise<Credentials>((resolve, reject) => {
    if (silenced || !process.connected) {
      reject(new Error('credentials unavailable: the producer process is gone'));
      return;
    }
    const id = ++rid;
    // A provider in the parent that never answers must not hold every later request: give up, and the
    // next request asks again.
    const timer = setTimeout(() => {
      credentialRequests.delete(id);
      reject(new Error(`credentials not answered within ${credentialsTimeout} ms`));
    }, credentialsTimeout);
    timer.unref();
    credentialRequests.set(id, {
      resolve: (c) => {
        clearTimeout(timer);
        resolve(c);
      },
      reject: (e) => {
        clearTimeout(timer);
        reject(e);
      },
    });
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
      post({ t: 'log', level, message, context: toTransferableLogContext(context) });
  return { debug: send('debug'), info: send('info'), warn: send('warn'), error: send('error') };
}

/** A failed request's error as data: code, message, context and cause chain cross intact. */
function wireError(error: unknown): TransferableError {
  if (isKinesisTsError(error)) return toTransferableError(error);
  return toTransferableError(
    new KinesisTsError(
      ErrorCode.KINESIS_REQUEST_FAILED,
      error instanceof Error ? error.message : String(error),
      {
        cause: error,
      },
    ),
  );
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
      if (message.ackMarks !== undefined) ackMarks = new HostAckMarks(message.ackMarks);
      credentialsTimeout = message.options.requestTimeout;
      const client = createKinesisClient(
        {
          ...(message.client.region === undefined ? {} : { region: message.client.region }),
          ...(message.client.endpoint === undefined ? {} : { endpoint: message.client.endpoint }),
          ...(message.client.maxAttempts === undefined ? {} : { maxAttempts: message.client.maxAttempts }),
          credentials: credentialProvider,
        },
        {
          connectionTimeout: message.options.connectionTimeout,
          requestTimeout: message.options.requestTimeout,
        },
      );
      pipeline = new ProducerPipeline(
        sdkKinesisApi(client),
        message.options,
        {
          settled,
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
        const failure: RecordFailure = isKinesisTsError(error)
          ? {
              code: error.code,
              message: error.message,
              context: { ...error.context },
              cause: wireError(error),
            }
          : {
              code: ErrorCode.KINESIS_REQUEST_FAILED,
              message: String(error),
              context: {},
              cause: wireError(error),
            };
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
      reply(message.rid, async () => {
        await pipeline!.close();
        // Closed cleanly: every outcome went to the live producer, which marks them; the disconnect
        // that follows must not leave a marks file behind.
        ackMarks?.close();
      });
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

/**
 * The parent is gone: stop talking to it, fail what waits for it, send everything held (bounded by
 * `recordTtl` per record and `orphanFlushTimeout` overall), then exit.
 */
function becomeOrphan(reason: string): void {
  if (orphaned) return;
  orphaned = true;
  silenced = true;
  ackMarks?.orphaned();
  if (silencedTimer !== undefined) clearTimeout(silencedTimer);
  for (const waiting of credentialRequests.values())
    waiting.reject(new Error(`the producer process is gone (${reason})`));
  credentialRequests.clear();
  if (process.connected) {
    try {
      process.disconnect();
    } catch {
      // already closing
    }
  }
  const deadline = setTimeout(() => process.exit(0), orphanFlushTimeout);
  const done = pipeline === undefined ? Promise.resolve() : pipeline.close();
  done.then(
    () => {
      clearTimeout(deadline);
      process.exit(0);
    },
    () => process.exit(1),
  );
}

process.on('disconnect', () => becomeOrphan('channel closed'));
// A channel error without a callback lands here: never let it crash the process that holds the records.
process.on('error', (error: NodeJS.ErrnoException) =>
  silence(`process error: ${error.code ?? error.message}`),
);
