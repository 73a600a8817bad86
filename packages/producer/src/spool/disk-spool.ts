/**
 * The disk spool: an append-only write-ahead log of records in segment files, with a per-segment
 * acknowledgement file. Records are appended in batches (one write per batch; with `fsync: 'always'`
 * one fdatasync per group of batches written together) and marked settled once their outcome is
 * known; a segment whose records have all settled is deleted. `open()` takes the directory's lock and
 * returns the records a previous producer left unsettled, in the order they were written.
 *
 * Record writes, syncs and deletions run in one serial loop. Acknowledgement marks do not wait for
 * it: `settle()` appends them synchronously (one small write per segment per settled batch, to the
 * page cache, not fsynced), so once the producer reports a record acknowledged its mark survives a
 * kill of the process; a kill can only lose acknowledgements still on their way from the host.
 */

import { closeSync, promises as fs, openSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Clock,
  ErrorCode,
  KinesisTsError,
  LifecycleError,
  type Logger,
  type TimerHandle,
} from '@kinesis-ts/core';
import { type HostAckMarksTarget, hostMarksFileName, isHostMarksFileName } from './host-ack-marks.js';
import type { SpoolEvent } from './spool-events.js';
import {
  decodeAcks,
  encodeAcks,
  encodeRecords,
  recordFrameSize,
  SEGMENT_HEADER,
  type SpooledRecord,
  scanFrames,
} from './spool-format.js';
import { acquireSpoolLock, type SpoolLock } from './spool-lock.js';
import type { ResolvedSpoolOptions } from './spool-options.js';
import { ACKS_SUFFIX, readSegments, type Segment, segmentName } from './spool-segments.js';

/** A record to append (the spool assigns its sequence number). */
export type NewRecord = Omit<SpooledRecord, 'seq'>;

/** What `append()` returns. */
export interface Appended {
  /** Sequence number of the first record; the others follow consecutively. */
  readonly firstSeq: number;
  /** Resolves once every record is written (and synced with `fsync: 'always'`); rejects with `SPOOL_IO_FAILED`. */
  readonly written: Promise<void>;
}

interface Chunk {
  readonly buf: Buffer;
  readonly firstSeq: number;
  readonly count: number;
  readonly done: (error?: Error) => void;
}

/** Dependencies of a {@link DiskSpool}. */
export interface DiskSpoolDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onEvent: (event: SpoolEvent) => void;
}

/** An append-only, checksummed, size-bounded record log in one directory. */
export class DiskSpool {
  readonly #o: ResolvedSpoolOptions;
  readonly #deps: DiskSpoolDeps;
  #lock: SpoolLock | undefined;
  #segments: Segment[] = [];
  readonly #segmentOf = new Map<number, Segment>();
  #active: Segment | undefined;
  #handle: FileHandle | undefined;
  #dirty = false;
  #syncTimer: TimerHandle | undefined;
  #syncDue = false;
  /** A periodic (`fsync: 'batch'`) sync in progress; appends go on meanwhile. */
  #syncing: Promise<void> | undefined;
  #nextSeq = 1;
  #bytes = 0;
  #live = 0;
  #queue: Chunk[] = [];
  #loop: Promise<void> | undefined;
  #again = false;
  #full = false;
  #failed: KinesisTsError | undefined;
  #closed = false;

  constructor(options: ResolvedSpoolOptions, deps: DiskSpoolDeps) {
    this.#o = options;
    this.#deps = deps;
  }

  /** Bytes the spool's files take now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Records written and not yet settled. */
  get liveRecords(): number {
    return this.#live;
  }

  /** The pid whose stale lock `open()` took over, if any. */
  get staleLockPid(): number | undefined {
    return this.#lock?.tookOver?.pid;
  }

  /** Where this producer's background host writes acknowledgement marks if this process dies (while open). */
  ackMarkTarget(): HostAckMarksTarget | undefined {
    const lock = this.#lock;
    return lock === undefined || this.#closed ? undefined : { dir: this.#o.dir, lockToken: lock.owner.token };
  }

