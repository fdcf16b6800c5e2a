// Localization benchmark through the real service: index the same held-out scenes with every region method, search
// with and without OWL reranking, and print per method: image recall@1/@5, hit@1 (top hit shows the queried object
// AND its highlight box has IoU >= 0.5 with it), chunks per image, indexing ms per image, search p50.
//   npm run bench:localization                 (LOUPE_BENCH_SCENES=120, LOUPE_BENCH_SCENE_SOURCE=emoji|shapes,
//                                               LOUPE_BENCH_METHODS=none,simple,..., LOUPE_BENCH_RERANK=0 to skip rerank,
//                                               LOUPE_BENCH_STYLES=google,twitter: training-style validation scenes of
//                                               another seed, for choosing settings without the held-out art,
//                                               LOUPE_BENCH_DUMP=prefix: per query the first-stage and reranked top 10
//                                               as JSON, read by bench/localization/fusion.py)
// Scene sources: `emoji` (default: held-out Apple + Facebook emoji art — never trained on — 640×480, 2-5 objects at
// 8-70% of the side, rendered by models/train/render_scenes_eval.py into the ignored .cache/; uses the trained
// emoji-* models unless LOUPE_DEFAULT_*MODEL say otherwise) and `shapes` (procedural coloured shapes, 640×480, 2-5
// objects of 8-30% of the side, for the shipped colour models).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../../src/config.js';
import type { Box } from '../../src/domain/types.js';
import { DEMO_COLOURS, mulberry32 } from '../../src/demo/scenes.js';
import { createLogger } from '../../src/log.js';
import { createLoupe } from '../../src/services/loupe.js';

interface BenchObject {
  label: string;
  box: Box;
}
interface BenchScene {
  id: string;
  png: Buffer;
  width: number;
  height: number;
  objects: BenchObject[];
}
type SceneSource = (count: number) => Promise<BenchScene[]>;

/** 640×480 scenes with 2-5 non-overlapping shapes of distinct colours, small ones included. */
const shapes: SceneSource = async (count) => {
  const out: BenchScene[] = [];
  const colours = Object.keys(DEMO_COLOURS);
  for (let s = 0; s < count; s++) {
    const rnd = mulberry32(90_000 + s);
    const width = 640;
    const height = 480;
    const n = 2 + Math.floor(rnd() * 4);
    const objects: BenchObject[] = [];
    const svg: string[] = [];
    const bg = ['#ffffff', '#c8c8c8', '#f4efe0'][Math.floor(rnd() * 3)];
    for (let tries = 0; objects.length < n && tries < 200; tries++) {
      const side = Math.round(height * (0.08 + rnd() * 0.22));
      const w = Math.round(side * (0.7 + rnd() * 0.6));
      const x1 = Math.floor(rnd() * (width - w));
      const y1 = Math.floor(rnd() * (height - side));
      const box = { x1, y1, x2: x1 + w, y2: y1 + side };
      const label = colours[Math.floor(rnd() * colours.length)]!;
      if (objects.some((o) => o.label === label || (o.box.x1 < box.x2 + 4 && box.x1 < o.box.x2 + 4 && o.box.y1 < box.y2 + 4 && box.y1 < o.box.y2 + 4)))
        continue;
      objects.push({ label, box });
      const fill = DEMO_COLOURS[label];
      svg.push(
        rnd() < 0.5
          ? `<rect x="${x1}" y="${y1}" width="${w}" height="${side}" fill="${fill}"/>`
          : `<ellipse cx="${x1 + w / 2}" cy="${y1 + side / 2}" rx="${w / 2}" ry="${side / 2}" fill="${fill}"/>`,
      );
    }
    const png = await sharp(
      Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${bg}"/>${svg.join('')}</svg>`,
      ),
    )
      .png()
      .toBuffer();
    out.push({ id: `s${s}`, png, width, height, objects });
  }
  return out;
};

const ROOT = join(import.meta.dirname, '../..');

/**
 * Held-out emoji scenes (Apple and Facebook styles alternately), rendered once into .cache/eval/scenes. Other styles
 * (LOUPE_BENCH_STYLES=google,twitter: training styles, for choosing settings without looking at the held-out art)
 * render into .cache/eval/scenes-val.
 */
