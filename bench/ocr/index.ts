// OCR benchmark (`npm run bench:ocr`): PP-OCRv4 through Loupe on images no one tuned on.
//
//  - renders: random English words drawn with the machine's fonts (fc-list) at several sizes, angles, colours and
//    backgrounds (solid and gradient), each clean, blurred (σ 1.5) and as JPEG quality 20;
//  - screenshots: generated web pages (nav, heading, paragraphs, an invoice table, buttons) taken by Debian's Chromium
//    (playwright-core) at 1280×720, word boxes from the DOM.
//
// Prints per set: word recall (multiset of normalized words), character error rate (truth lines matched to read
// lines by box), hit@1 for word queries through a real Loupe index (LEXICAL; the right image first and a highlight
// with IoU ≥ 0.5 with the word or its line), and ms per image of OcrModel.read on this machine's cores.
// Seeded: the same corpus every run (LOUPE_BENCH_SEED).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { loadConfig } from '../../src/config.js';
import type { Box, DecodedImage } from '../../src/domain/types.js';
import { createLogger } from '../../src/log.js';
import { OcrModel } from '../../src/models/ocr-model.js';
import { decodeImage } from '../../src/repositories/image-decoder.js';
import { createLoupe } from '../../src/services/loupe.js';
import { iou } from '../../test/helpers/images.js';
import { inkBox, renderText, textSvg, type TextSpec } from '../../test/helpers/text-images.js';

const ROOT = join(import.meta.dirname, '../..');
let seed = Number(process.env.LOUPE_BENCH_SEED ?? 16);
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const WORDS = `account address after again almost answer apple april autumn basket battery beach before better bicycle
birthday blanket border bottle branch bread bridge bright brother budget button camera candle canvas capital carpet
castle center chair change cheese choice circle city clean clock cloud coffee column copper corner cotton country
cousin credit crowd dance danger debit delivery desert dinner doctor double dragon drawer driver early earth editor
engine evening export fabric family farmer feather figure finger flower forest fortune friday garden garlic gentle
glass golden grocery harbor hammer health helmet history holiday honey hotel hunter island jacket jungle kettle
kitchen ladder lantern lawyer lemon letter library little lobby market meadow medium member metal middle minute
mirror monday monkey morning mother mountain museum napkin narrow nation needle number ocean office orange output
oxygen packet paddle palace paper parcel pencil pepper period pillow planet pocket police pollen potato powder
prairie profit public puzzle quarter rabbit radio receipt record refund remote rescue ribbon river rocket saddle
salmon sample school season second silver simple sister socket spirit spring square status street summer sunday
supper switch table ticket timber tomato tower travel tunnel update valley velvet violet wallet window winter
yellow`
  .split(/\s+/)
  .filter(Boolean);

const norm = (w: string) => w.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

interface TruthLine {
  text: string;
  box: Box;
  words: { text: string; box: Box | null }[];
}
interface Sample {
  id: string;
  set: string;
  png: Buffer;
  lines: TruthLine[];
}

function fonts(): string[] {
  const out = execFileSync('fc-list', [':', 'family'], { encoding: 'utf8' });
  const families = [...new Set(out.split('\n').flatMap((l) => l.split(',').map((f) => f.trim())))].filter((f) =>
    /^DejaVu (Sans|Serif)( Mono| Condensed)?$/.test(f),
  );
  if (!families.length) throw new Error('No DejaVu fonts found by fc-list: apt-get install fonts-dejavu-core fonts-dejavu-extra (scripts/install.sh)');
  return families.sort();
}

const STYLES = [
  { fg: 'black', bg: 'white' },
  { fg: 'white', bg: '#1f4e79' },
  { fg: '#b00020', bg: '#fff8e1' },
  { fg: '#3a3a3a', bg: '#bdbdbd' },
  { fg: '#0b3d0b', bg: 'gradient' },
];

