/**
 * The process runner (default): the buffer lives in a detached child process that keeps flushing
 * if this process dies. Credentials stay here; the child asks for them over IPC.
 */

import { type ChildProcess, fork } from 'node:child_process';
import type { KinesisClientConfig } from '@aws-sdk/client-kinesis';
import {
  childExecArgv,
  ErrorCode,
  fromTransferableError,
  fromTransferableLogContext,
  isKinesisTsError,
  KinesisTsError,
  type Logger,
  type TransferableError,
} from '@kinesis-ts/core';
import type { RecordFailure } from '../errors.js';
import {
  type ChildMessage,
  type HostClientSettings,
  type ParentMessage,
  packRecords,
  unpackAcks,
} from '../host/protocol.js';
import { createKinesisClient } from '../kinesis-client.js';
import type { IncomingRecord, PipelineOptions, StreamInfo } from '../pipeline.js';
import type { HostAckMarksTarget } from '../spool/host-ack-marks.js';
import { resolveHostModulePath } from './host-path.js';
import type { Runner, RunnerCallbacks } from './runner.js';

/** Settings of a {@link ProcessRunner}. */
export interface ProcessRunnerOptions {
  readonly pipeline: PipelineOptions;
  readonly clientConfig: KinesisClientConfig | undefined;
  readonly credentials: KinesisClientConfig['credentials'] | undefined;
  readonly logger: Logger;
  readonly forwardLogs: boolean;
  readonly orphanFlushTimeout: number;
  readonly hostModulePath: string | undefined;
  /** With a disk spool: where the host writes acknowledgement marks once this process is gone (read at fork). */
  readonly ackMarks?: (() => HostAckMarksTarget | undefined) | undefined;
}

interface Waiting {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

const SECRET_ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN'];

/** Rebuilds the host's error (see `wireError` in host-main.ts): typed, with its cause chain. */
function errorFromWire(value: unknown): Error {
  const error = fromTransferableError(value as TransferableError);
  if (isKinesisTsError(error)) return error;
  return new KinesisTsError(ErrorCode.KINESIS_REQUEST_FAILED, error.message || 'background host failed', {
    cause: error,
  });
}

function hostSettings(config: KinesisClientConfig | undefined): HostClientSettings {
  if (config === undefined) return {};
  const endpoint = config.endpoint;
  return {
    region: typeof config.region === 'string' ? config.region : undefined,
    endpoint: typeof endpoint === 'string' ? endpoint : endpoint instanceof URL ? endpoint.href : undefined,
    maxAttempts: typeof config.maxAttempts === 'number' ? config.maxAttempts : undefined,
  };
}

/** Runs the pipeline in a forked, detached child process (`serialization: 'advanced'`). */
export class ProcessRunner implements Runner {
  readonly #options: ProcessRunnerOptions;
  readonly #callbacks: RunnerCallbacks;
  #child: ChildProcess | undefined;
  #rid = 0;
  readonly #waiting = new Map<number, Waiting>();
  #outstandingRecords = 0;
  #starting: Promise<StreamInfo> | undefined;
  #credentialSource: (() => Promise<unknown>) | undefined;
  #closed = false;

  constructor(options: ProcessRunnerOptions, callbacks: RunnerCallbacks) {
    this.#options = options;
    this.#callbacks = callbacks;
  }

  start(): Promise<StreamInfo> {
    this.#starting ??= (async () => {
      const child = this.#child ?? this.#fork();
      return (await this.#request(child, 'start')) as StreamInfo;
    })().catch((error: unknown) => {
      this.#starting = undefined;
      throw error;
    });
    return this.#starting;
  }

  #fork(): ChildProcess {
    const env = { ...process.env };
    for (const name of SECRET_ENV) delete env[name];
    const child = fork(resolveHostModulePath(this.#options.hostModulePath), [], {
      serialization: 'advanced',
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env,
      // The parent's warning settings (e.g. --no-warnings); NODE_OPTIONS comes with the environment.
      execArgv: childExecArgv(),
    });
    this.#child = child;
    child.on('message', (message: ChildMessage) => this.#onMessage(child, message));
    child.on('error', (error) => this.#options.logger.warn('background host error', { error }));
    child.on('exit', (code, signal) => this.#onExit(child, code, signal));
    this.#post(child, {
      t: 'init',
      options: this.#options.pipeline,
      client: hostSettings(this.#options.clientConfig),
      forwardLogs: this.#options.forwardLogs,
      orphanFlushTimeout: this.#options.orphanFlushTimeout,
      ackMarks: this.#options.ackMarks?.(),
    });
    this.#updateRef();
    return child;
  }

  #onExit(child: ChildProcess, code: number | null, signal: string | null): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    this.#starting = undefined;
    const error = new KinesisTsError(
      ErrorCode.KINESIS_REQUEST_FAILED,
      `background host exited (code ${String(code)}, signal ${String(signal)})`,
      { context: { code, signal } },
    );
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
    if (this.#outstandingRecords > 0 && !this.#closed) this.#callbacks.crashed(error);
    this.#outstandingRecords = 0;
  }

  /** Keeps this process alive only while something is owed to it (requests or records). */
  #updateRef(): void {
    const child = this.#child;
    if (child === undefined) return;
    const busy = this.#waiting.size > 0 || this.#outstandingRecords > 0;
    const channel = child.channel as { ref?: () => void; unref?: () => void } | null | undefined;
    if (busy) {
      child.ref();
      channel?.ref?.();
    } else {
      child.unref();
      channel?.unref?.();
    }
  }

