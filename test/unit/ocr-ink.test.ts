// inkBounds: a word's box hugs its letters inside the padded quad, whatever the colours, and gives up (null) where
// the quad holds no clear two-tone text.
import { describe, expect, it } from 'vitest';
import type { DecodedImage } from '../../src/domain/types.js';
import { inkBounds } from '../../src/models/ocr-ink.js';
import { mulberry32 } from '../../src/demo/scenes.js';

function canvas(width: number, height: number, rgb: [number, number, number]): DecodedImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { data, width, height, channels: 3 };
}
function fill(img: DecodedImage, x1: number, y1: number, x2: number, y2: number, rgb: [number, number, number]): void {
  for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) img.data.set(rgb, (y * img.width + x) * 3);
}
/** "Letters": vertical strokes and bars between x 40..100 and y 30..50, an ascender up to y 24. */
function word(img: DecodedImage, rgb: [number, number, number]): void {
  for (let x = 40; x < 100; x += 8) fill(img, x, 30, x + 3, 50, rgb);
  fill(img, 40, 30, 100, 33, rgb);
  fill(img, 64, 24, 67, 30, rgb);
}
const quad = (x1: number, y1: number, x2: number, y2: number) => [x1, y1, x2, y1, x2, y2, x1, y2];

describe('inkBounds', () => {
  it('hugs dark letters on a light ground inside a padded quad', () => {
    const img = canvas(160, 80, [250, 250, 245]);
    word(img, [20, 20, 30]);
    expect(inkBounds(img, quad(30, 10, 120, 70))).toEqual({ x1: 39, y1: 23, x2: 101, y2: 51 });
  });

  it('hugs light letters on a dark or coloured ground', () => {
    const img = canvas(160, 80, [30, 60, 160]);
    word(img, [255, 255, 255]);
    expect(inkBounds(img, quad(30, 10, 120, 70))).toEqual({ x1: 39, y1: 23, x2: 101, y2: 51 });
  });

  it('ignores a stray speck and ink outside a rotated quad', () => {
    const img = canvas(160, 80, [255, 255, 255]);
    word(img, [0, 0, 0]);
    fill(img, 110, 60, 111, 61, [0, 0, 0]); // one-pixel speck inside the quad
    fill(img, 0, 0, 12, 12, [0, 0, 0]); // a neighbour's ink in the corner of the bounds, outside the quad
    const box = inkBounds(img, [36, 0, 124, 18, 120, 78, 30, 60]);
    expect(box).toEqual({ x1: 39, y1: 23, x2: 101, y2: 51 });
  });

  it('gives up on a plain region, on noise, and on a solid block', () => {
    expect(inkBounds(canvas(60, 40, [200, 200, 200]), quad(0, 0, 60, 40))).toBeNull();
    const noise = canvas(60, 40, [0, 0, 0]);
    const rnd = mulberry32(3);
    for (let i = 0; i < noise.data.length; i++) noise.data[i] = Math.floor(rnd() * 256);
    expect(inkBounds(noise, quad(0, 0, 60, 40))).toBeNull();
    const block = canvas(60, 40, [255, 255, 255]);
    fill(block, 2, 2, 58, 38, [0, 0, 0]);
    expect(inkBounds(block, quad(0, 0, 60, 40))).toBeNull();
    expect(inkBounds(block, quad(5, 5, 6, 6))).toBeNull(); // too small to judge
  });
});
