// Types for the two in-process emulators, which ship none. Only what the suite uses is declared.

declare module 'kinesalite' {
  import type { Server } from 'node:http';

  interface KinesaliteOptions {
    /** Milliseconds a stream stays CREATING (0: ACTIVE at once). */
    createStreamMs?: number;
    /** Milliseconds a stream stays DELETING. */
    deleteStreamMs?: number;
    /** Milliseconds a stream stays UPDATING. */
    updateStreamMs?: number;
    /** Maximum number of shards (default 10). */
    shardLimit?: number;
    /** LevelDB directory; in memory when absent. */
    path?: string;
  }

  function kinesalite(options?: KinesaliteOptions): Server;
  export = kinesalite;
}

declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** Milliseconds a table stays CREATING (0: ACTIVE at once). */
    createTableMs?: number;
    /** Milliseconds a table stays DELETING. */
    deleteTableMs?: number;
    /** Milliseconds a table stays UPDATING. */
    updateTableMs?: number;
    /** LevelDB directory; in memory when absent. */
    path?: string;
  }

  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}
