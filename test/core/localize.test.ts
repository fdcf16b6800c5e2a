import { join } from 'node:path';
// Localization: model-proposed regions at index time (yolox, dino-v1/v2) and OWL-ViT reranking at search time,
// through the real service with the shipped hand-weighted colour detectors (models/color-*).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAnyRegionMethod, formatAnyRegionMethod, DETECTOR_DEFAULTS } from '../../src/localize/region-method.js';
import { renderScene } from '../../src/demo/scenes.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';
import { owlBatchSize, owlRerank, type OwlVerdict } from '../../src/localize/owl-reranker.js';
import { inferenceStats } from '../../src/models/clip-model.js';
import { OwlModel } from '../../src/models/detectors.js';
import { decodeImage } from '../../src/repositories/image-decoder.js';
import { iou, sceneImage, serveImages, type ImageServer, type Rgb } from '../helpers/images.js';

const defaults = (kind: string) => (kind === 'yolox' ? 'color-yolox' : 'color-dino');
const RED: Rgb = [224, 32, 32];
const BLUE: Rgb = [37, 70, 224];
const WHITE: Rgb = [255, 255, 255];

describe('region method parsing', () => {
  it('accepts yolox, its marqo-yolo alias and dino-v1/v2 with Marqo-like defaults', () => {
    expect(parseAnyRegionMethod('marqo-yolo', defaults)).toEqual({ kind: 'yolox', model: 'color-yolox', ...DETECTOR_DEFAULTS });
    expect(parseAnyRegionMethod('dino-v2?maxProposals=5&nmsIou=0.5', defaults)).toMatchObject({
      kind: 'dino-v2',
      model: 'color-dino',
      maxProposals: 5,
      nmsIou: 0.5,
    });
    expect(parseAnyRegionMethod({ method: 'dino-v1', maxAspect: 3, model: 'color-dino' }, defaults)).toMatchObject({ kind: 'dino-v1', maxAspect: 3 });
    expect(parseAnyRegionMethod('simple?hn=2&wn=3', defaults)).toEqual({ kind: 'simple', hn: 2, wn: 3 });
    const m = parseAnyRegionMethod('yolox?maxProposals=7', defaults);
    expect(parseAnyRegionMethod(formatAnyRegionMethod(m), defaults)).toEqual(m);
  });

  it('refuses bad parameters with INVALID_INPUT', () => {
    expect(() => parseAnyRegionMethod('yolox?maxProposals=0', defaults)).toThrow(/Expected an integer from 1 to 100 for maxProposals but received "0"/);
    expect(() => parseAnyRegionMethod('yolox?hn=3', defaults)).toThrow(/Unknown parameter "hn" for region method yolox/);
    expect(() => parseAnyRegionMethod({ method: 'dino-v2', hn: 2 }, defaults)).toThrow(/takes no hn\/wn/);
    expect(() => parseAnyRegionMethod('dino-v3', defaults)).toThrow(/region method/);
  });
});

