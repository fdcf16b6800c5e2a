// Procedural demo scenes: coloured shapes on varied backgrounds, with captions and ground-truth boxes.
// Deterministic for a seed; rendered by sharp from SVG that this code writes itself.
import sharp from 'sharp';
import type { Box } from '../domain/types.js';

export const DEMO_COLOURS: Record<string, string> = {
  red: '#e02020',
  orange: '#f28c18',
  yellow: '#f5d90a',
  green: '#2aa845',
  cyan: '#1ec8d8',
  blue: '#2546e0',
  purple: '#8a2be2',
  pink: '#f06eb4',
  brown: '#8b5a2b',
  black: '#151515',
};
const BACKGROUNDS = [
  { name: 'white', svg: '<rect width="100%" height="100%" fill="#ffffff"/>' },
  { name: 'grey', svg: '<rect width="100%" height="100%" fill="#b8b8b8"/>' },
  {
    name: 'pale',
    svg: '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#fdfbf0"/><stop offset="1" stop-color="#d9e4ea"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>',
  },
];
const SHAPES = ['circle', 'square', 'triangle'] as const;

export interface SceneObject {
  colour: string;
  shape: (typeof SHAPES)[number];
  box: Box;
}

export interface Scene {
  id: string;
  caption: string;
  width: number;
  height: number;
  objects: SceneObject[];
  png: Buffer;
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const overlaps = (a: Box, b: Box) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;

function shapeSvg(o: SceneObject): string {
  const { x1, y1, x2, y2 } = o.box;
  const fill = DEMO_COLOURS[o.colour];
  if (o.shape === 'circle') return `<ellipse cx="${(x1 + x2) / 2}" cy="${(y1 + y2) / 2}" rx="${(x2 - x1) / 2}" ry="${(y2 - y1) / 2}" fill="${fill}"/>`;
  if (o.shape === 'square') return `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="${fill}"/>`;
  return `<polygon points="${(x1 + x2) / 2},${y1} ${x2},${y2} ${x1},${y2}" fill="${fill}"/>`;
}

export async function renderScene(seed: number, width = 480, height = 360): Promise<Scene> {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const bg = pick(BACKGROUNDS);
  const colours = Object.keys(DEMO_COLOURS);
  const objects: SceneObject[] = [];
  const count = 1 + Math.floor(rnd() * 2);
  for (let tries = 0; objects.length < count && tries < 50; tries++) {
    const side = Math.round(height * (0.2 + rnd() * 0.25));
    const x1 = Math.floor(rnd() * (width - side));
    const y1 = Math.floor(rnd() * (height - side));
    const box = { x1, y1, x2: x1 + side, y2: y1 + side };
    const colour = pick(colours.filter((c) => !objects.some((o) => o.colour === c) && !(bg.name === 'white' && c === 'white')));
    if (objects.some((o) => overlaps(o.box, box))) continue;
    objects.push({ colour, shape: pick(SHAPES), box });
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${bg.svg}${objects.map(shapeSvg).join('')}</svg>`;
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  const caption = `${objects.map((o) => `a ${o.colour} ${o.shape}`).join(' and ')} on a ${bg.name} background`;
  return { id: `scene-${String(seed).padStart(4, '0')}`, caption, width, height, objects, png };
}
