// Derived search state (FAISS + chunk map + cached index records): no per-query Postgres work when nothing
// changed, and correct when another Loupe on the same Postgres writes (LISTEN/NOTIFY, version-check fallback).
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';
import { sceneImage, type Rgb } from '../helpers/images.js';

const RED: Rgb = [220, 30, 30];
const BLUE: Rgb = [30, 60, 220];
const WHITE: Rgb = [255, 255, 255];
const redBox = { x1: 10, y1: 10, x2: 90, y2: 90 };

let a: TestLoupe;
let b: TestLoupe;

async function queriesDuring<T>(fn: () => Promise<T>): Promise<{ result: T; texts: string[] }> {
  const spy = vi.spyOn(pg.Client.prototype, 'query');
  try {
    const result = await fn();
    return { result, texts: spy.mock.calls.map((c) => String(typeof c[0] === 'string' ? c[0] : (c[0] as { text?: string })?.text)) };
  } finally {
    spy.mockRestore();
  }
}

async function addImage(t: TestLoupe, index: string, id: string, colour: Rgb) {
  const file = `${id}.png`;
  await writeFile(join(t.imageRoot, file), await sceneImage(300, 300, WHITE, [{ ...redBox, colour }]));
  const res = await t.loupe.documents.add(index, [{ id, fields: { image: file } }]);
  expect(res.every((r) => r.ok)).toBe(true);
}

const ids = async (t: TestLoupe, index: string, q = 'red') => (await t.loupe.search.search(index, { q, limit: 10 })).hits.map((h) => h.id);

