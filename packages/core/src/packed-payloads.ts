/**
 * Many records' payloads packed back to back into one buffer plus offsets: how a batch crosses a
 * process or thread boundary as one message with few, large fields (never one message per record).
 */

/** Payloads in transport form. Both fields survive structured clone. */
export interface PackedPayloads {
  /** Every payload, back to back. */
  readonly data: Uint8Array;
  /** `offsets[i]..offsets[i + 1]` is payload i (length n + 1). */
  readonly offsets: Uint32Array;
}

/** Options of {@link packPayloads}. */
export interface PackPayloadsOptions {
  /**
   * Allocate the buffer outside Node's shared pool, so it owns its `ArrayBuffer` alone and can be put in
   * a worker thread's transfer list. Default false.
   */
  readonly transferable?: boolean;
}

/** Packs the `data` of every item into one buffer. */
export function packPayloads(
  items: readonly { readonly data: Uint8Array }[],
  options: PackPayloadsOptions = {},
): PackedPayloads {
  const n = items.length;
  const offsets = new Uint32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = total;
    total += items[i]!.data.byteLength;
  }
  offsets[n] = total;
  const data = options.transferable ? Buffer.allocUnsafeSlow(total) : Buffer.allocUnsafe(total);
  for (let i = 0; i < n; i++) data.set(items[i]!.data, offsets[i]!);
  return { data, offsets };
}

/**
 * The payloads of a packed batch as `Buffer` views into its one buffer (no copy): keeping one payload
 * keeps the whole batch's buffer alive.
 */
export function unpackPayloads(packed: PackedPayloads): Buffer[] {
  const bytes = Buffer.from(packed.data.buffer, packed.data.byteOffset, packed.data.byteLength);
  const n = packed.offsets.length - 1;
  const out = new Array<Buffer>(Math.max(0, n));
  for (let i = 0; i < n; i++) out[i] = bytes.subarray(packed.offsets[i]!, packed.offsets[i + 1]!);
  return out;
}
