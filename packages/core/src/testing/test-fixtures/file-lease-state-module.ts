/**
 * The module the cross-process race tests hand to the racers: `createAdapter()` builds a
 * {@link FileLeaseState} on the directory and in the mode named by the environment.
 */
import { FileLeaseState, type FileLeaseStateMode } from './file-lease-state.js';

/** Environment variable naming the shared directory. */
export const DIRECTORY_VARIABLE = 'KTS_FILE_LEASE_STATE_DIR';
/** Environment variable naming the mode (`read-then-write` or `locked`). */
export const MODE_VARIABLE = 'KTS_FILE_LEASE_STATE_MODE';

/** A new, unstarted adapter on the shared directory. */
export function createAdapter(): FileLeaseState {
  const directory = process.env[DIRECTORY_VARIABLE];
  const mode = process.env[MODE_VARIABLE];
  if (directory === undefined || (mode !== 'read-then-write' && mode !== 'locked')) {
    throw new Error(`set ${DIRECTORY_VARIABLE} and ${MODE_VARIABLE} (read-then-write | locked)`);
  }
  return new FileLeaseState(directory, mode as FileLeaseStateMode);
}
