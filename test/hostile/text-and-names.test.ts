// Hostile strings and names through GraphQL (issue 12.6, 12.7, 12.8, 12.10, 12.12, 12.13): NUL characters and
// unpaired surrogates in every string input, names that are built-in object properties, broken percent-encoding,
// JSON nested 100,000 deep, inputs that would echo server internals or huge values, and ambiguous input. Each gets a
// clear typed INVALID_INPUT (or a documented result), never Prisma's or another internal message, and the server
// keeps answering.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicModel } from '../../src/models/pull.js';
import { invalidArgument } from '../../src/domain/errors.js';
import { sceneImage } from '../helpers/images.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';

let t: TestLoupe;
let png: Buffer;
const NUL = 'a\u0000b';
const LONE = 'x\ud800';
const INTERNALS = /prisma|invalid byte sequence|invocation|stack|at async|node_modules|\/tmp\/|\/work\//i;

const ADD = `mutation($d: [DocumentInput!]!, $index: String! = "texts") { addDocuments(index: $index, documents: $d) {
  __typename ... on AddDocumentsPayload { results { id ok code message } } ... on LoupeError { code message } } }`;
const SEARCH = `query($input: SearchInput!) { search(index: "texts", input: $input) { __typename
  ... on SearchResponse { hits { id } } ... on LoupeError { code message } } }`;

async function post(body: unknown) {
  const res = await t.yoga.fetch('http://127.0.0.1/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** A GraphQL multipart request: one file per entry, mapped to the given variable path. */
async function multipart(query: string, variables: Record<string, unknown>, files: { path: string; name: string; bytes: Uint8Array }[]) {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query, variables }));
  form.set('map', JSON.stringify(Object.fromEntries(files.map((f, i) => [String(i), [f.path]]))));
  files.forEach((f, i) => form.set(String(i), new Blob([f.bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }), f.name));
  const res = await t.yoga.fetch('http://127.0.0.1/graphql', { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as any };
}

function expectClearInvalid(r: { code: string | null; message: string | null }, what: RegExp) {
  expect(r.code).toBe('INVALID_INPUT');
  expect(r.message).toMatch(what);
  expect(r.message).not.toMatch(INTERNALS);
}

async function stillServing() {
  const r = await t.gql('{ indexes { name } }');
  expect(r.indexes.map((i: { name: string }) => i.name)).toContain('texts');
}

beforeAll(async () => {
  t = await createTestLoupe();
  png = await sceneImage(48, 48, [255, 255, 255], [{ x1: 0, y1: 0, x2: 24, y2: 24, colour: [220, 30, 30] }]);
  await t.gql('mutation { createIndex(input: { name: "texts", regionMethodSpec: "none" }) { __typename } }');
  await t.gql(ADD, { d: [{ id: 'plain', fields: { title: 'red square', colour: 'red' } }] });
}, 120_000);

afterAll(async () => t?.close());

