// Emoji demo scenes: 2-4 everyday things (animals, food, travel, objects) from the licence-clean styles in
// src/demo/assets/emoji-atlas.png (Google/Noto Apache-2.0, Twemoji CC-BY 4.0, Fluent MIT; see NOTICE), placed
// without overlap on plain or gradient backgrounds. Deterministic per seed; ground-truth boxes in pixels.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp, { type OverlayOptions } from 'sharp';
import type { Box } from '../domain/types.js';
import { mulberry32 } from './scenes.js';

interface Atlas {
  tile: number;
  columns: number;
  tiles: { name: string; style: string }[];
}

export interface EmojiSceneObject {
  name: string;
  style: string;
  box: Box;
}

export interface EmojiScene {
  id: string;
  caption: string;
  width: number;
  height: number;
  objects: EmojiSceneObject[];
  png: Buffer;
}

const ASSETS = fileURLToPath(new URL('../../src/demo/assets/', import.meta.url));
const BACKGROUNDS: [string, string][] = [
  ['#ffffff', '#ffffff'],
  ['#f4efe0', '#f4efe0'],
  ['#dfe9f5', '#ffffff'],
  ['#e8f5e0', '#c9e4c0'],
  ['#fde2e4', '#fff1e6'],
  ['#d9d9d9', '#f5f5f5'],
  ['#fff3c4', '#ffe08a'],
  ['#cfe8ef', '#9fc9d8'],
];

let atlas: Promise<{ meta: Atlas; rgba: Buffer; width: number }> | null = null;
function loadAtlas() {
  atlas ??= (async () => {
    const meta = JSON.parse(readFileSync(`${ASSETS}emoji-atlas.json`, 'utf8')) as Atlas;
    const { data, info } = await sharp(`${ASSETS}emoji-atlas.png`).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    return { meta, rgba: data, width: info.width };
  })();
  return atlas;
}

/** The distinct object names of the atlas (the demo's vocabulary). */
const tiles = new Map<number, Promise<{ png: Buffer; opaque: Box; side: number }>>();

/** One tile as a PNG plus the box of its opaque pixels within the tile (cut out once per tile). */
function tile(i: number): Promise<{ png: Buffer; opaque: Box; side: number }> {
  let t = tiles.get(i);
  if (!t) {
    t = cutTile(i);
    tiles.set(i, t);
  }
  return t;
}

async function cutTile(i: number): Promise<{ png: Buffer; opaque: Box; side: number }> {
  const { meta, rgba, width } = await loadAtlas();
  const s = meta.tile;
  const x0 = (i % meta.columns) * s;
  const y0 = Math.floor(i / meta.columns) * s;
  const px = Buffer.alloc(s * s * 4);
  const opaque = { x1: s, y1: s, x2: 0, y2: 0 };
  for (let y = 0; y < s; y++) {
    rgba.copy(px, y * s * 4, ((y0 + y) * width + x0) * 4, ((y0 + y) * width + x0 + s) * 4);
    for (let x = 0; x < s; x++) {
      if (px[(y * s + x) * 4 + 3]! > 64) {
        opaque.x1 = Math.min(opaque.x1, x);
        opaque.y1 = Math.min(opaque.y1, y);
        opaque.x2 = Math.max(opaque.x2, x + 1);
        opaque.y2 = Math.max(opaque.y2, y + 1);
      }
    }
  }
  return {
    png: await sharp(px, { raw: { width: s, height: s, channels: 4 } })
      .png()
      .toBuffer(),
    opaque,
    side: s,
  };
}

const overlaps = (a: Box, b: Box, gap: number) => a.x1 < b.x2 + gap && b.x1 < a.x2 + gap && a.y1 < b.y2 + gap && b.y1 < a.y2 + gap;

function joinNames(names: string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

export async function renderEmojiScene(seed: number, width = 640, height = 480): Promise<EmojiScene> {
  const { meta } = await loadAtlas();
  const rnd = mulberry32(seed * 7919 + 17);
  const [c1, c2] = BACKGROUNDS[Math.floor(rnd() * BACKGROUNDS.length)]!;
  const count = 2 + Math.floor(rnd() * 3);
  const objects: EmojiSceneObject[] = [];
  const layers: OverlayOptions[] = [];
  for (let tries = 0; objects.length < count && tries < 100; tries++) {
    const t = Math.floor(rnd() * meta.tiles.length);
    const entry = meta.tiles[t]!;
    const side = Math.round(height * (0.16 + rnd() * 0.3));
    const left = Math.floor(rnd() * (width - side));
    const top = Math.floor(rnd() * (height - side));
    const { png, opaque, side: s } = await tile(t);
    const k = side / s;
    const box = {
      x1: Math.floor(left + opaque.x1 * k),
      y1: Math.floor(top + opaque.y1 * k),
      x2: Math.ceil(left + opaque.x2 * k),
      y2: Math.ceil(top + opaque.y2 * k),
    };
    if (objects.some((o) => o.name === entry.name || overlaps(o.box, box, 6))) continue;
    objects.push({ name: entry.name, style: entry.style, box });
    layers.push({ input: await sharp(png).resize(side, side, { kernel: 'lanczos3' }).png().toBuffer(), left, top });
  }
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">` +
    `<stop offset="0" stop-color="${c1}"/><stop offset="1" stop-color="${c2}"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`;
  const png = await sharp(Buffer.from(svg)).composite(layers).png().toBuffer();
  return { id: `emoji-${String(seed).padStart(4, '0')}`, caption: joinNames(objects.map((o) => o.name)), width, height, objects, png };
}
