/**
 * One racer of the cross-process race (`runCrossProcessRace`), run as a child process. It builds an
 * adapter with the `createAdapter` export of the module the parent names, starts it, says it is
 * ready, then, round after round, tries to take at once every lease of the round with the fence
 * all racers observed at creation (`{ owner: null, leaseCounter: 0 }`) and reports the round in ONE
 * message (never one per lease). It talks to the parent over the IPC channel only and exits when
 * the channel closes. Self-contained on purpose: it imports nothing but Node built-ins and the user's
 * module, so the same file runs from the ESM build, the CJS build and the sources.
 */
import { pathToFileURL } from 'node:url';

/** Parent → child: build and start the adapter. */
interface BuildMessage {
  readonly type: 'build';
  /** `file:` URL (or any import specifier) of the module that exports `createAdapter`. */
  readonly module: string;
}

/** Parent → child: take these leases now, all at once (every racer gets the same round together). */
interface RoundMessage {
  readonly type: 'round';
  readonly scope: { readonly consumerGroup: string; readonly streamName: string };
  readonly shardIds: readonly string[];
  /** The owner name this racer takes leases for. */
  readonly racer: string;
}

/** Parent → child: the race is over; close the adapter and exit. */
interface FinishMessage {
  readonly type: 'finish';
}

interface RacerAdapter {
  readonly capabilities?: { readonly sharedAcrossProcesses?: boolean };
  start(): Promise<void>;
  close(): Promise<void>;
  takeLease(
    scope: RoundMessage['scope'],
    shardId: string,
    fence: { owner: string | null; leaseCounter: number },
    newOwner: string,
  ): Promise<{ owner: string | null; leaseCounter: number }>;
}

let adapter: RacerAdapter | undefined;
let finished = false;

function send(message: Record<string, unknown>): void {
  process.send?.(message);
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

async function build(message: BuildMessage): Promise<void> {
  try {
    const specifier = /^[a-z][a-z0-9+.-]*:/i.test(message.module)
      ? message.module
      : pathToFileURL(message.module).href;
    const loaded = (await import(specifier)) as {
      createAdapter?: unknown;
      default?: { createAdapter?: unknown };
    };
    // A CommonJS module imported from ESM shows its exports under `default` as well.
    const factory = loaded.createAdapter ?? loaded.default?.createAdapter;
    if (typeof factory !== 'function') {
      throw new TypeError(`${message.module} does not export a function createAdapter()`);
    }
    adapter = (await factory()) as RacerAdapter;
    await adapter.start();
    send({ type: 'ready', sharedAcrossProcesses: adapter.capabilities?.sharedAcrossProcesses ?? true });
  } catch (error) {
    send({ type: 'failed', stage: 'build', message: describe(error) });
  }
}

async function round(message: RoundMessage): Promise<void> {
  const racer = adapter;
  if (racer === undefined) {
    send({ type: 'failed', stage: 'race', message: 'a round before a successful build' });
    return;
  }
  const won: string[] = [];
  let conflicts = 0;
  const failures: Array<{ shardId: string; message: string }> = [];
  await Promise.all(
    message.shardIds.map(async (shardId) => {
      try {
        const lease = await racer.takeLease(
          message.scope,
          shardId,
          { owner: null, leaseCounter: 0 },
          message.racer,
        );
        won.push(shardId);
        if (lease.owner !== message.racer || lease.leaseCounter !== 1) {
          failures.push({
            shardId,
            message: `takeLease resolved with owner ${String(lease.owner)} counter ${String(lease.leaseCounter)}, expected ${message.racer} counter 1`,
          });
        }
      } catch (error) {
        const shape = error as { code?: unknown; operation?: unknown; shardId?: unknown } | null;
        if (shape?.code === 'LEASE_CONFLICT' && shape.operation === 'take' && shape.shardId === shardId) {
          conflicts++;
        } else {
          failures.push({
            shardId,
            message: `takeLease rejected with something other than a LeaseConflictError for this take: code ${String(shape?.code)}, ${describe(error)}`,
          });
        }
      }
    }),
  );
  send({ type: 'round-done', won, conflicts, failures });
}

async function finish(): Promise<void> {
  finished = true;
  await adapter?.close().catch(() => {});
  if (process.connected) process.disconnect?.();
  // An adapter that leaves a handle open after close() must not keep this racer alive.
  setTimeout(() => process.exit(0), 2_000).unref();
}

process.on('message', (message: BuildMessage | RoundMessage | FinishMessage) => {
  if (message.type === 'build') void build(message);
  else if (message.type === 'round') void round(message);
  else if (message.type === 'finish') void finish();
});

// The parent went away (or finished with us): never linger.
process.on('disconnect', () => {
  if (!finished) process.exit(2);
});