describe('NUL characters and unpaired surrogates (12.6)', () => {
  it('refuses them in ids and field values per document, with INVALID_INPUT naming the input, the others indexed', async () => {
    const r = (
      await t.gql(ADD, {
        d: [
          { id: NUL, fields: { title: 'x' } },
          { id: 'v1', fields: { title: LONE } },
          { id: 'v2', fields: { title: `nul${'\u0000'}inside` } },
          { id: `lone${'\udc00'}`, fields: { title: 'y' } },
          { id: 'fine', fields: { title: 'fine \ud83d\ude00 emoji pair' } },
        ],
      })
    ).addDocuments.results;
    expectClearInvalid(r[0], /^Expected text without NUL characters or unpaired UTF-16 surrogates for id but received "a\\u0000b"/);
    expectClearInvalid(r[1], /for fields\.title but received "x\\ud800"/);
    expectClearInvalid(r[2], /for fields\.title/);
    expectClearInvalid(r[3], /for id/);
    expect(r[4]).toMatchObject({ id: 'fine', ok: true });
    await stillServing();
  });

  it("refuses an upload named filename*=UTF-8''a%00b.png per document, before the file is stored", async () => {
    const uploads = join(t.config.dataDir, 'uploads');
    const stored = () => (existsSync(uploads) ? readdirSync(uploads).length : 0);
    const before = stored();
    const operations = JSON.stringify({
      query: ADD,
      variables: {
        d: [
          { id: 'named', fields: {}, files: [{ field: 'image', file: null }] },
          { id: 'plain-name', fields: { title: 'kept' } },
        ],
      },
    });
    const head = (name: string, extra = '') => `--x\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n`;
    const body = Buffer.concat([
      Buffer.from(`${head('operations')}\r\n${operations}\r\n${head('map')}\r\n{"0":["variables.d.0.files.0.file"]}\r\n`),
      Buffer.from(`${head('0', "; filename*=UTF-8''a%00b.png")}Content-Type: image/png\r\n\r\n`),
      png,
      Buffer.from('\r\n--x--\r\n'),
    ]);
    const res = await t.yoga.fetch('http://127.0.0.1/graphql', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(body.length) },
      body,
    });
    expect(res.status).toBe(200);
    const [named, plain] = ((await res.json()) as any).data.addDocuments.results;
    expectClearInvalid(named, /for files\[image\]\.file name but received "a\\u0000b\.png"/);
    expect(plain).toMatchObject({ ok: true });
    expect(stored()).toBe(before);
  });

  it('refuses them in q (every method), rerank prompts and filter values with a typed INVALID_INPUT', async () => {
    for (const method of ['TENSOR', 'LEXICAL', 'HYBRID']) {
      for (const q of [NUL, LONE]) {
        const s = (await t.gql(SEARCH, { input: { q, method } })).search;
        expect(s.__typename, `${method} ${JSON.stringify(q)}`).toBe('LoupeError');
        expectClearInvalid(s, /for q but received/);
      }
    }
    const prompt = (await t.gql(SEARCH, { input: { q: 'red', rerank: { prompt: NUL } } })).search;
    expectClearInvalid(prompt, /for rerank\.prompt/);
    for (const filter of [
      { field: 'colour', eq: NUL },
      { field: 'colour', eq: LONE },
      { field: 'colour', in: ['red', NUL] },
      { field: 'colour', in: [{ k: LONE }] },
      { field: 'colour', in: [{ [NUL]: 1 }] },
    ]) {
      const s = (await t.gql(SEARCH, { input: { q: 'red', method: 'LEXICAL', filters: [filter] } })).search;
      expect(s.__typename, JSON.stringify(filter)).toBe('LoupeError');
      expectClearInvalid(s, /for filters\[colour\]\.(eq|in)/);
    }
    // A clean filter value still works.
    expect((await t.gql(SEARCH, { input: { q: 'red', method: 'LEXICAL', filters: [{ field: 'colour', eq: 'red' }] } })).search.hits).toEqual([{ id: 'plain' }]);
  });

  it('refuses them in document(id:) and deleteDocuments with a typed INVALID_INPUT', async () => {
    for (const id of [NUL, LONE]) {
      const d = (await t.gql('query($id: String!) { document(index: "texts", id: $id) { __typename ... on LoupeError { code message } } }', { id })).document;
      expect(d.__typename).toBe('LoupeError');
      expectClearInvalid(d, /for id but received/);
      const del = (
        await t.gql('mutation($ids: [String!]!) { deleteDocuments(index: "texts", ids: $ids) { __typename ... on LoupeError { code message } } }', {
          ids: ['plain', id],
        })
      ).deleteDocuments;
      expect(del.__typename).toBe('LoupeError');
      expectClearInvalid(del, /for ids\[1\] but received/);
    }
    // Nothing was deleted by the refused batches.
    expect((await t.gql('{ document(index: "texts", id: "plain") { __typename } }')).document.__typename).toBe('Document');
  });
});