async function renders(count: number): Promise<Sample[]> {
  const families = fonts();
  const out: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const W = 960;
    const H = 640;
    const size = pick([16, 22, 30, 44, 60]);
    const angle = pick([0, 0, 0, -7, 12, -20]);
    const style = pick(STYLES);
    const font = pick(families);
    const specs: TextSpec[] = [];
    const n = Math.max(2, Math.min(6, Math.floor((H - 80) / (size * 2))));
    for (let l = 0; l < n; l++) {
      const words = Array.from({ length: 2 + Math.floor(rand() * 3) }, () => pick(WORDS));
      specs.push({ text: words.join(' '), x: 60 + Math.floor(rand() * 120), y: 80 + l * Math.floor((H - 120) / n) + size, size, font, fill: style.fg, angle });
    }
    // Geometry from black-on-white renders of each line alone; the sample itself in its colours.
    const lines: TruthLine[] = [];
    for (const s of specs) {
      const alone = await renderText(W, H, [{ ...s, fill: 'black' }]);
      const box = inkBox(alone);
      if (!box) continue;
      const words = await Promise.all(s.text.split(' ').map(async (t, k) => ({ text: t, box: await wordInk(W, H, s, k) })));
      lines.push({ text: s.text, box, words });
    }
    const svg =
      style.bg === 'gradient'
        ? Buffer.from(
            textSvg(W, H, specs, 'url(#g)')
              .toString()
              .replace(
                '<rect',
                '<defs><linearGradient id="g" x1="0" x2="1"><stop offset="0" stop-color="#fdf6e3"/><stop offset="1" stop-color="#93c5b1"/></linearGradient></defs><rect',
              ),
          )
        : textSvg(W, H, specs, style.bg);
    const clean = await sharp(svg).png().toBuffer();
    out.push({ id: `render-${i}`, set: 'renders, clean', png: clean, lines });
    out.push({ id: `render-${i}-blur`, set: 'renders, blur σ1.5', png: await sharp(clean).blur(1.5).png().toBuffer(), lines });
    out.push({ id: `render-${i}-jpeg`, set: 'renders, JPEG q20', png: await sharp(clean).jpeg({ quality: 20 }).toBuffer(), lines });
  }
  return out;
}

/** The ink of word k of a line, at any angle: the whole line drawn with every other word transparent. */
async function wordInk(width: number, height: number, line: TextSpec, k: number): Promise<Box | null> {
  const words = line.text.split(' ');
  const spans = words.map((w, i) => `<tspan${i === k ? '' : ' fill-opacity="0"'}>${w}${i < words.length - 1 ? ' ' : ''}</tspan>`).join('');
  const svg = textSvg(width, height, [{ ...line, text: 'X', fill: 'black' }])
    .toString()
    .replace('>X</text>', `>${spans}</text>`);
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return inkBox({ data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 });
}

function page(): string {
  const ws = (n: number) => Array.from({ length: n }, () => `<span class="w">${pick(WORDS)}</span>`).join(' ');
  const title = ws(2 + Math.floor(rand() * 2));
  const rows = Array.from(
    { length: 4 },
    () => `<tr><td>${ws(2)}</td><td>${ws(1)}</td><td><span class="w">${(rand() * 900 + 10).toFixed(2)}</span></td></tr>`,
  ).join('');
  const font = pick(['DejaVu Sans', 'DejaVu Serif', 'sans-serif']);
  return `<!doctype html><html><head><style>
    body { font-family: '${font}'; margin: 0; color: #222; background: ${pick(['#fff', '#f5f7fa', '#fffaf0'])}; }
    nav { background: ${pick(['#24292f', '#0b5394', '#6a1b9a'])}; padding: 14px 32px; } nav span.w { color: #fff; margin-right: 28px; font-size: 17px; }
    main { padding: 20px 32px; } h1 { font-size: ${pick([30, 36, 42])}px; margin: 8px 0 14px; }
    p { font-size: ${pick([15, 16, 18])}px; line-height: 1.5; max-width: 560px; margin: 0 0 10px; }
    table { position: absolute; left: 680px; top: 130px; border-collapse: collapse; font-size: 16px; } td { padding: 6px 14px; border-bottom: 1px solid #ccc; }
    button { font-size: 16px; padding: 8px 18px; margin-right: 12px; border-radius: 6px; border: 1px solid #888; background: ${pick(['#e8f0fe', '#2da44e', '#eee'])}; }
  </style></head><body><nav>${ws(4)}</nav><main><h1>${title}</h1><p>${ws(9)}</p><p>${ws(8)}</p><p>${ws(7)}</p>
  <table>${rows}</table><div><button>${ws(1)}</button><button>${ws(2)}</button></div></main></body></html>`;
}

