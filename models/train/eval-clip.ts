// Text→image recall of a CLIP-contract folder through Loupe's own loader (ClipModel), on the renders of
// render_eval.py: per style, 500 random seen classes (mixed backgrounds, and all-white), all classes, and the 100
// classes kept out of training. Held-out styles (Apple, Facebook) were never trained on.
//
//   npx tsx models/train/eval-clip.ts [model folder, default models/emoji-clip]
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClipModel, type ClipModel } from '../../src/models/clip-model.js';
import type { ImagePreprocessing } from '../../src/models/preprocessing.js';
import { preprocessBatch } from '../../src/native/preprocess.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const EVAL = join(ROOT, '.cache/eval');

interface EvalMeta {
  size: number;
  train_styles: string[];
  heldout_styles: string[];
  queries: string[];
  seen: number[];
  unseen: number[];
  sets: Record<'mixed' | 'white', number[]>;
  /** Other wordings per class (null where the class has none): held-out templates, names in other languages. */
  query_sets?: Record<string, (string | null)[]>;
}

/** uint8 HWC RGB S×S renders → the model's [n,3,S',S'] tensor through Loupe's own native preprocessing (the indexing path). */
async function toTensor(bytes: Uint8Array, n: number, s: number, pre: ImagePreprocessing): Promise<Float32Array> {
  const per = 3 * pre.size * pre.size;
  const out = new Float32Array(n * per);
  const whole = new Float32Array([0, 0, s, s]);
  for (let i = 0; i < n; i++) {
    const image = { data: bytes.subarray(i * s * s * 3, (i + 1) * s * s * 3), width: s, height: s, channels: 3 as const };
    out.set(await preprocessBatch(image, whole, pre), i * per);
  }
  return out;
}

/** R@1 and R@5 of text→image: query q's correct image is gallery item q. */
function recall(text: Float32Array, image: Float32Array, n: number, d: number): { r1: number; r5: number } {
  let r1 = 0;
  let r5 = 0;
  for (let q = 0; q < n; q++) {
    const scores = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += text[q * d + k]! * image[j * d + k]!;
      scores[j] = s;
    }
    const mine = scores[q]!;
    let better = 0;
    for (let j = 0; j < n; j++) if (scores[j]! > mine) better++;
    if (better < 1) r1++;
    if (better < 5) r5++;
  }
  return { r1: r1 / n, r5: r5 / n };
}

function rows<T>(data: Float32Array, idx: number[], d: number): Float32Array {
  const out = new Float32Array(idx.length * d);
  idx.forEach((i, r) => out.set(data.subarray(i * d, (i + 1) * d), r * d));
  return out;
}

async function evaluate(model: ClipModel, meta: EvalMeta) {
  const s = meta.size;
  const d = model.dimension;
  const allText = await model.embedTexts(meta.queries);
  const results: Record<string, Record<string, { r1: number; r5: number; n: number }>> = {};
  for (const style of [...meta.train_styles, ...meta.heldout_styles]) {
    results[style] = {};
    const embed = async (set: 'mixed' | 'white') => {
      const n = meta.sets[set].length;
      const bytes = readFileSync(join(EVAL, `clip_${style}_${set}.u8`));
      return model.embedImages(await toTensor(bytes, n, s, model.preprocessing), n);
    };
    const mixed = await embed('mixed'); // row i = class i
    const white = await embed('white'); // row r = class seen[r]
    const all = meta.sets.mixed;
    const cases: [string, Float32Array, Float32Array, number][] = [
      ['seen500_mixed', rows(allText, meta.seen, d), rows(mixed, meta.seen, d), meta.seen.length],
      ['seen500_white', rows(allText, meta.seen, d), white, meta.seen.length],
      ['all_mixed', allText, mixed, all.length],
      ['unseen100_mixed', rows(allText, meta.unseen, d), rows(mixed, meta.unseen, d), meta.unseen.length],
    ];
    for (const [name, t, im, n] of cases) results[style]![name] = { ...recall(t, im, n, d), n };
    // The same 500 seen classes and images, queried with other wordings (classes without one are left out).
    for (const [setName, queries] of Object.entries(meta.query_sets ?? {})) {
      const idx = meta.seen.filter((i) => typeof queries[i] === 'string' && queries[i]!.trim());
      const text = await model.embedTexts(idx.map((i) => queries[i]!));
      results[style]![`seen500_${setName}`] = { ...recall(text, rows(mixed, idx, d), idx.length, d), n: idx.length };
    }
  }
  return results;
}

const dir = resolve(process.argv[2] ?? join(ROOT, 'models/emoji-clip'));
const meta = JSON.parse(readFileSync(join(EVAL, 'clip_eval.json'), 'utf8')) as EvalMeta;
const model = await loadClipModel(dir, { intraOpThreads: 2 });
const results = await evaluate(model, meta);
await model.release();
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
process.stdout.write(`model ${model.id}\nstyle      set              R@1     R@5     n\n`);
for (const [style, sets] of Object.entries(results)) {
  const tag = meta.heldout_styles.includes(style) ? `${style}*` : style;
  for (const [set, r] of Object.entries(sets)) process.stdout.write(`${tag.padEnd(10)} ${set.padEnd(16)} ${pct(r.r1).padStart(6)}  ${pct(r.r5).padStart(6)}  ${r.n}\n`);
}
const mean = (styles: string[], set: string, k: 'r1' | 'r5') => styles.reduce((a, st) => a + results[st]![set]![k], 0) / styles.length;
const extra = Object.keys(meta.query_sets ?? {}).map((k) => `seen500_${k}`);
for (const set of ['seen500_mixed', 'seen500_white', 'all_mixed', 'unseen100_mixed', ...extra]) {
  process.stdout.write(`held-out mean (${meta.heldout_styles.join('+')}) ${set}: R@1 ${pct(mean(meta.heldout_styles, set, 'r1'))}, R@5 ${pct(mean(meta.heldout_styles, set, 'r5'))}; trained styles: R@1 ${pct(mean(meta.train_styles, set, 'r1'))}, R@5 ${pct(mean(meta.train_styles, set, 'r5'))}\n`);
}
const langs = extra.filter((s) => s.startsWith('seen500_lang_'));
if (langs.length) {
  const avg = (k: 'r1' | 'r5') => langs.reduce((a, s) => a + mean(meta.heldout_styles, s, k), 0) / langs.length;
  process.stdout.write(`held-out mean over ${langs.length} languages (${langs.map((s) => s.slice('seen500_lang_'.length)).join(', ')}): R@1 ${pct(avg('r1'))}, R@5 ${pct(avg('r5'))}\n`);
}
process.stdout.write('* held-out style (never trained on)\n');
writeFileSync(join(EVAL, 'clip_results.json'), `${JSON.stringify({ model: model.id, results }, null, 2)}\n`);