describe('unexpected errors (12.6, issue 15 "one error story")', () => {
  it('answers a document that fails unexpectedly with INTERNAL and the request id, never the internal message', async () => {
    const repo = (t.loupe.documents as unknown as { repo: { replaceMany: (...a: unknown[]) => Promise<unknown> } }).repo;
    const original = repo.replaceMany;
    repo.replaceMany = async () => {
      throw new Error('Invalid `prisma.document.create()` invocation: secret detail /srv/data');
    };
    try {
      const res = await t.yoga.fetch('http://127.0.0.1/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-internal-1' },
        body: JSON.stringify({ query: ADD, variables: { d: [{ id: 'boom', fields: { title: 'x' } }] } }),
      });
      const r = ((await res.json()) as any).data.addDocuments.results[0];
      expect(r).toMatchObject({ id: 'boom', ok: false, code: 'INTERNAL' });
      expect(r.message).toContain('req-internal-1');
      expect(r.message).not.toMatch(/prisma|secret|\/srv/);
    } finally {
      repo.replaceMany = original;
    }
  });

  it('answers an unexpected resolver error with code INTERNAL and the request id (masked, not INTERNAL_SERVER_ERROR)', async () => {
    const indexes = t.loupe.indexes as unknown as { listWithCounts: () => Promise<unknown> };
    const original = indexes.listWithCounts;
    indexes.listWithCounts = async () => {
      throw new Error('connection to 10.1.2.3:5432 refused; password=hunter2');
    };
    try {
      const res = await t.yoga.fetch('http://127.0.0.1/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-internal-2' },
        body: JSON.stringify({ query: '{ indexes { name } }' }),
      });
      const body = (await res.json()) as any;
      expect(body.errors[0].extensions.code).toBe('INTERNAL');
      expect(body.errors[0].message).toContain('req-internal-2');
      expect(JSON.stringify(body)).not.toMatch(/hunter2|10\.1\.2\.3/);
    } finally {
      indexes.listWithCounts = original;
    }
  });

  it('labels a whole-batch unexpected failure INTERNAL on the progress stream too', async () => {
    const board = t.loupe.jobs;
    const events: any[] = [];
    const stream = board.subscribe('job-internal');
    const reading = (async () => {
      for await (const e of stream) events.push(e);
    })();
    await board.refuse('job-internal', 'texts', new Error('ECONNRESET from postgres at /var/lib/loupe'), 'req-internal-3');
    await reading;
    const last = events.at(-1);
    expect(last).toMatchObject({ done: true, code: 'INTERNAL' });
    expect(last.message).toContain('req-internal-3');
    expect(last.message).not.toMatch(/ECONNRESET|\/var\/lib/);
  });
});

