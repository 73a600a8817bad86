export {
  type Backend,
  type BackendCredentials,
  type BackendName,
  Capability,
  type CapabilityName,
  getBackend,
  type StartedProcessInfo,
  sdkEnvironment,
  skipReason,
} from './backend.js';
export { dynamoClient, type HttpHandlerOptions, httpHandler, kinesisClient } from './clients.js';
export { type DockerProbeResult, probeDocker } from './docker-probe.js';
export {
  type Fault,
  type FaultMatch,
  FaultProxy,
  type FaultRule,
  type Forward,
  type ProxiedRequest,
  type ProxyLogEntry,
  type ProxyResponse,
} from './fault-proxy.js';
export { findFreePort } from './free-port.js';
export { type InProcessEmulator, startDynalite, startKinesalite } from './in-process-emulator.js';
export { type KinesisLocalOptions, type KinesisLocalProcess, startKinesisLocal } from './kinesis-local.js';
export { DEFAULT_LOCALSTACK_IMAGE, type LocalStackInstance, startLocalStack } from './localstack.js';
export { isPortOpen, isProcessAlive } from './process-check.js';
export { type ReadAllRecordsOptions, readAllRecords, type ShardRecord } from './read-all-records.js';
export {
  countDeliveries,
  formatScenario,
  reportScenario,
  type ScenarioResult,
} from './scenario-report.js';
export {
  type BackendEnvironment,
  type StartedBackend,
  startBackend,
  type UserEndpoints,
  userEndpointsFromEnv,
} from './select-backend.js';
export { createStateTable, deleteTable } from './state-table.js';
export {
  type CreateStreamOptions,
  createStream,
  deleteStream,
  listAllShards,
  waitStreamActive,
} from './streams.js';
export { uniqueName } from './unique-name.js';
export { type WaitForOptions, WaitTimeoutError, waitFor } from './wait-for.js';