const HELDOUT_STYLES = 'apple,facebook';
const emoji: SceneSource = async (count) => {
  const styleList = process.env.LOUPE_BENCH_STYLES ?? HELDOUT_STYLES;
  const styles = styleList.split(',');
  const sceneDir = join(ROOT, styleList === HELDOUT_STYLES ? '.cache/eval/scenes' : '.cache/eval/scenes-val');
  const per = Math.ceil(count / styles.length);
  const sets = styles.map((style) => {
    const file = join(sceneDir, style, 'scenes.json');
    const meta = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { images: unknown[] }) : null;
    if (!meta || meta.images.length < per) {
      execFileSync(
        '/usr/bin/python3',
        [
          join(ROOT, 'models/train/render_scenes_eval.py'),
          '--styles',
          styles.join(','),
          '--count',
          String(Math.max(per, 150)),
          '--out',
          sceneDir,
          ...(styleList === HELDOUT_STYLES ? [] : ['--seed', '24680']),
        ],
        { stdio: 'inherit' },
      );
    }
    return {
      style,
      images: (
        JSON.parse(readFileSync(file, 'utf8')) as { images: { file: string; width: number; height: number; objects: { name: string; box: number[] }[] }[] }
      ).images,
    };
  });
  const out: BenchScene[] = [];
  for (let i = 0; out.length < count; i++) {
    const { style, images } = sets[i % sets.length]!;
    const img = images[Math.floor(i / sets.length)]!;
    out.push({
      id: `${style}-${img.file.replace('.png', '')}`,
      png: readFileSync(join(sceneDir, style, img.file)),
      width: img.width,
      height: img.height,
      objects: img.objects.map((o) => ({ label: o.name, box: { x1: o.box[0]!, y1: o.box[1]!, x2: o.box[2]!, y2: o.box[3]! } })),
    });
  }
  return out;
};

const SOURCES: Record<string, SceneSource> = { emoji, shapes };

function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = ix * iy;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const COUNT = Number(process.env.LOUPE_BENCH_SCENES ?? 120);
const sourceName = process.env.LOUPE_BENCH_SCENE_SOURCE ?? 'emoji';
if (sourceName === 'emoji') {
  process.env.LOUPE_DEFAULT_MODEL ??= 'emoji-clip';
  process.env.LOUPE_DEFAULT_YOLOX_MODEL ??= 'emoji-yolox';
  process.env.LOUPE_DEFAULT_DINO_MODEL ??= 'emoji-dino';
  process.env.LOUPE_DEFAULT_RERANK_MODEL ??= 'emoji-owl';
}
const source = SOURCES[sourceName];
if (!source) throw new Error(`unknown scene source ${sourceName}; one of ${Object.keys(SOURCES).join(', ')}`);
const METHODS = (process.env.LOUPE_BENCH_METHODS ?? 'none,simple,overlap,yolox,dino-v1,dino-v2').split(',');

const scenes = await source(COUNT);
const byId = new Map(scenes.map((s) => [s.id, s]));
// One query per scene: an object label present in it (its "target"); relevant = every scene showing that label.
const rnd = mulberry32(7);
const queries = scenes.map((s) => ({ target: s, label: s.objects[Math.floor(rnd() * s.objects.length)]!.label }));

// Absent-object queries: names of seen emoji classes that no scene shows. After reranking with the model's calibrated
// minScore (config.json loupe.min_score) the top hit should be dropped for them and kept for the queries above.
const present = new Set(scenes.flatMap((s) => s.objects.map((o) => o.label)));
const classesFile = join(ROOT, '.cache/train/classes.json');
const absentQueries: string[] = [];
if (sourceName === 'emoji' && existsSync(classesFile)) {
  const classes = (JSON.parse(readFileSync(classesFile, 'utf8')) as { classes: { captions: string[]; split: string }[] }).classes;
  const pick = mulberry32(11);
  const pool = classes.filter((c) => c.split === 'train' && !present.has(c.captions[0]!)).map((c) => c.captions[0]!);
  while (absentQueries.length < Math.min(queries.length, pool.length)) {
    const name = pool[Math.floor(pick() * pool.length)]!;
    if (!absentQueries.includes(name)) absentQueries.push(name);
  }
}
const owlConfig = JSON.parse(
  readFileSync(join(process.env.LOUPE_MODELS_DIR ?? join(ROOT, 'models'), process.env.LOUPE_DEFAULT_RERANK_MODEL ?? 'emoji-owl', 'config.json'), 'utf8'),
) as {
  loupe?: { min_score?: number };
};
const minScore = typeof owlConfig.loupe?.min_score === 'number' ? owlConfig.loupe.min_score : null;
const absentRows: string[] = [];