describe('names that are built-in object properties (12.7)', () => {
  it('indexes fields named constructor, toString, hasOwnProperty and valueOf as ordinary text fields', async () => {
    const fields = { constructor: 'hello', toString: 'to', hasOwnProperty: 'has', valueOf: 'v' };
    const r = (await t.gql(ADD, { d: [{ id: 'protos', fields }] })).addDocuments.results[0];
    expect(r, r.message).toMatchObject({ ok: true });
    const d = (await t.gql('{ document(index: "texts", id: "protos") { ... on Document { fields regions { field kind text } } } }')).document;
    expect(Object.entries(d.fields).sort()).toEqual(Object.entries(fields).sort());
    expect(d.regions.map((c: { field: string }) => c.field).sort()).toEqual(['constructor', 'hasOwnProperty', 'toString', 'valueOf']);
    const hits = (await t.gql(SEARCH, { input: { q: 'hello', method: 'LEXICAL', filters: [{ field: 'constructor', eq: 'hello' }] } })).search.hits;
    expect(hits).toEqual([{ id: 'protos' }]);
  });

  it('refuses "__proto__" as a field name clearly (a JSON layer would drop it), in fields, files and imageFields', async () => {
    const r = (await t.gql(ADD, { d: [{ id: 'proto', fields: JSON.parse('{"__proto__":"p","title":"t"}') }] })).addDocuments.results[0];
    expectClearInvalid(r, /for field name but received "__proto__"/);
    const file = await multipart(ADD, { d: [{ id: 'proto-file', fields: { name: 'a name', title: 'x' }, files: [{ field: '__proto__', file: null }] }] }, [
      { path: 'variables.d.0.files.0.file', name: 'p.png', bytes: png },
    ]);
    expectClearInvalid(file.body.data.addDocuments.results[0], /for field name but received "__proto__"/);
    const ctor = await multipart(ADD, { d: [{ id: 'ctor-file', fields: { title: 'x' }, files: [{ field: 'constructor', file: null }] }] }, [
      { path: 'variables.d.0.files.0.file', name: 'c.png', bytes: png },
    ]);
    expectClearInvalid(ctor.body.data.addDocuments.results[0], /^Field "constructor" received a file but is not an image field/);
    const ok = await multipart(ADD, { d: [{ id: 'img-file', fields: { title: 'x', constructor: 'c' }, files: [{ field: 'image', file: null }] }] }, [
      { path: 'variables.d.0.files.0.file', name: 'ok.png', bytes: png },
    ]);
    expect(ok.body.data.addDocuments.results[0]).toMatchObject({ ok: true });
    const idx = (
      await t.gql('mutation { createIndex(input: { name: "protoimg", imageFields: ["__proto__"] }) { __typename ... on LoupeError { code message } } }')
    ).createIndex;
    expectClearInvalid(idx, /for imageFields/);
  });

  it('reads region-method parameters and names from maps: constructor is unknown, not "given twice"', async () => {
    const create = async (spec: string) =>
      (
        await t.gql('mutation($s: String!) { createIndex(input: { name: "spec", regionMethodSpec: $s }) { __typename ... on LoupeError { code message } } }', {
          s: spec,
        })
      ).createIndex;
    const ctor = await create('yolox?constructor=1');
    expectClearInvalid(ctor, /^Unknown parameter "constructor" for region method yolox/);
    for (const spec of ['constructor', '__proto__', 'toString?hn=2', 'hasOwnProperty']) expect((await create(spec)).code, spec).toBe('INVALID_INPUT');
    expect(() => publicModel('constructor')).toThrow(/Unknown public model "constructor"/);
  });

  it('refuses a badly percent-encoded region-method value with INVALID_INPUT (12.8), not an internal error', async () => {
    const r = (
      await t.gql('mutation { createIndex(input: { name: "pct", regionMethodSpec: "yolox?model=%zz" }) { __typename ... on LoupeError { code message } } }')
    ).createIndex;
    expect(r.__typename).toBe('LoupeError');
    expectClearInvalid(r, /^Expected a percent-encoded value for model but received "%zz"/);
  });
});

describe('deep JSON (12.10)', () => {
  it('refuses fields nested 100,000 deep with a clear error and keeps serving', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const r = await post(`{"query":${JSON.stringify(ADD)},"variables":{"d":[{"id":"deep","fields":{"title":${deep}}}]}}`);
    expect(r.status).toBeLessThan(500);
    expect(r.body.errors[0].message).toMatch(/Expected JSON nested at most 32 levels deep/);
    expect(r.body.errors[0].extensions.code).toBe('INVALID_INPUT');
    const filter = await post(`{"query":${JSON.stringify(SEARCH)},"variables":{"input":{"q":"x","filters":[{"field":"colour","in":[${deep}]}]}}}`);
    expect(filter.body.errors[0].message).toMatch(/nested at most 32 levels/);
    await stillServing();
  });

  it('builds messages about deep or huge values without recursing through them', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    const e = invalidArgument('a string', 'x', deep);
    expect(e.message.length).toBeLessThan(200);
    const wide = invalidArgument('a string', 'x', { a: 'y'.repeat(10_000_000) });
    expect(wide.message.length).toBeLessThan(200);
  });
});

