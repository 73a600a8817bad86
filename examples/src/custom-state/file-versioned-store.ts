/**
 * A {@link VersionedStore} in a directory that several processes on one host share, so the example
 * adapter can be raced across processes. Each key is a folder with one file per version
 * (`1.json`, `2.json`, ...). A write fills a temporary file and `link`s it to the next version's
 * name: `link` fails when that name exists, so compare-and-set is atomic across processes and a
 * reader never sees half a value. Versions are never deleted (deleting one would let a stale
 * compare-and-set recreate it), so the folder grows by one small file per write: fine for tests
 * and demos; a real store (Redis, etcd, SQL) keeps only the latest version.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateAdapterCapabilities } from '@kinesis-ts/core';
import type { Versioned, VersionedStore } from './versioned-store.js';

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** A {@link VersionedStore} on a local directory; every instance on the same directory shares it. */
export class FileVersionedStore implements VersionedStore {
  /** Processes on this host share it; it survives restarts. */
  readonly capabilities: StateAdapterCapabilities = { sharedAcrossProcesses: true, durable: true };

  constructor(readonly directory: string) {}

  async get(key: string): Promise<Versioned | undefined> {
    const folder = join(this.directory, Buffer.from(key).toString('base64url'));
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    const versions = names
      .filter((name) => /^\d+\.json$/.test(name))
      .map((name) => Number.parseInt(name, 10));
    if (versions.length === 0) return undefined;
    const version = Math.max(...versions);
    return { key, value: await readFile(join(folder, `${version}.json`), 'utf8'), version };
  }

  async list(prefix: string): Promise<Versioned[]> {
    let folders: string[];
    try {
      folders = await readdir(this.directory);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const keys = folders
      .filter((name) => !name.startsWith('.'))
      .map((name) => Buffer.from(name, 'base64url').toString())
      .filter((key) => key.startsWith(prefix));
    const entries = await Promise.all(keys.map((key) => this.get(key)));
    return entries.filter((entry): entry is Versioned => entry !== undefined);
  }

  async compareAndSet(key: string, value: string, expected: number | undefined): Promise<boolean> {
    const folder = join(this.directory, Buffer.from(key).toString('base64url'));
    await mkdir(folder, { recursive: true });
    const temporary = join(this.directory, `.${randomUUID()}.tmp`);
    await writeFile(temporary, value);
    try {
      await link(temporary, join(folder, `${(expected ?? 0) + 1}.json`));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(temporary);
    }
  }
}