const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-loc-'));
const loupe = await createLoupe(loadConfig({ dataDir: dir, databaseUrl: process.env.DATABASE_URL ?? null }), createLogger({ bench: 'localization' }, 'warn'));
const rows: string[] = [];
try {
  for (const method of METHODS) {
    const name = `loc-${method.replace(/[^a-z0-9]/g, '')}`;
    await loupe.indexes.create({ name, regionMethod: method });
    const t0 = performance.now();
    for (let i = 0; i < scenes.length; i += 10) {
      const res = await loupe.documents.add(
        name,
        scenes.slice(i, i + 10).map((s) => ({ id: s.id, fields: {}, uploads: { image: { name: `${s.id}.png`, bytes: s.png } } })),
      );
      const bad = res.find((r) => !r.ok);
      if (bad) throw new Error(`${method}: ${JSON.stringify(bad)}`);
    }
    const indexMs = (performance.now() - t0) / scenes.length;
    const chunks = (await loupe.indexes.stats(name)).chunks / scenes.length;
    for (const rerank of process.env.LOUPE_BENCH_RERANK === '0' ? [false] : [false, true]) {
      let r1 = 0;
      let r5 = 0;
      let hit1 = 0;
      const times: number[] = [];
      for (const q of queries) {
        const t = performance.now();
        const res = await loupe.search.search(name, { q: q.label, limit: 5, ...(rerank ? { rerank: { depth: 10 } } : {}) });
        times.push(performance.now() - t);
        const relevant = (id: string) => byId.get(id)!.objects.some((o) => o.label === q.label);
        if (res.hits[0] && relevant(res.hits[0].id)) r1++;
        if (res.hits.some((h) => relevant(h.id))) r5++;
        const top = res.hits[0];
        const box = top?.highlights.find((h) => h.box)?.box;
        if (top && box && byId.get(top.id)!.objects.some((o) => o.label === q.label && iou(o.box, box) >= 0.5)) hit1++;
      }
      const pct = (x: number) => `${((100 * x) / queries.length).toFixed(1)}%`.padStart(7);
      rows.push(
        `${(method + (rerank ? ' + rerank' : '')).padEnd(20)} ${pct(r1)} ${pct(r5)} ${pct(hit1)} ${chunks.toFixed(1).padStart(8)} ${indexMs.toFixed(1).padStart(9)} ${median(times).toFixed(1).padStart(9)}`,
      );
      if (rerank && process.env.LOUPE_BENCH_DUMP) {
        const dump: unknown[] = [];
        // One hit as the fusion analysis reads it: score, shows the label, its box on the labelled object.
        const row = (h: { id: string; score: number; highlights: { box?: Box | null }[] }, label: string) => {
          const box = h.highlights.find((x) => x.box)?.box;
          const objects = byId.get(h.id)!.objects.filter((o) => o.label === label);
          return { id: h.id, s: h.score, rel: objects.length > 0, hit: !!box && objects.some((o) => iou(o.box, box) >= 0.5) };
        };
        for (const [kind, labels] of [
          ['present', queries.map((q) => q.label)],
          ['absent', absentQueries],
        ] as const) {
          for (const label of labels) {
            const first = await loupe.search.search(name, { q: label, limit: 10 });
            const re = await loupe.search.search(name, { q: label, limit: 10, rerank: { depth: 10 } });
            dump.push({
              kind,
              label,
              first: first.hits.map((h) => row(h, label)),
              re: re.hits.map((h) => ({ ...row(h, label), r: h.retrievalScore })),
            });
          }
        }
        writeFileSync(`${process.env.LOUPE_BENCH_DUMP}-${name}.json`, JSON.stringify(dump));
      }
      if (rerank && minScore !== null && absentQueries.length) {
        // "Is it there?": the same present queries and the absent ones, reranked with the calibrated minScore.
        let kept = 0;
        let rejected = 0;
        for (const q of queries) {
          const res = await loupe.search.search(name, { q: q.label, limit: 5, rerank: { depth: 10, minScore } });
          const top = res.hits[0];
          const box = top?.highlights.find((h) => h.box)?.box;
          const correct = !!top && !!box && byId.get(top.id)!.objects.some((o) => o.label === q.label && iou(o.box, box) >= 0.5);
          if (correct) kept++;
        }
        for (const label of absentQueries) {
          const res = await loupe.search.search(name, { q: label, limit: 5, rerank: { depth: 10, minScore } });
          if (!res.hits.length) rejected++;
        }
        absentRows.push(
          `${method.padEnd(20)} minScore ${minScore.toFixed(3)}: absent rejected ${((100 * rejected) / absentQueries.length).toFixed(1)}% of ${absentQueries.length}, ` +
            `correct top hits kept ${hit1 ? ((100 * kept) / hit1).toFixed(1) : '0.0'}% (${kept} of ${hit1}) — hit@1 with the cutoff ${((100 * kept) / queries.length).toFixed(1)}%`,
        );
      }
    }
  }
} finally {
  await loupe.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nlocalization benchmark: ${scenes.length} "${sourceName}" scenes (640×480, 2-5 objects), ${queries.length} queries, through the service`);
console.log(
  `${'method'.padEnd(20)} ${'R@1'.padStart(7)} ${'R@5'.padStart(7)} ${'hit@1'.padStart(7)} ${'chunks'.padStart(8)} ${'index ms'.padStart(9)} ${'p50 ms'.padStart(9)}`,
);
for (const r of rows) console.log(r);
if (absentRows.length) {
  console.log(`\nabsent-object queries (${absentQueries.length} seen emoji names no scene shows), reranked with rerank.minScore:`);
  for (const r of absentRows) console.log(r);
}
