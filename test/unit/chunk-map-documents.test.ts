// The documents kept beside the chunk map: forgotten with any chunk of theirs that changes, never remembered from a
// read that a chunk change overtook, and bounded.
import { describe, expect, it } from 'vitest';
import type { StoredDocument } from '../../src/domain/documents.js';
import { ChunkMap, type ChunkMeta } from '../../src/repositories/chunk-map.js';

const doc = (pk: number, v = 1): StoredDocument => ({ pk: BigInt(pk), id: `d${pk}`, fields: { v }, media: {}, createdAt: new Date(0), updatedAt: new Date(0) });
const meta = (pk: number): ChunkMeta => ({ documentPk: BigInt(pk), field: 'image', kind: 'image', box: null, text: null });

describe('ChunkMap documents', () => {
  it('keeps a document read while no chunk changed, until one of its chunks is added or removed', () => {
    const map = new ChunkMap();
    map.set(BigInt64Array.from([1n, 2n]), [meta(10), meta(20)]);
    map.remember([doc(10), doc(20)], map.epoch);
    expect(map.document(10n)).toEqual(doc(10));
    map.set(BigInt64Array.from([3n]), [meta(10)]); // a new version of document 10 brings new chunks
    expect(map.document(10n)).toBeUndefined();
    expect(map.document(20n)).toEqual(doc(20));
    map.delete(BigInt64Array.from([2n])); // document 20 deleted
    expect(map.document(20n)).toBeUndefined();
  });

  it('does not remember a read that a chunk change overtook', () => {
    const map = new ChunkMap();
    map.set(BigInt64Array.from([1n]), [meta(10)]);
    const epoch = map.epoch; // a search starts reading document 10
    map.delete(BigInt64Array.from([1n])); // meanwhile a replay removes its chunks
    map.set(BigInt64Array.from([2n]), [meta(10)]);
    map.remember([doc(10, 1)], epoch); // the read returns, possibly the old version
    expect(map.document(10n)).toBeUndefined();
    map.remember([doc(10, 2)], map.epoch);
    expect(map.document(10n)).toEqual(doc(10, 2));
  });

  it('drops the least recently used documents past its capacity, and keeps none at 0', () => {
    const map = new ChunkMap(2);
    map.remember([doc(1), doc(2)], map.epoch);
    map.document(1n); // 2 is now the oldest
    map.remember([doc(3)], map.epoch);
    expect([map.document(1n), map.document(2n), map.document(3n)].map((d) => d?.pk ?? null)).toEqual([1n, null, 3n]);
    const none = new ChunkMap(0);
    none.remember([doc(1)], none.epoch);
    expect(none.document(1n)).toBeUndefined();
  });
});
