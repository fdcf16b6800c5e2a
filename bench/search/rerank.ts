// Rerank latency: search with the OWL second stage at depth 10 and 50 (default models) against the same search
// without it, on generated 640×480 scenes; and the page as one ONNX run against the former batches of 4.
import type { Loupe } from '../../src/services/loupe.js';
import { renderScene } from '../../src/demo/scenes.js';
import { owlRerank } from '../../src/localize/owl-reranker.js';
import { OwlModel } from '../../src/models/detectors.js';
import { decodeImage } from '../../src/repositories/image-decoder.js';
import { join } from 'node:path';
import { percentile } from './stats.js';

export interface RerankRow {
  depth: number;
  plainP50: number;
  rerankP50: number;
  rerankP99: number;
  pageRunP50: number;
  batch4P50: number;
}

export async function benchRerank(loupe: Loupe, rounds = 15): Promise<RerankRow[]> {
  const scenes = await Promise.all(Array.from({ length: 60 }, (_, i) => renderScene(500 + i, 640, 480)));
  await loupe.indexes.create({ name: 'bench-rerank', regionMethod: 'none' });
  for (let i = 0; i < scenes.length; i += 10)
    await loupe.documents.add(
      'bench-rerank',
      scenes.slice(i, i + 10).map((s) => ({ id: s.id, fields: { caption: s.caption }, uploads: { image: { name: `${s.id}.png`, bytes: s.png } } })),
    );
  const owl = await OwlModel.load(join(loupe.config.modelsDir, loupe.config.defaultRerankModel));
  const decoded = await Promise.all(scenes.map((s) => decodeImage(s.png, { maxPixels: 1e8 })));
  const rows: RerankRow[] = [];
  for (const depth of [10, 50]) {
    const q = 'red';
    await loupe.search.search('bench-rerank', { q, limit: depth, rerank: { depth } }); // warm: decode cache, sessions
    const plain: number[] = [];
    const reranked: number[] = [];
    const page: number[] = [];
    const batch4: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let t0 = performance.now();
      await loupe.search.search('bench-rerank', { q, limit: depth });
      plain.push(performance.now() - t0);
      t0 = performance.now();
      await loupe.search.search('bench-rerank', { q, limit: depth, rerank: { depth } });
      reranked.push(performance.now() - t0);
      const images = decoded.slice(0, depth);
      t0 = performance.now();
      await owlRerank(owl, q, images);
      page.push(performance.now() - t0);
      t0 = performance.now();
      await owlRerank(owl, q, images, 4);
      batch4.push(performance.now() - t0);
    }
    rows.push({
      depth,
      plainP50: percentile(plain, 50),
      rerankP50: percentile(reranked, 50),
      rerankP99: percentile(reranked, 99),
      pageRunP50: percentile(page, 50),
      batch4P50: percentile(batch4, 50),
    });
  }
  await owl.release();
  return rows;
}
