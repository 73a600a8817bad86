import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ValidationError } from '@kinesis-ts/core';
import { afterAll, describe, expect, it } from 'vitest';
import { KinesisConsumer } from '../consumer.js';
import type { KinesisApi } from '../kinesis-api.js';
import { loadWorkerClientModule, moduleKinesisApi, workerClientModuleUrl } from './worker-client-module.js';

const dir = mkdtempSync(join(tmpdir(), 'kinesis-ts-client-module-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function moduleFile(name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}

/** A module whose client records its config and calls on globalThis.__clientModuleTest. */
const good = moduleFile(
  'good.mjs',
  `export function createKinesisClient(config) {
    const log = (globalThis.__clientModuleTest ??= { configs: [], sent: [], destroyed: 0 });
    log.configs.push(config);
    return {
      send: async (command) => { log.sent.push(command); return { Shards: [] }; },
      destroy: () => { log.destroyed += 1; },
    };
  }`,
);

type TestLog = { configs: unknown[]; sent: unknown[]; destroyed: number };
const testLog = (): TestLog => (globalThis as { __clientModuleTest?: TestLog }).__clientModuleTest!;

describe('workerClientModule', () => {
  it('takes an absolute path or a file: URL and rejects anything else, naming the option', () => {
    expect(workerClientModuleUrl(good)).toBe(pathToFileURL(good).href);
    expect(workerClientModuleUrl(pathToFileURL(good).href)).toBe(pathToFileURL(good).href);
    for (const bad of ['./client.mjs', 'client-module', '', 42, null]) {
      expect(() => workerClientModuleUrl(bad)).toThrow(ValidationError);
      expect(() => workerClientModuleUrl(bad)).toThrow(/workerClientModule/);
    }
    expect(() => new KinesisConsumer({ streamName: 's', workerClientModule: 'relative.mjs' })).toThrow(
      /option workerClientModule must be an absolute path/,
    );
    expect(() => new KinesisConsumer({ streamName: 's', workerClentModule: good } as never)).toThrow(
      /workerClientModule/,
    );
  });

  it('loads the named export once per process; a missing file or export is a ValidationError naming the option', async () => {
    const url = workerClientModuleUrl(good);
    const create = await loadWorkerClientModule(url);
    expect(typeof create).toBe('function');
    expect(loadWorkerClientModule(url)).toBe(loadWorkerClientModule(url));

    const missing = workerClientModuleUrl(join(dir, 'missing.mjs'));
    const error = await loadWorkerClientModule(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', context: { option: 'workerClientModule' } });
    expect((error as Error).message).toMatch(/workerClientModule could not be loaded/);
    expect((error as Error).cause).toBeInstanceOf(Error);

    const noExport = workerClientModuleUrl(moduleFile('default-only.mjs', 'export default {};'));
    await expect(loadWorkerClientModule(noExport)).rejects.toThrow(
      /workerClientModule .* has no named export createKinesisClient/,
    );
  });

  it('builds the worker API over the module client with the transferable config; release destroys it', async () => {
    const credentials = async () => ({ accessKeyId: 'a', secretAccessKey: 'b' });
    const adapted: KinesisClient[] = [];
    const built = moduleKinesisApi(
      workerClientModuleUrl(good),
      { region: 'eu-west-1', endpoint: 'http://127.0.0.1:1', maxAttempts: 2, credentials },
      (client): KinesisApi => {
        adapted.push(client);
        return {
          getShardIterator: async () => ({ ShardIterator: 'it' }),
          getRecords: async () => ({ Records: [], MillisBehindLatest: 0 }),
          listShards: async (input) => {
            await client.send(input as never);
            return { Shards: [] };
          },
        };
      },
    );
    await expect(built.api.listShards({ StreamName: 's' })).resolves.toEqual({ Shards: [] });
    const log = testLog();
    expect(log.configs.at(-1)).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:1',
      maxAttempts: 2,
      credentials,
    });
    expect(log.sent.at(-1)).toEqual({ StreamName: 's' });
    expect(adapted).toHaveLength(1);
    const destroyed = log.destroyed;
    built.release();
    expect(log.destroyed).toBe(destroyed + 1);
  });

  it('a factory that returns no client fails every call with a typed error', async () => {
    const url = workerClientModuleUrl(
      moduleFile('bad-return.mjs', 'export const createKinesisClient = () => ({});'),
    );
    const built = moduleKinesisApi(url, {}, () => {
      throw new Error('never adapted');
    });
    await expect(built.api.getRecords({ ShardIterator: 'x' })).rejects.toThrow(
      /createKinesisClient\(\) did not return a KinesisClient/,
    );
    built.release();
  });

  it('start() rejects with the ValidationError when the module cannot be loaded, and close() resolves', async () => {
    const consumer = new KinesisConsumer({
      streamName: 's',
      runner: 'process',
      workerClientModule: join(dir, 'nowhere.mjs'),
      clientConfig: { region: 'us-east-1' },
    });
    const error = await consumer.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ context: { option: 'workerClientModule' } });
    await consumer.close();
  });
});
