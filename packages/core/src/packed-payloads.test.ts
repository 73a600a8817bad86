import { describe, expect, it } from 'vitest';
import { packPayloads, unpackPayloads } from './packed-payloads.js';

describe('packPayloads / unpackPayloads', () => {
  it('round-trips payloads of any size, empty ones included, in order', () => {
    const items = [
      new Uint8Array([1, 2, 3]),
      new Uint8Array(0),
      Buffer.from('héllo'),
      new Uint8Array(70_000).fill(7),
    ];
    const packed = packPayloads(items.map((data) => ({ data })));
    expect(Array.from(packed.offsets)).toEqual([0, 3, 3, 9, 70_009]);
    const out = unpackPayloads(packed);
    expect(out.map((b) => Array.from(b))).toEqual(items.map((d) => Array.from(d)));
  });

  it('gives a transferable buffer its own ArrayBuffer', () => {
    const packed = packPayloads([{ data: new Uint8Array([9]) }], { transferable: true });
    expect(packed.data.byteOffset).toBe(0);
    expect(packed.data.buffer.byteLength).toBe(1);
  });

  it('survives structured clone (what IPC and worker messages do)', () => {
    const packed = structuredClone(packPayloads([{ data: Buffer.from('a') }, { data: Buffer.from('bc') }]));
    expect(unpackPayloads(packed).map((b) => b.toString())).toEqual(['a', 'bc']);
  });

  it('packs nothing into an empty batch', () => {
    const packed = packPayloads([]);
    expect(packed.data.byteLength).toBe(0);
    expect(unpackPayloads(packed)).toEqual([]);
  });
});
