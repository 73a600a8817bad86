/**
 * The inline runner: the pipeline runs on the caller's event loop (tests, serverless, tiny apps).
 */

import type { Clock, Logger } from '@kinesis-ts/core';
import type { RecordFailure } from '../errors.js';
import type { KinesisApi } from '../kinesis-api.js';
import { type IncomingRecord, type PipelineOptions, ProducerPipeline, type StreamInfo } from '../pipeline.js';
import type { Runner, RunnerCallbacks } from './runner.js';

/**
 * Runs a {@link ProducerPipeline} in this process. While records are outstanding it holds a ref'd
 * handle, so the process does not exit with records buffered behind the pipeline's (unref'd) timers;
 * once everything settled it lets go, so an idle producer never keeps the process alive.
 */
export class InlineRunner implements Runner {
  readonly #pipeline: ProducerPipeline;
  #outstanding = 0;
  #keepAlive: ReturnType<typeof setInterval> | undefined;

  constructor(
    api: KinesisApi,
    options: PipelineOptions,
    callbacks: RunnerCallbacks,
    deps: { clock: Clock; logger: Logger; random?: (() => number) | undefined },
  ) {
    this.#pipeline = new ProducerPipeline(
      api,
      options,
      {
        settled: (acks) => {
          this.#outstanding -= acks.length;
          this.#updateKeepAlive();
          callbacks.settled(acks);
        },
        event: (e) => callbacks.event(e),
      },
      deps.random === undefined ? { clock: deps.clock, logger: deps.logger } : deps,
    );
  }

  start(): Promise<StreamInfo> {
    return this.#pipeline.start();
  }

  #updateKeepAlive(): void {
    if (this.#outstanding > 0 && this.#keepAlive === undefined) {
      this.#keepAlive = setInterval(() => {}, 2 ** 30);
    } else if (this.#outstanding <= 0 && this.#keepAlive !== undefined) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  send(records: IncomingRecord[]): Promise<void> {
    this.#outstanding += records.length;
    this.#updateKeepAlive();
    try {
      this.#pipeline.add(records);
    } catch (error) {
      this.#outstanding -= records.length;
      this.#updateKeepAlive();
      return Promise.reject(error);
    }
    return Promise.resolve();
  }

  flush(upToId?: number): Promise<void> {
    return this.#pipeline.flush(upToId);
  }

  close(): Promise<void> {
    return this.#pipeline.close();
  }

  abort(failure: RecordFailure): void {
    this.#pipeline.abort({ ...failure, context: { ...failure.context } });
  }
}