beforeAll(async () => {
  // No indexing workers in these processes (documents are added directly): their queue polling would be counted as
  // the searches' Postgres work below.
  a = await createTestLoupe({ serveWorker: false });
  // B shares A's database but not its data folder: a second Loupe process in all but the OS process. Its periodic
  // safety check is off, so what it learns about A's writes comes from the change feed (or the fallback).
  b = await createTestLoupe({ databaseUrl: a.config.databaseUrl, searchVerifyMs: 3_600_000, serveWorker: false });
  await a.loupe.indexes.create({ name: 'shared', regionMethod: 'simple' });
  await addImage(a, 'shared', 'red-1', RED);
}, 180_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('search without per-query Postgres work', () => {
  it('reads the documents of the page once, then answers an unchanged index without Postgres', async () => {
    const { texts: first } = await queriesDuring(() => a.loupe.search.search('shared', { q: 'red', limit: 10 })); // loads FAISS, chunk map, record
    expect(first.filter((t) => /FROM documents WHERE id = ANY/.test(t))).toHaveLength(1); // the page's documents, one prepared statement
    const { result, texts } = await queriesDuring(() => a.loupe.search.search('shared', { q: 'red', limit: 10 }));
    expect(result.hits.map((h) => h.id)).toEqual(['red-1']);
    expect(result.hits[0]!.highlights[0]).toMatchObject({ field: 'image', box: { x1: 0, y1: 0, x2: 100, y2: 100 } });
    expect(result.hits[0]!.fields).toEqual({ image: 'red-1.png' });
    expect(texts).toEqual([]); // its documents are kept beside the chunk map
    // LEXICAL and HYBRID read Postgres as it is now, documents included.
    const lexical = await queriesDuring(() => a.loupe.search.search('shared', { q: 'red', method: 'HYBRID', limit: 10 }));
    expect(lexical.texts.some((t) => /FROM documents WHERE id = ANY/.test(t))).toBe(true);
  });

  it("shows a document's new fields once another Loupe replaced it (its kept copy goes with its old chunks)", async () => {
    await ids(b, 'shared'); // B keeps red-1's document
    const file = 'red-1.png';
    const res = await a.loupe.documents.add('shared', [{ id: 'red-1', fields: { image: file, note: 'second version' } }]);
    expect(res.every((r) => r.ok)).toBe(true);
    await vi.waitFor(
      async () => {
        const hit = (await b.loupe.search.search('shared', { q: 'red' })).hits.find((h) => h.id === 'red-1');
        expect(hit?.fields).toEqual({ image: file, note: 'second version' });
      },
      { timeout: 5_000, interval: 20 },
    );
    expect((await a.loupe.search.search('shared', { q: 'red' })).hits.find((h) => h.id === 'red-1')?.fields).toEqual({ image: file, note: 'second version' });
  });

  it('sees a write made by another Loupe on the same Postgres, through the change feed', async () => {
    expect(await ids(b, 'shared')).toEqual(['red-1']);
    await queriesDuring(() => b.loupe.search.search('shared', { q: 'red' })).then(({ texts }) => expect(texts).toEqual([]));
    await addImage(a, 'shared', 'red-2', RED);
    await vi.waitFor(async () => expect((await ids(b, 'shared')).sort()).toEqual(['red-1', 'red-2']), { timeout: 5_000, interval: 20 });
    // The new chunks came with their boxes (chunk map replayed, not only the vectors).
    const hit = (await b.loupe.search.search('shared', { q: 'red' })).hits.find((h) => h.id === 'red-2')!;
    expect(hit.highlights[0]).toMatchObject({ field: 'image', box: { x1: 0, y1: 0, x2: 100, y2: 100 } });
    await a.loupe.documents.delete('shared', ['red-2']);
    await vi.waitFor(async () => expect(await ids(b, 'shared')).toEqual(['red-1']), { timeout: 5_000, interval: 20 });
  });

  it('falls back to a version check while the feed is down, so no write is missed', async () => {
    const pid = b.loupe.feed.backendPid;
    expect(pid).not.toBeNull();
    const admin = new pg.Client({ connectionString: a.config.databaseUrl! });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await admin.end();
    await vi.waitFor(() => expect(b.loupe.feed.backendPid).not.toBe(pid), { timeout: 5_000, interval: 5 });
    // Whether B is still disconnected or already listening again in a new epoch, its next search checks Postgres.
    await addImage(a, 'shared', 'blue-1', BLUE);
    expect(await ids(b, 'shared', 'blue')).toContain('blue-1');
    await vi.waitFor(() => expect(b.loupe.feed.connected).toBe(true), { timeout: 10_000, interval: 20 });
    expect(await ids(b, 'shared', 'blue')).toContain('blue-1');
  });

  it('forgets an index that another Loupe deleted', async () => {
    await a.loupe.indexes.create({ name: 'doomed', regionMethod: 'none' });
    await addImage(a, 'doomed', 'red-x', RED);
    await vi.waitFor(async () => expect(await ids(b, 'doomed')).toEqual(['red-x']), { timeout: 5_000, interval: 20 });
    await a.loupe.indexes.delete('doomed');
    await vi.waitFor(async () => expect(b.loupe.search.search('doomed', { q: 'red' })).rejects.toMatchObject({ code: 'INDEX_NOT_FOUND' }), {
      timeout: 5_000,
      interval: 20,
    });
  });

  it('rebuilds a missing chunk map from Postgres beside a kept FAISS snapshot', async () => {
    const before = await a.loupe.search.search('shared', { q: 'red', limit: 10 });
    const { id } = await a.loupe.indexes.get('shared');
    const vectors = join(a.config.dataDir, 'vectors');
    await a.restart(async () => {
      expect(existsSync(join(vectors, `${id}.chunks.json`))).toBe(true); // flushed on close, beside the FAISS file
      await rm(join(vectors, `${id}.chunks.json`));
    });
    const after = await a.loupe.search.search('shared', { q: 'red', limit: 10 });
    expect(after.hits.map((h) => [h.id, h.highlights])).toEqual(before.hits.map((h) => [h.id, h.highlights]));
    expect(existsSync(join(vectors, `${id}.faiss`))).toBe(true);
  });
});
