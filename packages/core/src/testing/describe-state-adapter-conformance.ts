import { afterAll, beforeAll, describe } from 'vitest';
import { resolveConformanceOptions, type StateAdapterConformanceOptions } from './conformance-options.js';
import { conformanceTest } from './harness.js';
import { checkpointTests } from './suites/checkpoints.js';
import { createAndReadTests } from './suites/create-and-read.js';
import { crossProcessTests } from './suites/cross-process.js';
import { expiryTests } from './suites/expiry.js';
import { handoffTests } from './suites/handoff.js';
import { lifecycleTests } from './suites/lifecycle.js';
import { listingTests } from './suites/listing.js';
import { ownerWriteTests } from './suites/owner-writes.js';
import { takeTests } from './suites/take.js';
import { validationTests } from './suites/validation.js';

/**
 * Registers the state-adapter conformance suite (vitest `describe`/`it` blocks) for one adapter.
 * Call it at the top level of a test file:
 *
 * ```ts
 * import { describeStateAdapterConformance } from '@kinesis-ts/core/testing';
 * const store = new MyStore();
 * describeStateAdapterConformance({ name: 'my-adapter', createAdapter: () => new MyAdapter({ store }) });
 * ```
 *
 * It proves the fencing rules of the `StateAdapter` contract rather than a happy path: concurrent
 * takers (exactly one wins), stale and foreign fences (typed rejection, nothing written), counters,
 * idempotent creation, checkpoints and SHARD_END across fresh instances, exact big sequence numbers,
 * graceful handoff and its conflicts, observer-side expiry with a manual clock (no sleeping),
 * isolation of groups and streams, complete large listings and an abort while one pages, argument
 * validation (what the contract says must be rejected), the lifecycle guards (also `start()` after
 * `close()`), and, with `crossProcess`, several processes racing for the same leases. Every test
 * uses fresh random ids and closes the instances it started. Tests that need a capability the
 * adapter declares as absent, or an option not given, are reported as skipped with the reason.
 */
export function describeStateAdapterConformance(options: StateAdapterConformanceOptions): void {
  const resolved = resolveConformanceOptions(options);
  const test = conformanceTest(resolved);
  describe(`StateAdapter conformance: ${resolved.name}`, () => {
    const { setup, teardown } = resolved;
    if (setup !== undefined) beforeAll(setup, resolved.timeoutMs);
    if (teardown !== undefined) afterAll(teardown, resolved.timeoutMs);
    describe('lifecycle', () => lifecycleTests(test, resolved));
    describe('reads and createLease', () => createAndReadTests(test, resolved));
    describe('takeLease', () => takeTests(test, resolved));
    describe('owner writes', () => ownerWriteTests(test, resolved));
    describe('checkpoints', () => checkpointTests(test, resolved));
    describe('handoff', () => handoffTests(test, resolved));
    describe('expiry', () => expiryTests(test, resolved));
    describe('isolation and listing', () => listingTests(test, resolved));
    describe('argument validation', () => validationTests(test, resolved));
    describe('across processes', () => crossProcessTests(test, resolved));
  });
}
