// OCR as a region source, end to end: an index with `ocr: true` reads the text of screenshots and scans into chunks
// (box, text, confidence, word boxes); LEXICAL and HYBRID search find a word and highlight its box in original pixels;
// the document lists its text regions; what OCR could not read (another script) is reported, not indexed as garbage.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iou } from '../helpers/images.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';
import { textSvg, wordBoxes, type TextSpec } from '../helpers/text-images.js';

let t: TestLoupe;
const INVOICE: TextSpec[] = [
  { text: 'Invoice', x: 60, y: 90, size: 56, weight: 'bold' },
  { text: 'Consulting services 1200.00', x: 60, y: 200, size: 26 },
  { text: 'Total due 1200.00', x: 520, y: 620, size: 34 },
];

async function png(name: string, width: number, height: number, lines: TextSpec[], background = 'white'): Promise<string> {
  await writeFile(
    join(t.imageRoot, name),
    await sharp(textSvg(width, height, lines, background))
      .png()
      .toBuffer(),
  );
  return join(t.imageRoot, name);
}

const SEARCH = `query($index: String!, $input: SearchInput!) { search(index: $index, input: $input) {
  __typename ... on SearchResponse { hits { id score highlights { field text box { x1 y1 x2 y2 } matched confidence } } }
  ... on LoupeError { code message } } }`;

beforeAll(async () => {
  t = await createTestLoupe();
  const created = await t.gql(
    `mutation { createIndex(input: { name: "scans", regionMethodSpec: "none", ocr: true }) { __typename ... on Index { name ocrModel } ... on LoupeError { code message } } }`,
  );
  expect(created.createIndex).toEqual({ __typename: 'Index', name: 'scans', ocrModel: 'pp-ocrv4' });
  const docs = [
    { id: 'invoice', fields: { image: await png('invoice.png', 1000, 700, INVOICE), title: 'scan 1' } },
    { id: 'exit', fields: { image: await png('exit.png', 800, 300, [{ text: 'EMERGENCY EXIT', x: 80, y: 180, size: 64, fill: 'white' }], '#1a7f37') } },
    { id: 'bakery', fields: { image: await png('bakery.png', 700, 400, [{ text: 'Fresh bakery', x: 90, y: 300, size: 48, angle: -20 }], '#f4e1c1') } },
    { id: 'arabic', fields: { image: await png('arabic.png', 700, 200, [{ text: 'مرحبا بالعالم', x: 80, y: 120, size: 44 }]) } },
    { id: 'blank', fields: { image: await png('blank.png', 400, 300, []) } },
    {
      id: 'signs',
      fields: {
        image: await png('signs.png', 900, 600, [
          { text: 'Parking exit', x: 40, y: 80, size: 40 },
          { text: 'Lift', x: 400, y: 320, size: 40 },
          { text: 'Fire exit only', x: 480, y: 540, size: 40 },
        ]),
      },
    },
  ];
  const added = await t.gql(
    `mutation($d: [DocumentInput!]!) { addDocuments(index: "scans", documents: $d) { __typename ... on AddDocumentsPayload { succeeded failed results { id ok code message } } } }`,
    { d: docs },
  );
  expect(added.addDocuments.failed, JSON.stringify(added.addDocuments.results)).toBe(0);
});
afterAll(() => t?.close());