  /**
   * The marks the orphaned host of the producer whose stale lock was taken over wrote (see
   * host-ack-marks.ts); every host marks file is removed once the spool's own marks hold them.
   */
  async #readHostMarks(names: readonly string[]): Promise<Set<number>> {
    const seqs = new Set<number>();
    const token = this.#lock?.tookOver?.token;
    if (token === undefined || !names.includes(hostMarksFileName(token))) return seqs;
    const file = hostMarksFileName(token);
    let buf: Buffer;
    try {
      buf = await fs.readFile(join(this.#o.dir, file));
    } catch (error) {
      // The marks only spare duplicates: without them, those records are sent again.
      this.#deps.logger.warn('spool: cannot read the orphaned host marks', { file, error });
      return seqs;
    }
    // A torn last frame is the host killed mid-write: those marks are lost (duplicates, not loss).
    scanFrames(buf, 0, (body) => {
      for (const seq of decodeAcks(body) ?? []) seqs.add(seq);
    });
    return seqs;
  }

  #io(action: string, error: unknown): KinesisTsError {
    return new KinesisTsError(
      ErrorCode.SPOOL_IO_FAILED,
      `spool ${this.#o.dir}: cannot ${action}: ${String(error)}`,
      {
        cause: error,
        context: { dir: this.#o.dir },
      },
    );
  }

  /**
   * Creates the directory if needed, takes its lock (`SPOOL_LOCKED` if a live process holds it) and
   * reads what it holds. Returns the unsettled records in write order; checksum failures are skipped
   * and reported as `spoolCorrupt` events.
   */
  async open(): Promise<SpooledRecord[]> {
    const dir = this.#o.dir;
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (error) {
      throw this.#io('create the directory', error);
    }
    this.#lock = await acquireSpoolLock(dir);
    try {
      return await this.#recover();
    } catch (error) {
      await this.#lock.release().catch(() => {});
      this.#lock = undefined;
      throw error instanceof KinesisTsError ? error : this.#io('read the spool', error);
    }
  }

  async #recover(): Promise<SpooledRecord[]> {
    const dir = this.#o.dir;
    const hostFiles = (await fs.readdir(dir)).filter(isHostMarksFileName);
    const byHost = await this.#readHostMarks(hostFiles);
    const contents = await readSegments(dir, (event) => this.#event(event), byHost);
    this.#segments = contents.segments;
    for (const [seq, segment] of contents.segmentOf) this.#segmentOf.set(seq, segment);
    for (const segment of contents.segments) {
      this.#bytes += segment.bytes + segment.ackBytes;
      this.#live += segment.live;
    }
    this.#nextSeq = contents.maxSeq + 1;
    for (const segment of [...this.#segments]) if (segment.live === 0) await this.#delete(segment);
    // The host's marks become the segments' own, then its files go.
    for (const segment of this.#segments) if (segment.acks.length > 0) this.#writeAcks(segment);
    for (const name of hostFiles) await fs.rm(join(dir, name), { force: true });
    this.#event({
      type: 'spoolRecovered',
      dir,
      records: contents.records.length,
      segments: contents.segments.length,
      acknowledgedByHost: contents.acknowledgedByHost,
      staleLockPid: this.#lock?.tookOver?.pid,
    });
    return contents.records;
  }

  #event(event: SpoolEvent): void {
    try {
      this.#deps.onEvent(event);
    } catch (error) {
      this.#deps.logger.warn('spool event hook threw', { error });
    }
  }

  /**
   * Appends records (sequence numbers assigned now, consecutively). Batches larger than a segment are
   * split. When the spool is full, the write waits until settled records free space.
   */
  append(records: readonly NewRecord[]): Appended {
    const firstSeq = this.#nextSeq;
    this.#nextSeq += records.length;
    if (this.#closed || this.#failed !== undefined || this.#lock === undefined) {
      const error =
        this.#failed ??
        new LifecycleError(
          this.#closed ? ErrorCode.CLOSED : ErrorCode.NOT_STARTED,
          `spool ${this.#o.dir} is not open`,
        );
      return { firstSeq, written: Promise.reject(error) };
    }
    const promises: Promise<void>[] = [];
    let start = 0;
    while (start < records.length) {
      let end = start;
      let size = 0;
      while (
        end < records.length &&
        (end === start || size + recordFrameSize(records[end]!) <= this.#o.segmentBytes)
      ) {
        size += recordFrameSize(records[end]!);
        end++;
      }
      const seq0 = firstSeq + start;
      const slice = records.slice(start, end).map((r, i) => ({ ...r, seq: seq0 + i }));
      const buf = encodeRecords(slice);
      promises.push(
        new Promise<void>((resolve, reject) => {
          this.#queue.push({
            buf,
            firstSeq: seq0,
            count: end - start,
            done: (error) => (error ? reject(error) : resolve()),
          });
        }),
      );
      start = end;
    }
    this.#kick();
    const written = Promise.all(promises).then(() => undefined);
    return { firstSeq, written };
  }

