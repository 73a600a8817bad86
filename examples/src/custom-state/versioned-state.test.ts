import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeStateAdapterConformance } from '@kinesis-ts/core/testing';
import { STATE_DIR_VARIABLE } from './file-race-adapter.js';
import { FileVersionedStore } from './file-versioned-store.js';
import { VersionedState } from './versioned-state.js';
import { InMemoryVersionedStore } from './versioned-store.js';

// Every instance shares one store, as separate consumer instances share one table. The in-memory
// store is one process only: the suite skips its cross-process race and says why.
const store = new InMemoryVersionedStore();

describeStateAdapterConformance({
  name: 'VersionedState (example custom adapter)',
  createAdapter: () => new VersionedState(store),
});

// The same adapter on a directory that processes share: the suite also races 4 processes (each
// building its adapter with file-race-adapter.ts) for 200 leases. The racers inherit this
// environment (the directory) and load the TypeScript module through tsx; they import the packages
// as installed (their dist/), so build them first (`pnpm build`; CI does).
const directory = mkdtempSync(join(tmpdir(), 'kts-example-state-'));
process.env[STATE_DIR_VARIABLE] = directory;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

describeStateAdapterConformance({
  name: 'VersionedState on FileVersionedStore (shared by processes)',
  createAdapter: () => new VersionedState(new FileVersionedStore(directory)),
  crossProcess: {
    module: fileURLToPath(new URL('./file-race-adapter.ts', import.meta.url)),
    execArgv: ['--import', tsx],
  },
  teardown: async () => {
    rmSync(directory, { recursive: true, force: true });
  },
});
