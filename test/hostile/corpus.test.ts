// The hostile-input corpus (make-corpus.ts) through the real indexing path, three ways in: GraphQL multipart
// uploads, URLs on a local HTTP server, and paths under the image root. Every file gets its expected typed error or
// is indexed; images that must work are indexed upright, with boxes in upright pixels; the server keeps answering;
// peak RSS is reported. (Network misbehaviour — stalls, lying lengths, 100 MB bodies, redirects to private
// addresses — is covered by test/io/http-source.test.ts; two of those go through the indexing path here too.)
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';
import { makeCorpus, UPRIGHT, type CorpusCase } from './make-corpus.js';

let t: TestLoupe;
let corpus: CorpusCase[];
let server: Server;
let base: string;
const ADD = `mutation($d: [DocumentInput!]!) { addDocuments(index: "hostile", documents: $d) {
  __typename ... on AddDocumentsPayload { results { id ok code message } } ... on LoupeError { code message } } }`;

type Result = { id: string; ok: boolean; code: string | null; message: string | null };

async function uploadAll(cases: CorpusCase[]): Promise<Result[]> {
  const form = new FormData();
  const docs = cases.map((c) => ({ id: `upload:${c.name}`, fields: { case: c.name, way: 'upload' }, files: [{ field: 'image', file: null }] }));
  form.set('operations', JSON.stringify({ query: ADD, variables: { d: docs } }));
  form.set('map', JSON.stringify(Object.fromEntries(cases.map((_, i) => [String(i), [`variables.d.${i}.files.0.file`]]))));
  cases.forEach((c, i) => form.set(String(i), new Blob([c.bytes as Uint8Array<ArrayBuffer>], { type: c.type }), c.name));
  const res = await t.yoga.fetch('http://127.0.0.1/graphql', { method: 'POST', body: form });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { data: { addDocuments: { __typename: string; results: Result[] } } };
  expect(body.data.addDocuments.__typename).toBe('AddDocumentsPayload');
  return body.data.addDocuments.results;
}

async function addByField(docs: { id: string; fields: Record<string, unknown> }[]): Promise<Result[]> {
  const r = await t.gql(ADD, { d: docs });
  expect(r.addDocuments.__typename).toBe('AddDocumentsPayload');
  return r.addDocuments.results;
}

function expectOutcomes(results: Result[], prefix: string): void {
  const byId = new Map(results.map((r) => [r.id, r]));
  for (const c of corpus) {
    const r = byId.get(`${prefix}:${c.name}`);
    expect(r, c.name).toBeDefined();
    if (c.expect === 'ok') expect(r, `${prefix} ${c.name}: ${r?.message}`).toMatchObject({ ok: true });
    else {
      expect(r!.code, `${prefix} ${c.name}: ${r!.message}`).toBe(c.expect);
      expect(r!.message!.length).toBeGreaterThan(10);
    }
  }
}

async function stillServing(): Promise<void> {
  const r = await t.gql('{ indexes { name documentCount } }');
  expect(r.indexes.find((i: { name: string }) => i.name === 'hostile')).toBeDefined();
  const ready = await t.yoga.fetch('http://127.0.0.1/ready');
  expect(ready.status).toBe(200);
}

beforeAll(async () => {
  corpus = await makeCorpus();
  t = await createTestLoupe();
  const byName = new Map(corpus.map((c) => [c.name, c]));
  server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').slice(1));
    if (path === 'to-metadata') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    if (path === 'png-as-html') return void res.writeHead(200, { 'content-type': 'text/html' }).end(byName.get('cmyk.jpg')!.bytes);
    const c = byName.get(path);
    if (!c) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': c.type, 'content-length': c.bytes.length }).end(c.bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const c of corpus) writeFileSync(join(t.imageRoot, c.name), c.bytes);
  const created = await t.gql('mutation { createIndex(input: { name: "hostile", regionMethodSpec: "simple?hn=3&wn=3" }) { __typename } }');
  expect(created.createIndex.__typename).toBe('Index');
}, 120_000);

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await t?.close();
});

