import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An emulator HTTP server running inside this process, listening on a random 127.0.0.1 port. */
export interface InProcessEmulator {
  /** `kinesalite` or `dynalite`. */
  readonly name: string;
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** The port it listens on. */
  readonly port: number;
  /** Closes every connection and the server; idempotent. */
  stop(): Promise<void>;
}

/** Starts kinesalite in this process with instant stream transitions (the "volume" Kinesis). */
export async function startKinesalite(): Promise<InProcessEmulator> {
  // Imported on demand: loading both emulators costs ~0.3 s, which workers that only use clients skip.
  const { default: kinesalite } = await import('kinesalite');
  return listen(
    'kinesalite',
    kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 }),
  );
}

/** Starts dynalite in this process with instant table creation. */
export async function startDynalite(): Promise<InProcessEmulator> {
  const { default: dynalite } = await import('dynalite');
  return listen('dynalite', dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }));
}

async function listen(name: string, server: Server): Promise<InProcessEmulator> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    name,
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () => {
      stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // After close() so no new connection slips in; idle keep-alive sockets would otherwise hold it open.
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