describe('messages name the input, not the server (12.12)', () => {
  it('does not reveal the models folder for an unknown model', async () => {
    const r = (await t.gql('mutation { createIndex(input: { name: "m", model: "no-such-model" }) { ... on LoupeError { code message } } }')).createIndex;
    expect(r.code).toBe('INVALID_INPUT');
    expect(r.message).toMatch(/Unknown model "no-such-model"/);
    expect(r.message).not.toContain(t.config.modelsDir);
    expect(r.message).not.toMatch(/\//);
  });

  it('shows a file mapped into a string argument by its name, not its internals', async () => {
    const r = await multipart(ADD, { d: [{ id: null, fields: {} }] }, [{ path: 'variables.d.0.id', name: 'x.png', bytes: png }]);
    expect(r.status).toBeLessThan(500);
    const text = JSON.stringify(r.body);
    expect(text).toMatch(/x\.png/);
    expect(text).not.toMatch(/Symbol|_buffer|\[object|arrayBuffer|size/);
    expect(text.length).toBeLessThan(1_000);
  });

  it('never echoes a 10 MB id back whole', async () => {
    const id = 'i'.repeat(10 * 1024 * 1024);
    const r = await post({ query: ADD, variables: { d: [{ id, fields: {} }] } });
    expect(JSON.stringify(r.body).length).toBeLessThan(2_000);
    expect(r.body.data.addDocuments.results[0]).toMatchObject({ ok: false, code: 'INVALID_INPUT' });
    const q = await post({ query: '{ document(index: "texts", id: "' + 'j'.repeat(100_000) + '") { __typename ... on LoupeError { message } } }' });
    expect(JSON.stringify(q.body).length).toBeLessThan(2_000);
  });

  it('does not name the image root when it is unavailable', async () => {
    rmSync(t.imageRoot, { recursive: true, force: true });
    try {
      const r = (await t.gql(ADD, { d: [{ id: 'rootless', fields: { image: 'a.png' } }] })).addDocuments.results[0];
      expect(r.code).toBe('PATH_NOT_ALLOWED');
      expect(r.message).toMatch(/allowed image folder is unavailable/);
      expect(r.message).not.toContain(t.imageRoot);
    } finally {
      mkdirSync(t.imageRoot, { recursive: true });
    }
  });
});

describe('ambiguous input (12.13)', () => {
  it('refuses regionMethodSpec together with regionMethod', async () => {
    const r = (
      await t.gql(
        'mutation { createIndex(input: { name: "both", regionMethodSpec: "none", regionMethod: { method: "simple" } }) { __typename ... on LoupeError { code message } } }',
      )
    ).createIndex;
    expectClearInvalid(r, /either regionMethod or regionMethodSpec, not both/);
    expect((await t.gql('{ index(name: "both") { __typename } }')).index.__typename).toBe('LoupeError');
  });

  it('refuses an image query with both a file and a url', async () => {
    const r = await multipart(SEARCH, { input: { image: { url: 'http://127.0.0.1/x.png', file: null } } }, [
      { path: 'variables.input.image.file', name: 'q.png', bytes: png },
    ]);
    expect(r.body.data.search.__typename).toBe('LoupeError');
    expectClearInvalid(r.body.data.search, /either a file or a url, not both/);
  });

  it('refuses two files for one field of a document, and only that document', async () => {
    const r = await multipart(
      ADD,
      {
        d: [
          {
            id: 'two',
            fields: {},
            files: [
              { field: 'image', file: null },
              { field: 'image', file: null },
            ],
          },
          { id: 'one', fields: {}, files: [{ field: 'image', file: null }] },
        ],
      },
      [
        { path: 'variables.d.0.files.0.file', name: 'a.png', bytes: png },
        { path: 'variables.d.0.files.1.file', name: 'b.png', bytes: png },
        { path: 'variables.d.1.files.0.file', name: 'c.png', bytes: png },
      ],
    );
    const [two, one] = r.body.data.addDocuments.results;
    expectClearInvalid(two, /Two files are given for field "image"/);
    expect(one).toMatchObject({ id: 'one', ok: true });
  });
});