  #post(child: ChildProcess, message: ParentMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (!child.connected) {
        reject(new KinesisTsError(ErrorCode.KINESIS_REQUEST_FAILED, 'background host is not connected'));
        return;
      }
      child.send(message, (error) => (error ? reject(error) : resolve()));
    });
  }

  #request(child: ChildProcess, t: 'start' | 'flush' | 'close', upToId?: number): Promise<unknown> {
    const rid = ++this.#rid;
    const promise = new Promise<unknown>((resolve, reject) => this.#waiting.set(rid, { resolve, reject }));
    this.#updateRef();
    this.#post(child, t === 'flush' ? { t, rid, upToId } : { t, rid }).catch((error: unknown) => {
      const waiting = this.#waiting.get(rid);
      this.#waiting.delete(rid);
      waiting?.reject(error as Error);
    });
    return promise.finally(() => this.#updateRef());
  }

  #onMessage(child: ChildProcess, message: ChildMessage): void {
    switch (message.t) {
      case 'reply': {
        const waiting = this.#waiting.get(message.rid);
        this.#waiting.delete(message.rid);
        if (message.ok) waiting?.resolve(message.value);
        else waiting?.reject(errorFromWire(message.value));
        break;
      }
      case 'acks': {
        const acks = unpackAcks(message.acks);
        this.#outstandingRecords -= acks.length;
        this.#callbacks.settled(acks);
        this.#updateRef();
        break;
      }
      case 'event':
        this.#callbacks.event(message.event);
        break;
      case 'log':
        this.#options.logger[message.level](
          `[host] ${message.message}`,
          fromTransferableLogContext(message.context),
        );
        break;
      case 'credentials':
        void this.#answerCredentials(child, message.rid);
        break;
    }
  }

  async #answerCredentials(child: ChildProcess, rid: number): Promise<void> {
    try {
      this.#credentialSource ??= this.#makeCredentialSource();
      const c = (await this.#credentialSource()) as {
        accessKeyId: string;
        secretAccessKey: string;
        sessionToken?: string;
        expiration?: Date;
        credentialScope?: string;
        accountId?: string;
      };
      const value = {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        sessionToken: c.sessionToken,
        expiration: c.expiration,
        credentialScope: c.credentialScope,
        accountId: c.accountId,
      };
      await this.#post(child, { t: 'credentials', rid, ok: true, value });
    } catch (error) {
      const value = { message: error instanceof Error ? error.message : String(error) };
      await this.#post(child, { t: 'credentials', rid, ok: false, value }).catch(() => {});
    }
  }

  #makeCredentialSource(): () => Promise<unknown> {
    const given = this.#options.credentials ?? this.#options.clientConfig?.credentials;
    if (typeof given === 'function') return () => given();
    if (given !== undefined) return () => Promise.resolve(given);
    // The SDK's default chain, resolved here (never in the child): a client makes no request until used.
    const client = createKinesisClient(this.#options.clientConfig ?? {});
    const provider = client.config.credentials as unknown as () => Promise<unknown>;
    return () => provider();
  }

  async send(records: IncomingRecord[]): Promise<void> {
    const child = this.#child;
    if (child === undefined) {
      throw new KinesisTsError(ErrorCode.KINESIS_REQUEST_FAILED, 'background host is not running');
    }
    this.#outstandingRecords += records.length;
    this.#updateRef();
    await this.#post(child, { t: 'put', records: packRecords(records) });
  }

  async flush(upToId?: number): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    await this.#request(child, 'flush', upToId);
  }

  abort(_failure: RecordFailure): void {
    // The producer fails what it holds itself; the host must not send those records afterwards.
    this.#closed = true;
    const child = this.#child;
    if (child === undefined) return;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  async close(): Promise<void> {
    this.#closed = true;
    const child = this.#child;
    if (child === undefined) return;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    try {
      await this.#request(child, 'close');
    } finally {
      child.ref();
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      timer.unref();
      await exited;
      clearTimeout(timer);
    }
  }
}
