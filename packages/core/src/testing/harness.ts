import { it, type TestContext } from 'vitest';
import { type ResolvedStateAdapterCapabilities, resolveCapabilities, type StateAdapter } from '../state.js';
import type { ResolvedConformanceOptions } from './conformance-options.js';

/**
 * What one conformance test gets: adapter instances from the user's factory (all on one store),
 * closed automatically when the test ends, whatever its outcome.
 */
export class ConformanceHarness {
  readonly #options: ResolvedConformanceOptions;
  readonly #context: TestContext;
  readonly #adapters: StateAdapter[] = [];

  constructor(options: ResolvedConformanceOptions, context: TestContext) {
    this.#options = options;
    this.#context = context;
  }

  /** The resolved suite options. */
  get options(): ResolvedConformanceOptions {
    return this.#options;
  }

  /** A new instance from the factory, not started (closed after the test). */
  async unstarted(): Promise<StateAdapter> {
    const adapter = await this.#options.createAdapter();
    this.#adapters.push(adapter);
    return adapter;
  }

  /** A new, started instance from the factory (closed after the test). */
  async started(): Promise<StateAdapter> {
    const adapter = await this.unstarted();
    await adapter.start();
    return adapter;
  }

  /** `count` new, started instances. */
  async startedMany(count: number): Promise<StateAdapter[]> {
    const adapters: StateAdapter[] = [];
    for (let i = 0; i < count; i++) adapters.push(await this.started());
    return adapters;
  }

  /** Skips the rest of the test (reported as skipped, with the reason) unless `adapter` declares `capability`. */
  requireCapability(adapter: StateAdapter, capability: keyof ResolvedStateAdapterCapabilities): void {
    const capabilities = resolveCapabilities(adapter.capabilities);
    if (!capabilities[capability]) this.skip(`adapter declares ${capability}: false`);
  }

  /** Prints the reason (one line on stdout) and skips the rest of the test (reported as skipped). */
  skip(reason: string): never {
    console.info(`[conformance: ${this.#options.name}] ${this.#context.task.name}: skipped: ${reason}`);
    this.#context.skip(reason);
    throw new Error('unreachable: context.skip() returned');
  }

  /** Closes `adapter` with the others after the test (for instances not made by the factory). */
  track(adapter: StateAdapter): void {
    this.#adapters.push(adapter);
  }

  /** Closes every instance created in this test; rethrows the first failure. */
  async closeAll(): Promise<void> {
    const adapters = this.#adapters.splice(0);
    const results = await Promise.allSettled(adapters.map((adapter) => adapter.close()));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  }
}

/** Options of one conformance test. */
export interface ConformanceTestOptions {
  /** Timeout in milliseconds (default: the suite's `timeoutMs`). */
  readonly timeoutMs?: number;
  /** When set, the test is registered as skipped and the reason is appended to its name. */
  readonly skipReason?: string | undefined;
}

/** Registers one conformance test. */
export type ConformanceTest = (
  name: string,
  body: (harness: ConformanceHarness) => Promise<void>,
  testOptions?: ConformanceTestOptions,
) => void;

/** Builds the `test` function the suite modules register their tests with. */
export function conformanceTest(options: ResolvedConformanceOptions): ConformanceTest {
  return (name, body, testOptions = {}) => {
    const timeout = testOptions.timeoutMs ?? options.timeoutMs;
    if (testOptions.skipReason !== undefined) {
      it.skip(`${name} [skipped: ${testOptions.skipReason}]`, () => {});
      return;
    }
    it(
      name,
      async (context) => {
        const harness = new ConformanceHarness(options, context);
        let failed = true;
        try {
          await body(harness);
          failed = false;
        } finally {
          // A failure to close only surfaces when the test itself passed (never masks the real error).
          await harness.closeAll().catch((error: unknown) => {
            if (!failed) throw error;
          });
        }
      },
      timeout,
    );
  };
}
