import { getBackend, sdkEnvironment } from './backend.js';

// vitest setup file: copies the back-end's SDK variables into this worker's environment. The global
// setup's process.env already reaches forked workers in vitest 4.1; this keeps it true for any pool.
Object.assign(process.env, sdkEnvironment(getBackend()));
