// Decoding hostile and unusual images: every result is upright 8-bit sRGB RGB or a typed error.
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { LoupeError } from '../../src/domain/errors.js';
import type { DecodedImage } from '../../src/domain/types.js';
import { decodeBytes, decodeImage, inspectImage } from '../../src/repositories/image-decoder.js';
import { BLUE, RED, noisyJpeg, pixelBombPng, solidPng } from './fixtures.js';

async function failure(promise: Promise<unknown>): Promise<LoupeError> {
  const e = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LoupeError);
  return e as LoupeError;
}

function pixel(img: DecodedImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [img.data[i] as number, img.data[i + 1] as number, img.data[i + 2] as number];
}

function expectNear(actual: number[], expected: number[], tolerance: number): void {
  actual.forEach((v, i) => expect(Math.abs(v - (expected[i] as number)), `channel ${i}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance));
}

/** A width × height image whose left half is red and right half blue. */
async function redLeftBlueRight(width: number, height: number): Promise<Sharp> {
  const right = await solidPng(width / 2, height, BLUE);
  return sharp({ create: { width, height, channels: 3, background: RED } }).composite([{ input: right, left: width / 2, top: 0 }]);
}

describe('decodeImage', () => {
  it('decodes a plain PNG to interleaved RGB', async () => {
    const img = await decodeImage(await solidPng(5, 4, BLUE));
    expect([img.width, img.height, img.channels, img.data.length]).toEqual([5, 4, 3, 60]);
    expect(pixel(img, 4, 3)).toEqual([0, 0, 255]);
  });

  it('applies EXIF orientation 6 so the image is upright', async () => {
    // Stored 40 × 20 (red left, blue right) with "rotate 90° clockwise to display": upright is 20 × 40, red on top.
    const stored = await (await redLeftBlueRight(40, 20)).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(stored).metadata()).orientation).toBe(6);
    const img = await decodeImage(stored);
    expect([img.width, img.height]).toEqual([20, 40]);
    expectNear(pixel(img, 10, 5), [255, 0, 0], 40);
    expectNear(pixel(img, 10, 34), [0, 0, 255], 40);
  });

  it('converts CMYK to sRGB', async () => {
    const cmyk = await sharp({ create: { width: 16, height: 16, channels: 3, background: RED } })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const img = await decodeImage(cmyk);
    expect(img.data.length).toBe(16 * 16 * 3);
    const [r, g, b] = pixel(img, 8, 8);
    expect(r).toBeGreaterThan(180);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);
  });

  it('reduces 16-bit PNG to 8 bits', async () => {
    const deep = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 255, g: 128, b: 0 } } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    const img = await decodeImage(deep);
    expect(img.data.length).toBe(8 * 8 * 3);
    expectNear(pixel(img, 3, 3), [255, 128, 0], 1);
  });

  it('expands greyscale to three equal channels', async () => {
    const grey = await sharp({ create: { width: 6, height: 6, channels: 3, background: { r: 100, g: 100, b: 100 } } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const img = await decodeImage(grey);
    const [r, g, b] = pixel(img, 2, 2);
    expect(r).toBe(g);
    expect(g).toBe(b);
    expectNear([r as number], [100], 2);
  });

  it('flattens alpha onto white', async () => {
    // Left half opaque blue, right half fully transparent (its colour, red, must not show through).
    const rgba = Buffer.alloc(10 * 10 * 4);
    for (let i = 0; i < 100; i++) rgba.set(i % 10 < 5 ? [0, 0, 255, 255] : [255, 0, 0, 0], i * 4);
    const half = await sharp(rgba, { raw: { width: 10, height: 10, channels: 4 } })
      .png()
      .toBuffer();
    expect((await sharp(half).metadata()).hasAlpha).toBe(true);
    const img = await decodeImage(half);
    expect(pixel(img, 1, 5)).toEqual([0, 0, 255]);
    expect(pixel(img, 8, 5)).toEqual([255, 255, 255]);
  });

  it('takes the first frame of an animation', async () => {
    const frame = (c: typeof RED) =>
      sharp({ create: { width: 10, height: 8, channels: 3, background: c } })
        .png()
        .toBuffer();
    const gif = await sharp([await frame(RED), await frame(BLUE)], { join: { animated: true } })
      .gif()
      .toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const img = await decodeImage(gif);
    expect([img.width, img.height]).toEqual([10, 8]);
    expectNear(pixel(img, 5, 4), [255, 0, 0], 10);
  });

  it('refuses empty, non-image and truncated bytes as IMAGE_UNREADABLE', async () => {
    const empty = await failure(decodeImage(Buffer.alloc(0)));
    expect([empty.code, empty.message]).toEqual(['IMAGE_UNREADABLE', 'The image is empty (0 bytes)']);
    const text = await failure(decodeImage(Buffer.from('<html>not an image</html>')));
    expect(text.code).toBe('IMAGE_UNREADABLE');
    expect(text.message).toContain('not an image in a supported format');
    const jpeg = await noisyJpeg();
    const truncated = await failure(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2))));
    expect(truncated.code).toBe('IMAGE_UNREADABLE');
    expect(truncated.message).toContain('truncated');
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
      .png()
      .toBuffer();
    expect((await failure(decodeImage(png.subarray(0, Math.floor(png.length / 2))))).code).toBe('IMAGE_UNREADABLE');
  });

  it('refuses a pixel bomb from its declared size, and honours maxPixels', async () => {
    const bomb = pixelBombPng(30_000, 30_000);
    expect(bomb.length).toBeLessThan(1024);
    const e = await failure(decodeImage(bomb));
    expect(e.code).toBe('IMAGE_TOO_LARGE');
    expect(e.message).toBe('The image declares 30000 × 30000 = 900000000 pixels, over the limit of 50000000 pixels');
    const small = await solidPng(100, 100);
    expect((await failure(decodeImage(small, { maxPixels: 9_999 }))).code).toBe('IMAGE_TOO_LARGE');
    expect((await decodeImage(small, { maxPixels: 10_000 })).width).toBe(100);
  });

  it('refuses SVG, with or without an XML prolog', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="http://169.254.169.254/x"/></svg>';
    for (const text of [svg, `\ufeff<?xml version="1.0"?>\n${svg}`]) {
      const e = await failure(decodeImage(Buffer.from(text)));
      expect(e.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('checks its arguments with the standard message', async () => {
    const e = await failure(decodeImage('x' as unknown as Buffer));
    expect(e.message).toBe('Expected a Buffer or Uint8Array for bytes but received "x" of type string');
    const m = await failure(decodeImage(Buffer.from([1]), { maxPixels: 0 }));
    expect(m.message).toBe('Expected a positive integer for maxPixels but received 0 of type number');
  });
});

describe('shrink-on-load (decodeImage size, inspectImage)', () => {
  it('reads the upright size from the header without decoding, EXIF turns included', async () => {
    const stored = await (await redLeftBlueRight(40, 20)).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    expect(await inspectImage(stored)).toEqual({ width: 20, height: 40, streams: true });
    expect(await inspectImage(await solidPng(7, 3, BLUE))).toEqual({ width: 7, height: 3, streams: true });
  });

  it('decodes straight to the asked upright size, oriented first (red stays on top)', async () => {
    const stored = await (await redLeftBlueRight(400, 200)).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(stored, { size: { width: 50, height: 100 } });
    expect([img.width, img.height, img.data.length]).toEqual([50, 100, 50 * 100 * 3]);
    expectNear(pixel(img, 25, 10), [255, 0, 0], 40);
    expectNear(pixel(img, 25, 90), [0, 0, 255], 40);
  });

  it('refuses a size larger than the image or not whole pixels, with the message template', async () => {
    const png = await solidPng(20, 10, RED);
    const big = await failure(decodeImage(png, { size: { width: 21, height: 10 } }));
    expect(big.message).toBe('Expected a size within 20 × 10 for size but received {"width":21,"height":10} of type object');
    expect((await failure(decodeImage(png, { size: { width: 2.5, height: 1 } }))).code).toBe('INVALID_INPUT');
  });

  it('still applies the pixel limit to the declared size, not the decoded one', async () => {
    const e = await failure(decodeImage(await solidPng(100, 100, RED), { maxPixels: 9_999, size: { width: 10, height: 10 } }));
    expect(e.code).toBe('IMAGE_TOO_LARGE');
  });

  it('charges a non-streaming format (interlaced PNG, GIF) its full size whatever the decode size', async () => {
    const interlaced = await sharp({ create: { width: 300, height: 200, channels: 3, background: RED } })
      .png({ progressive: true })
      .toBuffer();
    const header = await inspectImage(interlaced);
    expect(header.streams).toBe(false);
    expect(decodeBytes(header, { width: 30, height: 20 })).toBe(300 * 200 * 4);
    const plain = await inspectImage(await solidPng(300, 200, RED));
    expect(decodeBytes(plain, { width: 30, height: 20 })).toBe(30 * 20 * 3);
    const gif = await sharp({ create: { width: 30, height: 20, channels: 3, background: RED } })
      .gif()
      .toBuffer();
    expect((await inspectImage(gif)).streams).toBe(false);
  });
});
