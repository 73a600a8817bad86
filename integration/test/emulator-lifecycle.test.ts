import { networkInterfaces } from 'node:os';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend.js';
import { dynamoClient, kinesisClient } from '../src/clients.js';
import { type InProcessEmulator, startDynalite, startKinesalite } from '../src/in-process-emulator.js';
import { startKinesisLocal } from '../src/kinesis-local.js';
import { isPortOpen, isProcessAlive } from '../src/process-check.js';

const backend = getBackend();

/** A non-loopback IPv4 address of this machine, to prove a port is not reachable from the network. */
function externalAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return undefined;
}

async function reachable(host: string, port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function expectStopClosesPort(server: InProcessEmulator): Promise<void> {
  expect(await isPortOpen(server.port)).toBe(true);
  await server.stop();
  expect(await isPortOpen(server.port)).toBe(false);
  await server.stop(); // idempotent
}

describe('emulator lifecycle: nothing started is left behind', () => {
  it('kinesis-local: serves on loopback only, and stop() leaves no process and no open port', async () => {
    const instance = await startKinesisLocal();
    const client = kinesisClient(instance.endpoint, { maxAttempts: 1 });
    try {
      expect(isProcessAlive(instance.pid)).toBe(true);
      // Leaves an idle keep-alive connection open: the case where SIGTERM alone takes ~30 s.
      await expect(client.send(new ListStreamsCommand({}))).resolves.toMatchObject({ StreamNames: [] });
      const external = externalAddress();
      if (external === undefined) {
        console.log('[emulator-lifecycle] no non-loopback IPv4 interface: loopback-only binding not checked');
      } else {
        expect(await reachable(external, instance.plainPort)).toBe(false);
        expect(await reachable(external, instance.tlsPort)).toBe(false);
      }
      const started = Date.now();
      await instance.stop();
      console.log(
        `[emulator-lifecycle] kinesis-local stopped in ${Date.now() - started} ms with a keep-alive connection open`,
      );
      expect(isProcessAlive(instance.pid)).toBe(false);
      expect(await isPortOpen(instance.plainPort)).toBe(false);
      expect(await isPortOpen(instance.tlsPort)).toBe(false);
      await instance.stop(); // idempotent
    } finally {
      client.destroy();
      await instance.stop();
    }
  });

  it('kinesalite in process: stop() closes the port even with a keep-alive connection open', async () => {
    const server = await startKinesalite();
    const client = kinesisClient(server.endpoint);
    try {
      await client.send(new ListStreamsCommand({}));
      await expectStopClosesPort(server);
    } finally {
      client.destroy();
      await server.stop();
    }
  });

  it('dynalite in process: stop() closes the port even with a keep-alive connection open', async () => {
    const server = await startDynalite();
    const client = dynamoClient(server.endpoint);
    try {
      await client.send(new ListTablesCommand({}));
      await expectStopClosesPort(server);
    } finally {
      client.destroy();
      await server.stop();
    }
  });

  const children = backend.processes.filter((info) => info.childProcess);
  if (children.length === 0) {
    console.log(
      `[emulator-lifecycle] global child-process check skipped: back-end ${backend.name} started none`,
    );
  }
  it.skipIf(children.length === 0)(
    `the global setup's emulator processes run during the tests (teardown asserts they are gone)${
      children.length === 0 ? ` (skipped: back-end ${backend.name} started no child process)` : ''
    }`,
    async () => {
      for (const info of children) {
        expect(isProcessAlive(info.pid), info.name).toBe(true);
        for (const port of info.ports) expect(await isPortOpen(port), `${info.name}:${port}`).toBe(true);
      }
    },
  );
});
