import { describeStateAdapterConformance } from '@kinesis-ts/core/testing';
import { VersionedState } from './versioned-state.js';
import { InMemoryVersionedStore } from './versioned-store.js';

// Every instance shares one store, as separate consumer instances share one table.
const store = new InMemoryVersionedStore();

describeStateAdapterConformance({
  name: 'VersionedState (example custom adapter)',
  createAdapter: () => new VersionedState(store),
});
