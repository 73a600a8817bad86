/**
 * The inline runner: the pipeline runs on the caller's event loop (tests, serverless, tiny apps).
 */

import type { Clock, Logger } from '@kinesis-ts/core';
import type { KinesisApi } from '../kinesis-api.js';
import { type IncomingRecord, type PipelineOptions, ProducerPipeline, type StreamInfo } from '../pipeline.js';
import type { Runner, RunnerCallbacks } from './runner.js';

/** Runs a {@link ProducerPipeline} in this process. */
export class InlineRunner implements Runner {
  readonly #pipeline: ProducerPipeline;

  constructor(
    api: KinesisApi,
    options: PipelineOptions,
    callbacks: RunnerCallbacks,
    deps: { clock: Clock; logger: Logger; random?: (() => number) | undefined },
  ) {
    this.#pipeline = new ProducerPipeline(
      api,
      options,
      { settled: (acks) => callbacks.settled(acks), event: (e) => callbacks.event(e) },
      deps.random === undefined ? { clock: deps.clock, logger: deps.logger } : deps,
    );
  }

  start(): Promise<StreamInfo> {
    return this.#pipeline.start();
  }

  send(records: IncomingRecord[]): Promise<void> {
    this.#pipeline.add(records);
    return Promise.resolve();
  }

  flush(upToId?: number): Promise<void> {
    return this.#pipeline.flush(upToId);
  }

  close(): Promise<void> {
    return this.#pipeline.close();
  }
}