async function screenshots(count: number): Promise<Sample[]> {
  const browser = await chromium.launch({ executablePath: process.env.LOUPE_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const out: Sample[] = [];
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 });
    const tab = await ctx.newPage();
    for (let i = 0; i < count; i++) {
      await tab.setContent(page());
      const spans = await tab.$$eval('span.w', (els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          const parent = e.parentElement!;
          return { text: e.textContent ?? '', x1: r.left, y1: r.top, x2: r.right, y2: r.bottom, parent: [...document.querySelectorAll('*')].indexOf(parent) };
        }),
      );
      // A line: the words of one element on one row.
      const groups = new Map<string, typeof spans>();
      for (const s of spans) {
        const key = `${s.parent}:${Math.round(s.y1 / 4)}`;
        groups.set(key, [...(groups.get(key) ?? []), s]);
      }
      const lines: TruthLine[] = [...groups.values()].map((g) => {
        const box = {
          x1: Math.floor(Math.min(...g.map((s) => s.x1))),
          y1: Math.floor(Math.min(...g.map((s) => s.y1))),
          x2: Math.ceil(Math.max(...g.map((s) => s.x2))),
          y2: Math.ceil(Math.max(...g.map((s) => s.y2))),
        };
        return {
          text: g.map((s) => s.text).join(' '),
          box,
          words: g.map((s) => ({ text: s.text, box: { x1: Math.floor(s.x1), y1: Math.floor(s.y1), x2: Math.ceil(s.x2), y2: Math.ceil(s.y2) } })),
        };
      });
      out.push({ id: `page-${i}`, set: 'Chromium screenshots 1280×720', png: await tab.screenshot({ type: 'png' }), lines });
    }
  } finally {
    await browser.close();
  }
  return out;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

interface SetStats {
  images: number;
  words: number;
  found: number;
  chars: number;
  edits: number;
  ms: number[];
  /** CPU time of the process (all ONNX Runtime threads) per image: what the image costs whatever else runs. */
  cpu: number[];
  queries: number;
  hits: number;
}

const samples = [...(await renders(Number(process.env.LOUPE_BENCH_OCR_RENDERS ?? 12))), ...(await screenshots(Number(process.env.LOUPE_BENCH_OCR_PAGES ?? 6)))];
const model = await OcrModel.load(join(ROOT, 'models', 'pp-ocrv4'));
const stats = new Map<string, SetStats>();
const stat = (set: string) => {
  let s = stats.get(set);
  if (!s) stats.set(set, (s = { images: 0, words: 0, found: 0, chars: 0, edits: 0, ms: [], cpu: [], queries: 0, hits: 0 }));
  return s;
};
for (const s of samples) {
  const image: DecodedImage = await decodeImage(s.png);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const reading = await model.read(image);
  const cpu = process.cpuUsage(c0);
  const st = stat(s.set);
  st.ms.push(performance.now() - t0);
  st.cpu.push((cpu.user + cpu.system) / 1000);
  st.images++;
  const read = new Map<string, number>();
  for (const l of reading.lines) for (const w of l.text.split(/\s+/)) read.set(norm(w), (read.get(norm(w)) ?? 0) + 1);
  for (const l of s.lines) {
    for (const w of l.words) {
      st.words++;
      const k = norm(w.text);
      if ((read.get(k) ?? 0) > 0) {
        st.found++;
        read.set(k, read.get(k)! - 1);
      }
    }
    const best = reading.lines.map((r) => ({ r, o: iou(r.box, l.box) })).sort((a, b) => b.o - a.o)[0];
    const truth = l.text.toLowerCase();
    st.chars += truth.length;
    st.edits += best && best.o > 0.3 ? Math.min(truth.length, editDistance(truth, best.r.text.toLowerCase().replace(/\s+/g, ' '))) : truth.length;
  }
}

