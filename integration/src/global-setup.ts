import type { TestProject } from 'vitest/node';
import { type Backend, sdkEnvironment } from './backend.js';
import { isPortOpen, isProcessAlive } from './process-check.js';
import { startBackend } from './select-backend.js';

const log = (line: string): void => console.log(`[integration] ${line}`);

/**
 * vitest global setup: chooses and starts the back-end (see `select-backend.ts`), prints the choice and
 * why the others were not taken, provides it to the workers (`inject('backend')`, `getBackend()`) and
 * exports the standard SDK variables. Teardown stops everything it started and fails the run if an
 * emulator process or port survived.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedAt = Date.now();
  const started = await startBackend(process.env, log);
  const { backend } = started;
  printChoice(backend, Date.now() - startedAt);
  project.provide('backend', backend);
  const variables = sdkEnvironment(backend);
  const previous = new Map(Object.keys(variables).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variables);

  return async () => {
    const stoppingAt = Date.now();
    let stopError: unknown;
    try {
      await started.stop();
    } catch (error) {
      stopError = error;
    }
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    const problems = stopError === undefined ? [] : [`stop failed: ${String(stopError)}`];
    for (const info of backend.processes) {
      if (info.childProcess && isProcessAlive(info.pid))
        problems.push(`${info.name} pid ${info.pid} still running`);
      for (const port of info.ports) {
        if (await isPortOpen(port)) problems.push(`${info.name} port ${port} still open`);
      }
    }
    if (problems.length > 0) {
      // vitest 4.1 reports a teardown error but still exits 0: make the run fail.
      process.exitCode = 1;
      throw new Error(`integration teardown left emulators behind: ${problems.join('; ')}`, {
        cause: stopError,
      });
    }
    const stopped = backend.processes.map((p) => `${p.name} (pid ${p.pid})`).join(', ') || 'nothing to stop';
    log(`teardown: stopped ${stopped} in ${Date.now() - stoppingAt} ms; none left running`);
  };
}

function printChoice(backend: Backend, elapsedMs: number): void {
  log(`back-end: ${backend.name} (ready in ${elapsedMs} ms): ${backend.reason}`);
  for (const [name, why] of Object.entries(backend.rejected)) log(`  not ${name}: ${why}`);
  log(`  kinesis (volume):   ${backend.kinesisEndpoint}`);
  log(`  kinesis (fidelity): ${backend.kinesisFidelityEndpoint ?? 'none'}`);
  log(`  dynamodb:           ${backend.dynamodbEndpoint}`);
  for (const [capability, why] of Object.entries(backend.skipReasons)) {
    log(`  missing ${capability}: ${why} (tests needing it are skipped)`);
  }
}
