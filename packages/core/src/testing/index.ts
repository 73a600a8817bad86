/**
 * `@kinesis-ts/core/testing`: the state-adapter conformance suite and test helpers.
 * Needs `vitest` (an optional peer dependency of `@kinesis-ts/core`).
 */
export { ManualClock } from '../clock.js';
export type { StateAdapterConformanceOptions } from './conformance-options.js';
export { type CrossProcessRaceReport, runCrossProcessRace } from './cross-process-race.js';
export { CrossProcessRaceError } from './cross-process-race-error.js';
export type { CrossProcessRaceOptions } from './cross-process-race-options.js';
export { describeStateAdapterConformance } from './describe-state-adapter-conformance.js';
export { randomScope, shardIdOf } from './random-scope.js';