  /**
   * Marks records settled (acknowledged, or given up and reported): their marks are written before
   * this returns (one append per segment touched); segments whose records all settled are freed.
   */
  settle(seqs: readonly number[]): void {
    const touched: Segment[] = [];
    let freed = false;
    for (const seq of seqs) {
      const segment = this.#segmentOf.get(seq);
      if (segment === undefined) continue;
      this.#segmentOf.delete(seq);
      segment.live--;
      if (segment.acks.length === 0) touched.push(segment);
      segment.acks.push(seq);
      this.#live--;
      if (segment.live === 0) freed = true;
    }
    if (touched.length === 0) return;
    for (const segment of touched) this.#writeAcks(segment);
    // A segment whose records all settled can go (and its space lets waiting writes in).
    if (freed || this.#queue.length > 0) this.#kick();
  }

  #kick(): void {
    if (this.#loop !== undefined) {
      this.#again = true;
      return;
    }
    this.#loop = this.#run().finally(() => {
      this.#loop = undefined;
      if (this.#again) this.#kick();
    });
  }

  async #run(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#deleteSettled();
        await this.#writeChunks();
        if (this.#syncDue) {
          this.#syncDue = false;
          this.#syncInBackground();
        }
      } catch (error) {
        this.#fail(error instanceof KinesisTsError ? error : this.#io('write', error));
      }
    } while (this.#again);
  }

  #fail(error: KinesisTsError): void {
    this.#failed ??= error;
    this.#deps.logger.error('spool I/O failed', { dir: this.#o.dir, error });
    for (const chunk of this.#queue.splice(0)) chunk.done(this.#failed);
  }

  #fits(size: number, taken: number): boolean {
    return this.#bytes + size <= this.#o.maxBytes || (this.#live === 0 && taken === 0);
  }

  async #writeChunks(): Promise<void> {
    const taken: Chunk[] = [];
    try {
      while (this.#queue.length > 0) {
        const chunk = this.#queue[0]!;
        const active = this.#active;
        const rolling =
          active === undefined ||
          (active.bytes > SEGMENT_HEADER.length && active.bytes + chunk.buf.length > this.#o.segmentBytes);
        const size = chunk.buf.length + (rolling ? SEGMENT_HEADER.length : 0);
        if (!this.#fits(size, taken.length)) {
          // A settled active segment is only kept while it has room: drop it now to free space.
          if (active !== undefined && active.live === 0 && taken.length === 0) {
            await this.#closeActive();
            continue;
          }
          if (!this.#full) {
            this.#full = true;
            this.#event({ type: 'spoolFull', bytes: this.#bytes, maxBytes: this.#o.maxBytes });
          }
          break;
        }
        this.#full = false;
        this.#queue.shift();
        taken.push(chunk);
        if (rolling) await this.#roll(chunk.firstSeq);
        const segment = this.#active!;
        await this.#handle!.write(chunk.buf, 0, chunk.buf.length, segment.bytes);
        segment.bytes += chunk.buf.length;
        this.#bytes += chunk.buf.length;
        for (let i = 0; i < chunk.count; i++) this.#segmentOf.set(chunk.firstSeq + i, segment);
        segment.live += chunk.count;
        this.#live += chunk.count;
        this.#dirty = true;
      }
      if (taken.length === 0) return;
      if (this.#o.fsync === 'always') await this.#sync();
      else this.#scheduleSync();
    } catch (error) {
      // The chunks taken in this round are not (all) written or synced: they fail, and so does the spool.
      const failure = error instanceof KinesisTsError ? error : this.#io('write', error);
      for (const chunk of taken) chunk.done(failure);
      throw failure;
    }
    for (const chunk of taken) chunk.done();
  }

  async #roll(firstSeq: number): Promise<void> {
    await this.#closeActive();
    const segment: Segment = {
      firstSeq,
      name: segmentName(firstSeq),
      bytes: 0,
      ackBytes: 0,
      live: 0,
      acks: [],
    };
    const handle = await fs.open(join(this.#o.dir, segment.name), 'wx');
    this.#handle = handle;
    this.#active = segment;
    this.#segments.push(segment);
    await handle.write(SEGMENT_HEADER, 0, SEGMENT_HEADER.length, 0);
    segment.bytes = SEGMENT_HEADER.length;
    this.#bytes += SEGMENT_HEADER.length;
    // Make the new file's directory entry durable too (a power cut must not lose a synced segment).
    await this.#syncDir();
  }

  async #syncDir(): Promise<void> {
    let dirHandle: FileHandle | undefined;
    try {
      dirHandle = await fs.open(this.#o.dir, 'r');
      await dirHandle.sync();
    } catch (error) {
      this.#deps.logger.debug('spool: directory fsync not supported', { error });
    } finally {
      await dirHandle?.close();
    }
  }

  async #closeActive(): Promise<void> {
    const segment = this.#active;
    const handle = this.#handle;
    if (segment === undefined || handle === undefined) return;
    if (this.#syncing !== undefined) await this.#syncing;
    if (this.#dirty) await handle.datasync();
    this.#dirty = false;
    await handle.close();
    this.#active = undefined;
    this.#handle = undefined;
    if (segment.live === 0) await this.#delete(segment);
  }

  async #sync(): Promise<void> {
    if (!this.#dirty || this.#handle === undefined) return;
    this.#dirty = false;
    await this.#handle.datasync();
  }

  /** The periodic sync of `fsync: 'batch'`: runs beside the appends instead of holding them up. */
  #syncInBackground(): void {
    const handle = this.#handle;
    if (!this.#dirty || handle === undefined) return;
    if (this.#syncing !== undefined) {
      this.#scheduleSync(); // still syncing: try again after another interval
      return;
    }
    this.#dirty = false;
    this.#syncing = handle
      .datasync()
      .catch((error: unknown) => this.#fail(this.#io('fsync', error)))
      .finally(() => {
        this.#syncing = undefined;
      });
  }

  #scheduleSync(): void {
    if (this.#syncTimer !== undefined) return;
    this.#syncTimer = this.#deps.clock.setTimeout(() => {
      this.#syncTimer = undefined;
      this.#syncDue = true;
      this.#kick();
    }, this.#o.syncInterval);
  }

  async #deleteSettled(): Promise<void> {
    for (const segment of [...this.#segments]) {
      if (segment.live === 0 && segment !== this.#active) await this.#delete(segment);
    }
  }

  async #delete(segment: Segment): Promise<void> {
    this.#segments = this.#segments.filter((s) => s !== segment);
    segment.acks = [];
    this.#closeAckFile(segment);
    try {
      await fs.rm(join(this.#o.dir, segment.name), { force: true });
      await fs.rm(join(this.#o.dir, segment.name + ACKS_SUFFIX), { force: true });
    } catch (error) {
      this.#deps.logger.warn('spool: cannot delete a settled segment', {
        segment: segment.name,
        error,
      });
    }
    this.#bytes -= segment.bytes + segment.ackBytes;
  }

  /**
   * Appends a segment's pending marks to its `.acks` file now, synchronously: one frame, one write
   * (to the page cache; a few microseconds). A lost mark only means the record is sent again after a
   * restart (a duplicate, never a loss), so a failure is logged, not raised.
   */
  #writeAcks(segment: Segment): void {
    const buf = encodeAcks(segment.acks);
    segment.acks = [];
    if (this.#closed) return;
    try {
      segment.ackFd ??= openSync(join(this.#o.dir, segment.name + ACKS_SUFFIX), 'a');
      let done = 0;
      while (done < buf.length) done += writeSync(segment.ackFd, buf, done, buf.length - done);
      segment.ackBytes += buf.length;
      this.#bytes += buf.length;
    } catch (error) {
      this.#deps.logger.warn('spool: cannot write acknowledgement marks', { segment: segment.name, error });
    }
  }

  #closeAckFile(segment: Segment): void {
    const fd = segment.ackFd;
    segment.ackFd = undefined;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch (error) {
      this.#deps.logger.debug('spool: cannot close an acknowledgement file', {
        segment: segment.name,
        error,
      });
    }
  }

  /** Waits for pending writes, syncs, closes the files and releases the lock. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#loop !== undefined) await this.#loop;
    if (this.#syncTimer !== undefined) this.#deps.clock.clearTimeout(this.#syncTimer);
    this.#syncTimer = undefined;
    for (const chunk of this.#queue.splice(0))
      chunk.done(new LifecycleError(ErrorCode.CLOSED, `spool ${this.#o.dir} closed before the write`));
    try {
      await this.#closeActive();
    } catch (error) {
      this.#deps.logger.warn('spool: cannot close the active segment', { error });
    }
    for (const segment of this.#segments) this.#closeAckFile(segment);
    await this.#lock?.release().catch(() => {});
    this.#lock = undefined;
  }
}
