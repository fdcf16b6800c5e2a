// Detector quality of the YOLOX-, DINO- and OWL-ViT-contract folders through Loupe's own code path (loaders, native
// letterbox / preprocessing / decoders / NMS, RegionProposer, owlRerank) on the held-out scenes of
// render_scenes_eval.py (Apple and Facebook styles, never trained on; 640×480, 2-5 objects at 8-70 % of the side).
//
//   npx tsx models/train/eval-detectors.ts [--styles apple,facebook] [--limit N] [--yolox DIR] [--dino DIR] [--owl DIR]
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import type { Box, DecodedImage, DetectorRegionMethod } from '../../src/domain/types.js';
import { DinoModel, OwlModel, YoloxModel } from '../../src/models/detectors.js';
import { owlRerank } from '../../src/localize/owl-reranker.js';
import { RegionProposer } from '../../src/localize/proposers.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const SCENES = join(ROOT, '.cache/eval/scenes');

interface SceneObject { class: number; name: string; box: [number, number, number, number] }
interface Scene { file: string; width: number; height: number; split: 'seen' | 'unseen'; objects: SceneObject[]; absent: { class: number; name: string } }

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = ix * iy;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}
const toBox = (b: [number, number, number, number]): Box => ({ x1: b[0], y1: b[1], x2: b[2], y2: b[3] });

async function decode(file: string): Promise<DecodedImage> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
}

/** Average precision of a ranked list (true = positive) against `total` positives. */
export function averagePrecision(ranked: boolean[], total: number): number {
  let tp = 0;
  let sum = 0;
  ranked.forEach((pos, i) => {
    if (pos) {
      tp++;
      sum += tp / (i + 1);
    }
  });
  return total > 0 ? sum / total : 0;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};

const { values: opts } = parseArgs({
  options: {
    styles: { type: 'string', default: 'apple,facebook' },
    scenes: { type: 'string', default: SCENES },
    limit: { type: 'string', default: '0' },
    yolox: { type: 'string', default: join(ROOT, 'models/emoji-yolox') },
    dino: { type: 'string', default: join(ROOT, 'models/emoji-dino') },
    owl: { type: 'string', default: join(ROOT, 'models/emoji-owl') },
    'skip-owl': { type: 'boolean', default: false },
  },
});
const limit = Number(opts.limit);
const yolox = await YoloxModel.load(resolve(opts.yolox!), { intraOpThreads: 2 });
const dino = await DinoModel.load(resolve(opts.dino!), { intraOpThreads: 2 });
const owl = await OwlModel.load(resolve(opts.owl!), { intraOpThreads: 2 });
const proposer = new RegionProposer({ yolox: async () => yolox, dino: async () => dino });
const method = (kind: DetectorRegionMethod['kind']): DetectorRegionMethod => ({ kind, model: kind, maxProposals: 10, nmsIou: 0.6, minArea: 0, maxAspect: 4 });
const methods = { yolox: method('yolox'), 'dino-v1': method('dino-v1'), 'dino-v2': method('dino-v2') };

const report: Record<string, unknown> = { models: { yolox: yolox.id, dino: dino.id, owl: owl.id }, styles: {} };
const all = { matched: {} as Record<string, number>, objects: 0, present: [] as { score: number; hit: boolean }[], absent: [] as number[] };
for (const style of opts.styles!.split(',')) {
  const dir = join(resolve(opts.scenes!), style);
  let scenes = (JSON.parse(readFileSync(join(dir, 'scenes.json'), 'utf8')) as { images: Scene[] }).images;
  if (limit > 0) scenes = scenes.slice(0, limit);
  const matched: Record<string, number> = { yolox: 0, 'dino-v1': 0, 'dino-v2': 0 };
  const proposals: Record<string, number> = { yolox: 0, 'dino-v1': 0, 'dino-v2': 0 };
  let objects = 0;
  const present: { score: number; hit: boolean; split: string }[] = [];
  const absent: number[] = [];
  for (const scene of scenes) {
    const image = await decode(join(dir, scene.file));
    objects += scene.objects.length;
    for (const [name, m] of Object.entries(methods)) {
      const boxes = (await proposer.propose(m, image)).slice(1); // drop the whole image
      proposals[name]! += boxes.length;
      for (const o of scene.objects) if (boxes.some((b) => iou(b, toBox(o.box)) >= 0.5)) matched[name]!++;
    }
    if (opts['skip-owl']) continue;
    for (const o of scene.objects) {
      const [v] = await owlRerank(owl, o.name, [image]);
      present.push({ score: v?.score ?? 0, hit: !!v && iou(v.box, toBox(o.box)) >= 0.5, split: scene.split });
    }
    const [va] = await owlRerank(owl, scene.absent.name, [image]);
    absent.push(va?.score ?? 0);
  }
  const seenPresent = present.filter((p) => p.split === 'seen');
  report.styles = { ...(report.styles as object), [style]: {
    scenes: scenes.length, objects,
    recall_at_iou50: Object.fromEntries(Object.entries(matched).map(([k, v]) => [k, v / objects])),
    proposals_per_image: Object.fromEntries(Object.entries(proposals).map(([k, v]) => [k, v / scenes.length])),
    owl_top_box_iou50: present.filter((p) => p.hit).length / present.length,
    owl_top_box_iou50_seen: seenPresent.filter((p) => p.hit).length / Math.max(1, seenPresent.length),
  } };
  process.stdout.write(`${style}*: ${scenes.length} scenes, ${objects} objects | recall@IoU0.5 within 10 proposals: yolox ${pct(matched.yolox! / objects)}, ` +
    `dino-v1 ${pct(matched['dino-v1']! / objects)}, dino-v2 ${pct(matched['dino-v2']! / objects)} | OWL top box IoU>=0.5 for present queries ${pct(present.filter((p) => p.hit).length / present.length)}\n`);
  for (const k of Object.keys(matched)) all.matched[k] = (all.matched[k] ?? 0) + matched[k]!;
  all.objects += objects;
  all.present.push(...present);
  all.absent.push(...absent);
}

