export { MemoryState, type MemoryStateOptions } from './memory-state.js';
export { MemoryStateStore } from './memory-state-store.js';