describe('OCR regions (index setting ocr: true)', () => {
  it('LEXICAL finds a word inside an image; the highlight is that word, in original pixels', async () => {
    const r = await t.gql(SEARCH, { index: 'scans', input: { q: 'invoice', method: 'LEXICAL' } });
    const hits = r.search.hits;
    expect(hits.map((h: any) => h.id)).toEqual(['invoice']);
    const [hl] = hits[0].highlights;
    expect(hl.field).toBe('image');
    expect(hl.text).toBe('Invoice');
    expect(hl.matched).toEqual(['Invoice']);
    expect(hl.confidence).toBeGreaterThan(0.8);
    const [truth] = await wordBoxes(1000, 700, INVOICE[0]!);
    expect(iou(hl.box, truth!.box)).toBeGreaterThan(0.5);
  });

  it('a word in a longer line is highlighted alone (stemmed like Postgres full text: "totals" finds "Total")', async () => {
    const r = await t.gql(SEARCH, { index: 'scans', input: { q: 'totals', method: 'LEXICAL' } });
    const hl = r.search.hits[0].highlights[0];
    expect(r.search.hits[0].id).toBe('invoice');
    expect(hl.text).toBe('Total due 1200.00');
    expect(hl.matched).toEqual(['Total']);
    const truth = (await wordBoxes(1000, 700, INVOICE[2]!)).find((w) => w.text === 'Total')!;
    expect(iou(hl.box, truth.box)).toBeGreaterThan(0.5);
    // The word's box is well inside the line's: not the whole line.
    expect(hl.box.x2).toBeLessThan(700);
  });

  it('HYBRID finds white-on-colour and rotated text too', async () => {
    const exit = await t.gql(SEARCH, { index: 'scans', input: { q: 'exit', method: 'HYBRID' } });
    // Two images say "exit" (the signs too); the green one is among the first two.
    const green = exit.search.hits.slice(0, 2).find((h: any) => h.id === 'exit');
    const ocr = green.highlights.find((h: any) => h.matched);
    expect(ocr.matched).toEqual(['EXIT']);
    expect(ocr.box.x1).toBeGreaterThan(400); // the second word of the line
    const bakery = await t.gql(SEARCH, { index: 'scans', input: { q: 'bakery', method: 'LEXICAL' } });
    expect(bakery.search.hits.map((h: any) => h.id)).toEqual(['bakery']);
  });

  it('highlights(limit: N): every distinct place the words matched, best first', async () => {
    const q = `query($input: SearchInput!) { search(index: "scans", input: $input) { ... on SearchResponse {
      hits { id highlights { box { x1 } } places: highlights(limit: 5) { field text matched box { x1 y1 x2 y2 } } } } } }`;
    const r = await t.gql(q, { input: { q: 'exit', method: 'LEXICAL' } });
    const signs = r.search.hits.find((h: any) => h.id === 'signs');
    expect(signs.highlights).toHaveLength(1);
    expect(signs.places.map((p: any) => p.matched)).toEqual([['exit'], ['exit']]);
    expect(signs.places.map((p: any) => p.text).sort()).toEqual(['Fire exit only', 'Parking exit']);
    // Two separate boxes: top-left and bottom-right of the image.
    const [a, b] = [...signs.places].sort((x: any, y: any) => x.box.y1 - y.box.y1);
    expect(a.box.y2).toBeLessThan(150);
    expect(b.box.y1).toBeGreaterThan(450);
    const one = await t.gql(q.replace('limit: 5', 'limit: 1'), { input: { q: 'exit', method: 'LEXICAL' } });
    expect(one.search.hits.find((h: any) => h.id === 'signs').places).toHaveLength(1);
    const bad = await t.yoga.fetch('http://loupe.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: q.replace('limit: 5', 'limit: 99'), variables: { input: { q: 'exit', method: 'LEXICAL' } } }),
    });
    const body = (await bad.json()) as any;
    expect(body.errors[0].message).toBe('Expected an integer between 1 and 16 for highlights(limit) but received 99 of type number');
    expect(body.errors[0].extensions.code).toBe('INVALID_INPUT');
  });

  it('lists text regions with words on the document, and says what OCR could not read', async () => {
    const doc = await t.gql(`{ document(index: "scans", id: "invoice") { __typename ... on Document {
      media { field ocr { lines found capped skipped { note } } } regions { kind text confidence words { text box { x1 } } } } } }`);
    const d = doc.document;
    expect(d.media[0].ocr.lines).toBeGreaterThanOrEqual(3);
    expect(d.media[0].ocr.capped).toBeNull();
    const texts = d.regions.filter((r: any) => r.words).map((r: any) => r.text);
    expect(texts).toContain('Invoice');
    expect(texts, JSON.stringify(texts)).toContain('Total due 1200.00');
    const arabic = await t.gql(`{ document(index: "scans", id: "arabic") { __typename ... on Document {
      media { ocr { lines found skipped { note confidence box { x1 y1 x2 y2 } } } } regions { kind text } } } }`);
    const a = arabic.document;
    expect(a.media[0].ocr.lines).toBe(0);
    expect(a.media[0].ocr.skipped[0].note).toMatch(/^unsupported script or unreadable text/);
    expect(a.regions.every((r: any) => r.kind === 'image')).toBe(true);
    const blank = await t.gql(`{ document(index: "scans", id: "blank") { ... on Document { media { ocr { lines found skipped { note } } } } } }`);
    expect(blank.document.media[0].ocr).toEqual({ lines: 0, found: 0, skipped: [] });
  });

  it('refuses an unknown OCR model when the index is created', async () => {
    const r = await t.gql(`mutation { createIndex(input: { name: "bad", ocrModel: "nope" }) { __typename ... on LoupeError { code message } } }`);
    expect(r.createIndex).toEqual({ __typename: 'LoupeError', code: 'INVALID_INPUT', message: expect.stringMatching(/^Unknown model "nope"/) });
  });
});