// OWL: threshold that rejects >= 80 % of absent queries while keeping >= 90 % of present-query hits, if one exists.
const hits = all.present.filter((p) => p.hit).map((p) => p.score);
const candidates = [...new Set([...hits, ...all.absent])].sort((a, b) => a - b);
let chosen: { threshold: number; rejectAbsent: number; keepHits: number } | null = null;
let best: { threshold: number; rejectAbsent: number; keepHits: number } | null = null;
for (const t of candidates) {
  const rejectAbsent = all.absent.filter((s) => s < t).length / all.absent.length;
  const keepHits = hits.filter((s) => s >= t).length / Math.max(1, hits.length);
  const cur = { threshold: t, rejectAbsent, keepHits };
  if (rejectAbsent >= 0.8 && keepHits >= 0.9 && (!chosen || keepHits > chosen.keepHits)) chosen = cur;
  if (!best || rejectAbsent + keepHits > best.rejectAbsent + best.keepHits) best = cur;
}
// At the model's shipped default (config.json loupe.min_score, chosen on training-style scenes by train_owl.py).
const shipped = (() => {
  try {
    const v = (JSON.parse(readFileSync(join(resolve(opts.owl!), 'config.json'), 'utf8')) as { loupe?: { min_score?: unknown } }).loupe?.min_score;
    return typeof v === 'number' ? v : null;
  } catch {
    return null;
  }
})();
const atShipped = shipped === null ? null : {
  threshold: shipped,
  rejectAbsent: all.absent.filter((s) => s < shipped).length / Math.max(1, all.absent.length),
  keepHits: hits.filter((s) => s >= shipped).length / Math.max(1, hits.length),
  keepPresent: all.present.filter((p) => p.score >= shipped).length / Math.max(1, all.present.length),
};
const ranked = [...all.present.map((p) => ({ s: p.score, pos: p.hit })), ...all.absent.map((s) => ({ s, pos: false }))].sort((a, b) => b.s - a.s);
const ap = averagePrecision(ranked.map((r) => r.pos), all.present.length);
const summary = {
  objects: all.objects,
  recall_at_iou50_top10: Object.fromEntries(Object.entries(all.matched).map(([k, v]) => [k, v / all.objects])),
  owl: {
    present_queries: all.present.length, top_box_iou50: hits.length / all.present.length, ap,
    absent_scores: { p10: quantile(all.absent, 0.1), p50: quantile(all.absent, 0.5), p80: quantile(all.absent, 0.8), p90: quantile(all.absent, 0.9), max: quantile(all.absent, 1) },
    hit_scores: { p10: quantile(hits, 0.1), p50: quantile(hits, 0.5), p90: quantile(hits, 0.9) },
    threshold: chosen, best_tradeoff: best, at_shipped_min_score: atShipped,
  },
};
report.summary = summary;
process.stdout.write(`held-out total: ${all.objects} objects | yolox ${pct(summary.recall_at_iou50_top10.yolox!)} (target 85%), dino-v1 ${pct(summary.recall_at_iou50_top10['dino-v1']!)}, ` +
  `dino-v2 ${pct(summary.recall_at_iou50_top10['dino-v2']!)} (target 60%)\n`);
process.stdout.write(`OWL: top box IoU>=0.5 ${pct(summary.owl.top_box_iou50)} of ${all.present.length} present queries (target 75%), AP ${ap.toFixed(3)}; ` +
  `absent-query scores p50 ${summary.owl.absent_scores.p50.toFixed(3)} p80 ${summary.owl.absent_scores.p80.toFixed(3)} p90 ${summary.owl.absent_scores.p90.toFixed(3)}; ` +
  (chosen ? `threshold ${chosen.threshold.toFixed(3)} rejects ${pct(chosen.rejectAbsent)} of absent and keeps ${pct(chosen.keepHits)} of hits\n`
    : `no threshold rejects >=80% of absent while keeping >=90% of hits; best: ${best ? `${best.threshold.toFixed(3)} rejects ${pct(best.rejectAbsent)}, keeps ${pct(best.keepHits)}` : 'n/a'}\n`));
if (atShipped) process.stdout.write(`OWL at the shipped minScore ${atShipped.threshold.toFixed(3)}: rejects ${pct(atShipped.rejectAbsent)} of absent queries, keeps ${pct(atShipped.keepHits)} of correct top boxes (${pct(atShipped.keepPresent)} of present queries)\n`);
writeFileSync(join(ROOT, '.cache/eval/detector_results.json'), `${JSON.stringify(report, null, 2)}\n`);
await Promise.all([yolox.release(), dino.release(), owl.release()]);