describe('hostile-input corpus through the indexing path', () => {
  it('covers every kind of case the issue lists', () => {
    const groups = new Set(corpus.map((c) => c.group));
    expect([...groups].sort()).toEqual(['animated', 'bomb', 'broken', 'exif', 'svg', 'unusual']);
    for (const fmt of ['jpg', 'png', 'webp', 'gif']) {
      expect(
        corpus.some((c) => c.name === `truncated.${fmt}`),
        fmt,
      ).toBe(true);
      expect(
        corpus.some((c) => c.name === `corrupt.${fmt}`),
        fmt,
      ).toBe(true);
    }
    expect(corpus.filter((c) => c.group === 'exif')).toHaveLength(8);
  });

  it('gives each uploaded file its typed error or indexes it, in one batch', async () => {
    expectOutcomes(await uploadAll(corpus), 'upload');
    await stillServing();
  }, 120_000);

  it('does the same for URLs, plus a redirect to link-local metadata and a wrong Content-Type', async () => {
    const docs = corpus.map((c) => ({ id: `url:${c.name}`, fields: { case: c.name, way: 'url', image: `${base}/${encodeURIComponent(c.name)}` } }));
    docs.push({ id: 'url:to-metadata', fields: { case: 'to-metadata', way: 'url', image: `${base}/to-metadata` } });
    docs.push({ id: 'url:png-as-html', fields: { case: 'png-as-html', way: 'url', image: `${base}/png-as-html` } });
    const results = await addByField(docs);
    expectOutcomes(results, 'url');
    expect(results.find((r) => r.id === 'url:to-metadata')).toMatchObject({ ok: false, code: 'FORBIDDEN_ADDRESS' });
    expect(results.find((r) => r.id === 'url:png-as-html')).toMatchObject({ ok: false, code: 'UNSUPPORTED_MEDIA_TYPE' });
    await stillServing();
  }, 120_000);

  it('does the same for local paths under the image root', async () => {
    expectOutcomes(await addByField(corpus.map((c) => ({ id: `path:${c.name}`, fields: { case: c.name, way: 'path', image: c.name } }))), 'path');
    await stillServing();
  }, 120_000);

  it('indexes rotated, mirrored, animated and unusual images upright, with boxes in upright pixels', async () => {
    const Q = `query($id: String!) { document(index: "hostile", id: $id) { ... on Document { media { width height } regions { kind box { x1 y1 x2 y2 } } } } }`;
    const SEARCH = `query($c: JSON!) { search(index: "hostile", input: { q: "red", searchableAttributes: ["image"], filters: [{ field: "case", eq: $c }, { field: "way", eq: "upload" }] }) {
      ... on SearchResponse { hits { id highlights { box { x1 y1 x2 y2 } } } } } }`;
    const { width, height, red } = UPRIGHT;
    for (const c of corpus.filter((x) => x.upright)) {
      const d = (await t.gql(Q, { id: `upload:${c.name}` })).document;
      expect(d.media, c.name).toEqual([{ width, height }]);
      const boxes = d.regions
        .filter((r: { kind: string }) => r.kind === 'image')
        .map((r: { box: { x1: number; y1: number; x2: number; y2: number } }) => r.box);
      expect(boxes, c.name).toHaveLength(10);
      expect(boxes[0], c.name).toEqual({ x1: 0, y1: 0, x2: width, y2: height });
      expect(boxes[1], c.name).toEqual(red); // the first grid cell, in upright pixels
      for (const b of boxes) expect(b.x2 <= width && b.y2 <= height && b.x1 >= 0 && b.y1 >= 0, c.name).toBe(true);
      // The red block is found where it is in the upright picture.
      const hits = (await t.gql(SEARCH, { c: c.name })).search.hits;
      expect(hits.map((h: { id: string }) => h.id)).toEqual([`upload:${c.name}`]);
      expect(hits[0].highlights[0].box, c.name).toEqual(red);
    }
  }, 120_000);

  it('keeps memory bounded (peak RSS reported)', async () => {
    const peak = process.resourceUsage().maxRSS * 1024;
    console.log(`hostile corpus: ${corpus.length} files × 3 ways in; peak RSS of the test process (server in-process) ${(peak / 2 ** 20).toFixed(0)} MiB`);
    // The heaviest legal image decodes to 147 MB of RGB; three of them were indexed.
    expect(peak).toBeLessThan(1.5 * 2 ** 30);
    await stillServing();
  });
});