// hit@1 through a real Loupe: one index with OCR, every image, queries for words that occur in one image only.
const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-ocr-'));
const loupe = await createLoupe(
  loadConfig({ dataDir: dir, databaseUrl: process.env.DATABASE_URL ?? null, defaultModel: process.env.LOUPE_DEFAULT_MODEL ?? 'emoji-clip' }),
  createLogger({ bench: 'ocr' }, 'warn'),
);
try {
  await loupe.indexes.create({ name: 'ocr-bench', regionMethod: 'none', ocr: true });
  for (let i = 0; i < samples.length; i += 8) {
    const res = await loupe.documents.add(
      'ocr-bench',
      samples.slice(i, i + 8).map((s) => ({ id: s.id, fields: {}, uploads: { image: { name: `${s.id}.png`, bytes: s.png } } })),
    );
    const bad = res.find((r) => !r.ok);
    if (bad && !bad.ok) throw new Error(`indexing ${bad.id} failed: ${bad.code} ${bad.message}`);
  }
  // Blur/JPEG copies share their words with the clean render: a query is one image's word among its own set only.
  const owners = new Map<string, Set<string>>();
  for (const s of samples) for (const l of s.lines) for (const w of l.words) owners.set(norm(w.text), (owners.get(norm(w.text)) ?? new Set()).add(s.id));
  for (const s of samples) {
    const own = s.lines.flatMap((l) => l.words.map((w) => ({ w, l }))).filter(({ w }) => norm(w.text).length >= 4 && owners.get(norm(w.text))!.size <= 3);
    const seen = new Set<string>();
    for (const { w, l } of own) {
      const q = norm(w.text);
      if (seen.has(q) || seen.size >= 3) continue;
      seen.add(q);
      const st = stat(s.set);
      st.queries++;
      const siblings = [...owners.get(q)!].filter((id) => id !== s.id);
      // Typed as a user would: the word as written, less punctuation around it ("831.39", not "83139").
      const typed = w.text.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '').toLowerCase();
      const res = await loupe.search.search('ocr-bench', {
        q: typed,
        method: 'LEXICAL',
        limit: 1 + siblings.length,
      });
      // The right image first among the images of other sets (its blurred/JPEG twins also hold the word).
      const top = res.hits.find((h) => !siblings.includes(h.id));
      const box = top?.highlights[0]?.box;
      if (top?.id === s.id && box && (iou(box, l.box) >= 0.5 || (w.box !== null && iou(box, w.box) >= 0.5))) st.hits++;
      else if (process.env.LOUPE_BENCH_VERBOSE) console.log('miss', s.id, typed, top?.id, JSON.stringify(box), JSON.stringify(w.box), JSON.stringify(l.box));
    }
  }
} finally {
  await loupe.close();
  rmSync(dir, { recursive: true, force: true });
}

const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)} %` : '–');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const load = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
console.log(`\nOCR benchmark (pp-ocrv4, ${availableParallelism()} cores, load average ${load}, seed ${process.env.LOUPE_BENCH_SEED ?? 16})\n`);
console.log('| set | images | words | word recall | CER | hit@1 (queries) | wall ms / image (median, max) | CPU ms / image (median) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [set, s] of stats) {
  console.log(
    `| ${set} | ${s.images} | ${s.words} | ${pct(s.found, s.words)} | ${pct(s.edits, s.chars)} | ${pct(s.hits, s.queries)} (${s.queries}) | ${median(s.ms).toFixed(0)}, ${Math.max(...s.ms).toFixed(0)} | ${median(s.cpu).toFixed(0)} |`,
  );
}