describe('model-proposed regions and reranking', () => {
  let t: TestLoupe;
  let server: ImageServer;
  const scenes = Promise.all(Array.from({ length: 6 }, (_, i) => renderScene(500 + i, 480, 360)));

  beforeAll(async () => {
    t = await createTestLoupe();
    const imgs = await scenes;
    const a = await sceneImage(300, 300, WHITE, [{ x1: 40, y1: 40, x2: 140, y2: 140, colour: BLUE }]);
    const b = await sceneImage(300, 300, WHITE, [{ x1: 150, y1: 150, x2: 260, y2: 260, colour: BLUE }]);
    const c = await sceneImage(300, 300, WHITE, [
      { x1: 180, y1: 30, x2: 270, y2: 120, colour: RED },
      { x1: 20, y1: 180, x2: 110, y2: 270, colour: BLUE },
    ]);
    server = await serveImages({
      ...Object.fromEntries(imgs.map((s) => [`/${s.id}.png`, { body: s.png, type: 'image/png' }])),
      '/a.png': { body: a, type: 'image/png' },
      '/b.png': { body: b, type: 'image/png' },
      '/c.png': { body: c, type: 'image/png' },
    });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  it.each(['yolox?maxProposals=3', 'dino-v1?maxProposals=3', 'dino-v2?maxProposals=3'])(
    '%s: whole image first, proposal cap respected, boxes inside the image',
    async (spec) => {
      const name = spec.split('?')[0]!.replace('.', '');
      await t.loupe.indexes.create({ name, regionMethod: spec });
      const imgs = await scenes;
      const res = await t.loupe.documents.add(
        name,
        imgs.map((s) => ({ id: s.id, fields: { image: server.url(`/${s.id}.png`) } })),
      );
      expect(res.every((r) => r.ok)).toBe(true);
      let proposals = 0;
      let matched = 0;
      let objects = 0;
      for (const s of imgs) {
        const { chunks } = await t.loupe.documents.get(name, s.id);
        const boxes = chunks.filter((c) => c.kind === 'image').map((c) => c.box!);
        expect(boxes[0]).toEqual({ x1: 0, y1: 0, x2: 480, y2: 360 });
        expect(boxes.length).toBeLessThanOrEqual(4);
        for (const b of boxes) {
          expect(b.x1).toBeGreaterThanOrEqual(0);
          expect(b.y1).toBeGreaterThanOrEqual(0);
          expect(b.x2).toBeLessThanOrEqual(480);
          expect(b.y2).toBeLessThanOrEqual(360);
          expect(b.x2).toBeGreaterThan(b.x1);
          expect(b.y2).toBeGreaterThan(b.y1);
        }
        proposals += boxes.length - 1;
        for (const o of s.objects) {
          objects++;
          if (boxes.slice(1).some((b) => iou(b, o.box) >= 0.5)) matched++;
        }
      }
      expect(proposals).toBeGreaterThan(0);
      expect(matched / objects).toBeGreaterThanOrEqual(0.5);
    },
  );

  describe('reranking', () => {
    beforeAll(async () => {
      await t.loupe.indexes.create({ name: 'rr', regionMethod: 'none' });
      const res = await t.loupe.documents.add('rr', [
        { id: 'a', fields: { image: server.url('/a.png'), caption: 'red red red' } },
        { id: 'b', fields: { image: server.url('/b.png'), caption: 'red' } },
        { id: 'c', fields: { image: server.url('/c.png'), caption: 'red and blue' } },
        { id: 'gone', fields: { image: server.url('/a.png'), caption: 'red blue blue' } },
      ]);
      expect(res.every((r) => r.ok)).toBe(true);
      // The image of "gone" disappears after indexing (its stored reference is the URL).
      await t.loupe.database.prisma.document.updateMany({
        where: { externalId: 'gone' },
        data: { media: { image: { source: 'url', ref: server.url('/deleted.png'), width: 300, height: 300 } } },
      });
    });

    it('moves the only hit that shows the queried object to the top, with a box on it (tensor first stage)', async () => {
      const first = await t.loupe.search.search('rr', { q: 'red', searchableAttributes: ['caption'], limit: 3 });
      expect(
        first.hits
          .map((h) => h.id)
          .slice(0, 2)
          .sort(),
      ).toEqual(['a', 'b']);
      expect(first.hits[2]!.id).toBe('c');
      const res = await t.loupe.search.search('rr', { q: 'red', searchableAttributes: ['caption'], limit: 3, rerank: {} });
      expect(res.hits[0]!.id).toBe('c');
      expect(res.hits[0]!.rerankStatus).toBe('RERANKED');
      expect(res.hits[0]!.retrievalScore).toBeCloseTo(first.hits[2]!.score, 5);
      expect(iou(res.hits[0]!.highlights[0]!.box!, { x1: 180, y1: 30, x2: 270, y2: 120 })).toBeGreaterThanOrEqual(0.5);
      expect(res.hits[0]!.score).toBeGreaterThan(res.hits[1]!.score);
    });

    it('reranks a page of hits in one ONNX run, with the same verdicts as one image per run', async () => {
      const owl = await OwlModel.load(join(t.config.modelsDir, t.config.defaultRerankModel));
      const images = await Promise.all(
        ['/a.png', '/b.png', '/c.png', '/a.png', '/c.png'].map(async (p) => decodeImage(await (await fetch(server.url(p))).bytes(), { maxPixels: 1e8 })),
      );
      const before = inferenceStats().runs;
      const page = await owlRerank(owl, 'red', images);
      expect(inferenceStats().runs - before).toBe(1);
      const single: (OwlVerdict | null)[] = [];
      for (const img of images) single.push(...(await owlRerank(owl, 'red', [img])));
      expect(page.map((v) => v?.box)).toEqual(single.map((v) => v?.box));
      page.forEach((v, i) => expect(v!.score).toBeCloseTo(single[i]!.score, 4));
      expect(owlBatchSize(768, 50)).toBeLessThan(50); // a real OWL-ViT input splits a deep page to bound memory
      expect(owlBatchSize(owl.preprocessing.size, 50)).toBe(50);
    });

    it('reranks a lexical first stage too, keeping a hit with an unreadable image after the reranked ones', async () => {
      const res = await t.loupe.search.search('rr', { q: 'red', method: 'LEXICAL', limit: 4, rerank: { depth: 4 } });
      expect(res.hits).toHaveLength(4);
      expect(res.hits[0]!.id).toBe('c');
      const last = res.hits[3]!;
      expect(last.id).toBe('gone');
      expect(last.rerankStatus).toBe('IMAGE_UNAVAILABLE');
      expect(last.rerankMessage).toMatch(/404/);
      expect(res.hits.slice(0, 3).every((h) => h.rerankStatus === 'RERANKED')).toBe(true);
    });

    it('gives typed errors for an image query without a prompt and for an unknown reranker', async () => {
      await expect(t.loupe.search.search('rr', { image: { kind: 'url', url: server.url('/c.png') }, rerank: {} })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/rerank\.prompt/),
      });
      await expect(t.loupe.search.search('rr', { q: 'red', rerank: { model: 'no-such-owl' } })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/Unknown model "no-such-owl"/),
      });
      const withPrompt = await t.loupe.search.search('rr', { image: { kind: 'url', url: server.url('/c.png') }, rerank: { prompt: 'red' } });
      expect(withPrompt.hits[0]!.id).toBe('c');
    });

    it('rerank.minScore keeps only hits the detector scores at or above it, and none past depth', async () => {
      const all = await t.loupe.search.search('rr', { q: 'red', searchableAttributes: ['caption'], limit: 3, rerank: {} });
      const scores = all.hits.map((h) => h.score);
      const cut = (scores[0]! + scores[1]!) / 2; // between the best and the second
      const res = await t.loupe.search.search('rr', { q: 'red', searchableAttributes: ['caption'], limit: 3, rerank: { minScore: cut } });
      expect(res.hits.map((h) => h.id)).toEqual([all.hits[0]!.id]);
      const shallow = await t.loupe.search.search('rr', { q: 'red', searchableAttributes: ['caption'], limit: 3, rerank: { depth: 1, minScore: 0 } });
      expect(shallow.hits).toHaveLength(1); // the two never-reranked hits cannot vouch for the object
      await expect(t.loupe.search.search('rr', { q: 'red', rerank: { minScore: 1.5 } })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/rerank\.minScore/),
      });
      // color-owl states no calibrated default.
      await expect(t.loupe.search.search('rr', { q: 'red', rerank: { minScore: 'default' } })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/loupe\.min_score/),
      });
    });
  });
});
