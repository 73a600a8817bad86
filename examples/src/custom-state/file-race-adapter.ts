/**
 * The module the conformance suite's cross-process race loads in every racing process:
 * `createAdapter()` returns a new, unstarted {@link VersionedState} on the {@link FileVersionedStore}
 * in the directory named by `KTS_EXAMPLE_STATE_DIR` (the racers inherit the test's environment).
 */
import { FileVersionedStore } from './file-versioned-store.js';
import { VersionedState } from './versioned-state.js';

/** The environment variable naming the shared directory. */
export const STATE_DIR_VARIABLE = 'KTS_EXAMPLE_STATE_DIR';

/** A new, unstarted adapter on the shared directory. */
export function createAdapter(): VersionedState {
  const directory = process.env[STATE_DIR_VARIABLE];
  if (directory === undefined) throw new Error(`${STATE_DIR_VARIABLE} is not set`);
  return new VersionedState(new FileVersionedStore(directory));
}
