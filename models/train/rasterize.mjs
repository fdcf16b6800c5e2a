// Rasterizes SVG emoji artwork to square RGBA sprites with sharp (librsvg), for prepare.py.
//   node models/train/rasterize.mjs <list.json> <out.u8> <side>
// list.json: an array of SVG paths (null = missing). out.u8: [n, side, side, 4] uint8, transparent where missing.
import { readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';

const [listPath, outPath, sideArg] = process.argv.slice(2);
const side = Number(sideArg);
const list = JSON.parse(readFileSync(listPath, 'utf8'));
const out = Buffer.alloc(list.length * side * side * 4);
let done = 0;
let failed = 0;
async function one(i) {
  const file = list[i];
  if (!file) return;
  try {
    const px = await sharp(readFileSync(file), { density: 144 })
      .resize(side, side, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 }, kernel: 'lanczos3' })
      .ensureAlpha().raw().toBuffer();
    px.copy(out, i * side * side * 4);
  } catch (err) {
    failed++;
    process.stderr.write(`${file}: ${err.message}\n`);
  }
}
const queue = list.map((_, i) => i);
await Promise.all(Array.from({ length: 4 }, async () => {
  while (queue.length) { await one(queue.shift()); done++; }
}));
writeFileSync(outPath, out);
process.stdout.write(`${done - failed} rasterized, ${failed} failed, ${list.filter((f) => !f).length} missing\n`);
