// Hostile GraphQL: oversized queries and bodies, deep nesting, alias / list / fragment amplification, token floods,
// multipart limits, injection-looking filter values and unknown fields. Each gets a typed refusal (an error with
// `extensions.code` and a 4xx status) or a documented result, fast, and the server keeps answering.
import { readFileSync } from 'node:fs';
import { getIntrospectionQuery, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFieldNames, estimateCost, measureDocument } from '../../src/api/query-limits.js';
import { schema } from '../../src/api/schema/index.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';
import { sceneImage } from '../helpers/images.js';

let t: TestLoupe;

async function send(body: BodyInit, headers: Record<string, string> = {}) {
  const started = performance.now();
  const res = await t.yoga.fetch('http://127.0.0.1/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: res.status, body: json, ms: performance.now() - started };
}

const query = (q: string, variables: Record<string, unknown> = {}) => send(JSON.stringify({ query: q, variables }));
const codeOf = (r: { body: any }) => r.body?.errors?.[0]?.extensions?.code;

async function stillUp() {
  const r = await query('{ indexes { name } }');
  expect(r.status).toBe(200);
  expect(r.body.data.indexes.map((i: { name: string }) => i.name)).toContain('shots');
}

beforeAll(async () => {
  t = await createTestLoupe({ maxUploadFiles: 2, maxImageBytes: 20_000 });
  await t.gql('mutation { createIndex(input: { name: "shots", regionMethodSpec: "none" }) { __typename } }');
  const docs = [
    { id: 'a', fields: { title: 'red square', colour: 'red', n: 1 } },
    { id: 'b', fields: { title: "o'brien; DROP TABLE documents; --", colour: 'blue', n: 2 } },
  ];
  const r = await t.gql('mutation($d: [DocumentInput!]!) { addDocuments(index: "shots", documents: $d) { ... on AddDocumentsPayload { succeeded } } }', {
    d: docs,
  });
  expect(r.addDocuments.succeeded).toBe(2);
});

afterAll(async () => t?.close());

describe('sizes', () => {
  it('refuses a 10 MB query string with 413 PAYLOAD_TOO_LARGE, quickly', async () => {
    const huge = `{ indexes { name } }${' '.repeat(10 * 1024 * 1024)}`;
    const r = await query(huge);
    expect(r.status).toBe(413);
    expect(codeOf(r)).toBe('PAYLOAD_TOO_LARGE');
    expect(r.ms).toBeLessThan(5_000);
    await stillUp();
  });

  it('refuses a JSON body over LOUPE_MAX_JSON_BYTES, declared or streamed without Content-Length', async () => {
    const max = t.config.maxJsonBytes;
    const declared = await send('{}', { 'content-length': String(max + 1) });
    expect(declared.status).toBe(413);
    let sent = 0;
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > max + 4 * chunk.length) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const streamed = await send(stream);
    expect(streamed.status).toBe(413);
    expect(codeOf(streamed)).toBe('PAYLOAD_TOO_LARGE');
    expect(sent).toBeLessThan(max + 4 * chunk.length); // reading stopped at the cap
    await stillUp();
  });

  it('refuses more files than LOUPE_MAX_UPLOAD_FILES and files over LOUPE_MAX_IMAGE_BYTES, without a 5xx', async () => {
    const png = await sceneImage(32, 32, [255, 255, 255], []);
    const upload = async (files: Uint8Array[]) => {
      const form = new FormData();
      const docs = files.map((_, i) => ({ id: `u${i}`, fields: {}, files: [{ field: 'image', file: null }] }));
      form.set(
        'operations',
        JSON.stringify({
          query:
            'mutation($d: [DocumentInput!]!) { addDocuments(index: "shots", documents: $d) { __typename ... on AddDocumentsPayload { succeeded failed results { code } } } }',
          variables: { d: docs },
        }),
      );
      form.set('map', JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.d.${i}.files.0.file`]]))));
      files.forEach((f, i) => form.set(String(i), new Blob([f as Uint8Array<ArrayBuffer>], { type: 'image/png' }), `f${i}.png`));
      const res = await t.yoga.fetch('http://127.0.0.1/graphql', { method: 'POST', body: form });
      return { status: res.status, body: (await res.json()) as any };
    };
    const ok = await upload([png]);
    expect(ok.status).toBe(200);
    const tooMany = await upload([png, png, png]);
    expect(tooMany.status).toBeGreaterThanOrEqual(400);
    expect(tooMany.status).toBeLessThan(500);
    const tooBig = await upload([new Uint8Array(30_000)]);
    expect(tooBig.status).toBeGreaterThanOrEqual(400);
    expect(tooBig.status).toBeLessThan(500);
    await stillUp();
  });
});

describe('shape and cost', () => {
  it('refuses deep nesting with 400 QUERY_TOO_COMPLEX, but serves the standard introspection query (GraphiQL)', async () => {
    let deep = 'name';
    for (let i = 0; i < 40; i++) deep = `ofType { ${deep} }`;
    const r = await query(`{ __schema { types { fields { type { ${deep} } } } } }`);
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe('QUERY_TOO_COMPLEX');
    expect(r.body.errors[0].message).toMatch(/depth \d+ is over the limit of 15/);
    const intro = await query(getIntrospectionQuery());
    expect(intro.status).toBe(200);
    expect(intro.body.data.__schema.queryType.name).toBe('Query');
  });

  it('refuses alias amplification', async () => {
    const aliases = Array.from({ length: 200 }, (_, i) => `a${i}: search(index: "shots", input: { q: "red" }) { __typename }`).join(' ');
    const r = await query(`{ ${aliases} }`);
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe('QUERY_TOO_COMPLEX');
    expect(r.body.errors[0].message).toMatch(/200 aliases/);
    await stillUp();
  });

  it('refuses list amplification (big limits times nested lists) by estimated cost, and serves the same query with a sane limit', async () => {
    const sel = 'hits { id highlights { field box { x1 y1 x2 y2 } } document { regions { field box { x1 y1 x2 y2 } } media { field } } }';
    const many = Array.from(
      { length: 10 },
      (_, i) => `s${i}: search(index: "shots", input: { q: "red", limit: $limit }) { ... on SearchResponse { ${sel} } }`,
    ).join(' ');
    const r = await query(`query($limit: Int!) { ${many} }`, { limit: 1000 });
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe('QUERY_TOO_COMPLEX');
    expect(r.body.errors[0].message).toMatch(/cost \d+ is over the limit of 250000/);
    const fine = await query(`query($limit: Int!) { ${many} }`, { limit: 5 });
    expect(fine.status).toBe(200);
    expect(fine.body.errors).toBeUndefined();
  });

  it('measures a fragment fan-out bomb in linear time and refuses it before validation', async () => {
    const frags = Array.from({ length: 40 }, (_, i) => `fragment F${i} on Query { ${i === 39 ? '__typename' : `...F${i + 1} ...F${i + 1}`} }`).join('\n');
    const r = await query(`{ ...F0 }\n${frags}`);
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe('QUERY_TOO_COMPLEX');
    expect(r.ms).toBeLessThan(2_000);
    const cycle = await query('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }');
    expect(cycle.status).toBe(400);
    await stillUp();
  });

  it('refuses thousands of repeated fields (quadratic field-merging validation) quickly', async () => {
    const r = await query(`{ ${'__typename '.repeat(8_000)} }`);
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe('QUERY_TOO_COMPLEX');
    expect(r.ms).toBeLessThan(2_000);
  });

  it('stops parsing at 20000 tokens', async () => {
    const r = await query(`{ indexes(${'a:1 '.repeat(12_000)}) { name } }`);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/contains more th.. 20000 tokens/);
    await stillUp();
  });

  it('keeps every operation the CLI, the web page and GraphiQL examples send within the limits', () => {
    const lists = listFieldNames(schema);
    for (const file of ['src/client/operations.graphql', 'src/web/operations.graphql']) {
      const doc = parse(readFileSync(file, 'utf8'));
      const m = measureDocument(doc);
      expect(m.depth, file).toBeLessThanOrEqual(t.config.maxQueryDepth);
      expect(m.aliases, file).toBeLessThanOrEqual(t.config.maxAliases);
      for (const def of doc.definitions) {
        if (def.kind !== 'OperationDefinition') continue;
        const { cost } = estimateCost(doc, def.name?.value, { input: { limit: 100 }, regions: true }, lists);
        expect(cost, `${file} ${def.name?.value}`).toBeLessThanOrEqual(t.config.maxQueryCost);
      }
    }
  });
});

describe('injection-looking input', () => {
  const SEARCH = `query($input: SearchInput!) { search(index: "shots", input: $input) { __typename ... on SearchResponse { hits { id } } ... on LoupeError { code message } } }`;
  const ids = async (input: Record<string, unknown>) => (await t.gql(SEARCH, { input })).search;

  it('treats SQL in filter values as data', async () => {
    expect(await ids({ q: 'x', method: 'LEXICAL', filters: [{ field: 'colour', eq: "red' OR '1'='1" }] })).toEqual({ __typename: 'SearchResponse', hits: [] });
    expect(await ids({ q: 'x', filters: [{ field: 'colour', in: ["'; DROP TABLE documents; --", { $ne: null }, ['red']] }] })).toEqual({
      __typename: 'SearchResponse',
      hits: [],
    });
    expect((await ids({ q: 'x', filters: [{ field: 'title', eq: "o'brien; DROP TABLE documents; --" }] })).hits).toEqual([{ id: 'b' }]);
    expect((await ids({ q: 'x', filters: [{ field: 'colour', in: ['red'] }] })).hits).toEqual([{ id: 'a' }]);
    expect((await ids({ q: 'x', filters: [{ field: 'n', gte: 2 }] })).hits).toEqual([{ id: 'b' }]);
  });

  it('refuses SQL in field names and searchable attributes with INVALID_INPUT', async () => {
    const bad = await ids({ q: 'x', filters: [{ field: "colour'); DROP TABLE chunks; --", eq: 'red' }] });
    expect(bad).toMatchObject({ __typename: 'LoupeError', code: 'INVALID_INPUT' });
    expect(bad.message).toMatch(/^Expected a field name for filters.field but received/);
    expect(await ids({ q: 'x', searchableAttributes: ['title; DELETE FROM documents'] })).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('takes full-text operators and quotes in a lexical query as words', async () => {
    for (const q of ["red' & !(square | :*)", '"unbalanced', "'; SELECT pg_sleep(10); --", '\\x00'])
      expect((await ids({ q, method: 'LEXICAL' })).__typename, q).toBe('SearchResponse');
    expect((await ids({ q: 'red', method: 'LEXICAL' })).hits).toEqual([{ id: 'a' }]);
  });

  it('matches nothing for a filter on a field no document has (documented), and refuses unknown GraphQL fields with 400', async () => {
    expect(await ids({ q: 'x', filters: [{ field: 'nosuchfield', eq: 'red' }] })).toEqual({ __typename: 'SearchResponse', hits: [] });
    const unknownInput = await query(`{ search(index: "shots", input: { q: "x", filters: [{ field: "colour", regex: ".*" }] }) { __typename } }`);
    // Validation errors follow GraphQL over HTTP: 200 for application/json, 400 for application/graphql-response+json.
    expect(unknownInput.body.data).toBeUndefined();
    expect(unknownInput.body.errors[0].message).toMatch(/"regex" is not defined/);
    const unknownField = await send(JSON.stringify({ query: '{ indexes { name password } }' }), { accept: 'application/graphql-response+json' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.errors[0].message).toMatch(/Cannot query field "password"/);
    // Documents and chunks survived every attempt.
    const counts = await t.gql('{ index(name: "shots") { ... on Index { documentCount } } }');
    expect(counts.index.documentCount).toBeGreaterThanOrEqual(2);
  });
});
