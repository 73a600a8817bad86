/**
 * Acknowledgement marks written by the background host when its producer process is gone. While the
 * producer lives, the host only remembers the sequence numbers it reported in the last few seconds
 * (the producer writes their marks itself, but may have died before it did). Once orphaned, it
 * writes those and every record it still gets acknowledged to `<dir>/host-<lock token>.marks` (one
 * CRC-checked frame per acknowledged batch, not fsynced), for as long as the spool's lock is still the
 * one of its dead producer. The next producer that takes that stale lock over reads the file at open,
 * so records the orphaned host delivered are not sent again. A mark that is lost only costs a
 * duplicate; a mark is only ever written for a record Kinesis acknowledged.
 */

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeAcks } from './spool-format.js';
import { LOCK_FILE } from './spool-lock.js';

/** Where the host writes its marks: the spool directory and its producer's lock token. */
export interface HostAckMarksTarget {
  readonly dir: string;
  readonly lockToken: string;
}

/** How long reported acknowledgements are remembered in case the producer dies before marking them. */
export const RECENT_MS = 5000;

/** File name of the marks written by the host of the producer holding lock `token`. */
export function hostMarksFileName(token: string): string {
  return `host-${token}.marks`;
}

/** True for a host marks file name (any token). */
export function isHostMarksFileName(name: string): boolean {
  return name.startsWith('host-') && name.endsWith('.marks');
}

/** The host's side of the marks (see the file's header). Failures are swallowed: marks are an optimisation. */
export class HostAckMarks {
  readonly #target: HostAckMarksTarget;
  readonly #now: () => number;
  /** Batches reported to the producer lately, oldest first. */
  #recent: { readonly at: number; readonly seqs: ArrayLike<number> }[] = [];
  #fd: number | undefined;
  #orphaned = false;
  #stopped = false;

  constructor(target: HostAckMarksTarget, now: () => number = Date.now) {
    this.#target = target;
    this.#now = now;
  }

  /** The producer was told these records were acknowledged (one call per batch). */
  reported(seqs: ArrayLike<number>): void {
    if (this.#orphaned || seqs.length === 0) return;
    const now = this.#now();
    this.#recent.push({ at: now, seqs });
    let drop = 0;
    while (drop < this.#recent.length && this.#recent[drop]!.at < now - RECENT_MS) drop++;
    if (drop > 0) this.#recent.splice(0, drop);
  }

  /** The producer is gone: writes the marks of what it was told lately. Idempotent. */
  orphaned(): void {
    if (this.#orphaned) return;
    this.#orphaned = true;
    const seqs: number[] = [];
    for (const batch of this.#recent) for (let i = 0; i < batch.seqs.length; i++) seqs.push(batch.seqs[i]!);
    this.#recent = [];
    this.#write(seqs);
  }

  /** After `orphaned()`: Kinesis acknowledged these records (one call per batch). */
  acknowledged(seqs: readonly number[]): void {
    if (!this.#orphaned) return;
    this.#write(seqs);
  }

  /** True while the spool's lock is still the dead producer's (no new producer took it over). */
  #lockStillOurs(): boolean {
    try {
      const owner = JSON.parse(readFileSync(join(this.#target.dir, LOCK_FILE), 'utf8')) as {
        token?: unknown;
      };
      return owner.token === this.#target.lockToken;
    } catch {
      return false;
    }
  }

  #write(seqs: readonly number[]): void {
    if (this.#stopped || seqs.length === 0) return;
    // A new producer took the spool over: it reads marks only of the lock it took, so stop here.
    if (!this.#lockStillOurs()) {
      this.close();
      return;
    }
    try {
      this.#fd ??= openSync(join(this.#target.dir, hostMarksFileName(this.#target.lockToken)), 'a');
      const buf = encodeAcks(seqs);
      let done = 0;
      while (done < buf.length) done += writeSync(this.#fd, buf, done, buf.length - done);
    } catch {
      this.close();
    }
  }

  /** Stops writing and closes the file. Idempotent. */
  close(): void {
    this.#stopped = true;
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined)
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
  }
}
