// The hostile-input corpus: broken, malicious and unusual image files, each with the outcome Loupe must give when
// it is indexed. `npx tsx test/hostile/make-corpus.ts <folder>` writes the files and a manifest.json; the corpus
// test builds it in memory. Builds on test/io/fixtures.ts (pixel bomb PNG, noisy JPEG).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { noisyJpeg, pixelBombPng } from '../io/fixtures.js';

export type Outcome = 'ok' | 'IMAGE_UNREADABLE' | 'IMAGE_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE';

export interface CorpusCase {
  name: string;
  group: 'broken' | 'bomb' | 'svg' | 'animated' | 'unusual' | 'exif';
  bytes: Buffer;
  /** The Content-Type a well-behaved server would send. */
  type: string;
  expect: Outcome;
  /** For images that must work: their upright size, and where the red block is in upright pixels. */
  upright?: { width: number; height: number; red: { x1: number; y1: number; x2: number; y2: number } };
}

/** Upright test picture for orientation cases: 150 × 90, white, a red block filling the top-left cell of a 3 × 3 grid. */
export const UPRIGHT = { width: 150, height: 90, red: { x1: 0, y1: 0, x2: 50, y2: 30 } };

async function upright(): Promise<Buffer> {
  const { width, height, red } = UPRIGHT;
  const block = await sharp({ create: { width: red.x2 - red.x1, height: red.y2 - red.y1, channels: 3, background: { r: 225, g: 25, b: 25 } } })
    .png()
    .toBuffer();
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([{ input: block, left: red.x1, top: red.y1 }])
    .png()
    .toBuffer();
}

async function noise(width: number, height: number): Promise<Sharp> {
  const raw = await sharp({ create: { width, height, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
    .raw()
    .toBuffer();
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

const half = (b: Buffer) => b.subarray(0, Math.floor(b.length / 2));

/** Overwrites `count` bytes from `at` with a pattern (keeps the header, ruins the data). */
function scribble(b: Buffer, at: number, count: number): Buffer {
  const out = Buffer.from(b);
  for (let i = at; i < Math.min(out.length, at + count); i++) out[i] = (i * 7919) & 0xff;
  return out;
}

/** Rewrites the first JPEG SOFn frame header to declare width × height. */
function jpegDeclaring(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i + 9 < out.length;) {
    if (out[i] !== 0xff) throw new Error('not a JPEG marker');
    const marker = out[i + 1]!;
    const len = out.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + len;
  }
  throw new Error('no SOF marker');
}

/** Rewrites a GIF's logical screen and first image descriptor to width × height. */
function gifDeclaring(gif: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(gif);
  out.writeUInt16LE(width, 6);
  out.writeUInt16LE(height, 8);
  const flags = out[10]!;
  let i = 13 + (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
  while (i < out.length && out[i] === 0x21) {
    i += 2;
    while (out[i]! !== 0) i += out[i]! + 1;
    i += 1;
  }
  if (out[i] === 0x2c) {
    out.writeUInt16LE(width, i + 5);
    out.writeUInt16LE(height, i + 7);
  }
  return out;
}

/** A lossy WebP whose VP8 frame header declares width × height (14 bits each). */
function webpDeclaring(webp: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(webp);
  const at = out.indexOf('VP8 ', 12, 'latin1');
  if (at < 0) throw new Error('no VP8 chunk');
  // chunk header (8) + frame tag (3) + start code (3), then width and height.
  out.writeUInt16LE(width & 0x3fff, at + 14);
  out.writeUInt16LE(height & 0x3fff, at + 16);
  return out;
}

/** Stored pixels that display as `up` once EXIF orientation `o` is applied. */
async function storedFor(up: Buffer, o: number): Promise<Buffer> {
  const step = async (b: Buffer, f: (s: Sharp) => Sharp) => f(sharp(b)).png().toBuffer();
  switch (o) {
    case 2:
      return step(up, (s) => s.flop());
    case 3:
      return step(up, (s) => s.rotate(180));
    case 4:
      return step(up, (s) => s.flip());
    case 5:
      return step(await step(up, (s) => s.rotate(90)), (s) => s.flop());
    case 6:
      return step(up, (s) => s.rotate(270));
    case 7:
      return step(await step(up, (s) => s.rotate(270)), (s) => s.flop());
    case 8:
      return step(up, (s) => s.rotate(90));
    default:
      return up;
  }
}

export async function makeCorpus(): Promise<CorpusCase[]> {
  const cases: CorpusCase[] = [];
  const add = (c: CorpusCase) => cases.push(c);
  const jpeg = await noisyJpeg(128, 96);
  const png = await (await noise(64, 48)).png().toBuffer();
  const webp = await (await noise(64, 48)).webp({ quality: 80 }).toBuffer();
  const gif = await (await noise(64, 48)).gif().toBuffer();

  // Broken files.
  add({ name: 'zero-bytes.jpg', group: 'broken', bytes: Buffer.alloc(0), type: 'image/jpeg', expect: 'IMAGE_UNREADABLE' });
  add({ name: 'truncated.jpg', group: 'broken', bytes: half(jpeg), type: 'image/jpeg', expect: 'IMAGE_UNREADABLE' });
  add({ name: 'truncated.png', group: 'broken', bytes: half(png), type: 'image/png', expect: 'IMAGE_UNREADABLE' });
  add({ name: 'truncated.webp', group: 'broken', bytes: half(webp), type: 'image/webp', expect: 'IMAGE_UNREADABLE' });
  add({ name: 'truncated.gif', group: 'broken', bytes: half(gif), type: 'image/gif', expect: 'IMAGE_UNREADABLE' });
  add({ name: 'corrupt.jpg', group: 'broken', bytes: scribble(jpeg, Math.floor(jpeg.length / 3), 400), type: 'image/jpeg', expect: 'IMAGE_UNREADABLE' });
  add({ name: 'corrupt.png', group: 'broken', bytes: scribble(png, 60, 200), type: 'image/png', expect: 'IMAGE_UNREADABLE' });
  // VP8 and GIF's LZW data carry no checksum: scribbled pixel data decodes to other pixels (documented result: indexed).
  add({ name: 'corrupt.webp', group: 'broken', bytes: scribble(webp, 40, 200), type: 'image/webp', expect: 'ok' });
  add({ name: 'corrupt.gif', group: 'broken', bytes: scribble(gif, 30, 200), type: 'image/gif', expect: 'ok' });
  add({ name: 'corrupt-header.webp', group: 'broken', bytes: scribble(webp, 12, 16), type: 'image/webp', expect: 'IMAGE_UNREADABLE' });
  add({ name: 'corrupt-header.gif', group: 'broken', bytes: scribble(gif, 6, 8), type: 'image/gif', expect: 'IMAGE_UNREADABLE' });
  add({ name: 'jpeg-header-only.jpg', group: 'broken', bytes: jpeg.subarray(0, 4), type: 'image/jpeg', expect: 'IMAGE_UNREADABLE' });
  add({
    name: 'html-as.png',
    group: 'broken',
    bytes: Buffer.from('<!doctype html><title>not an image</title>'),
    type: 'image/png',
    expect: 'IMAGE_UNREADABLE',
  });
  add({ name: 'svgz.svg', group: 'broken', bytes: gzipSync('<svg xmlns="http://www.w3.org/2000/svg"/>'), type: 'image/svg+xml', expect: 'IMAGE_UNREADABLE' });

  // Pixel bombs: huge declared dimensions in tiny files.
  add({ name: 'bomb-30000x30000.png', group: 'bomb', bytes: pixelBombPng(30_000, 30_000), type: 'image/png', expect: 'IMAGE_TOO_LARGE' });
  add({
    name: 'bomb-65000x65000.jpg',
    group: 'bomb',
    bytes: jpegDeclaring(
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
        .jpeg()
        .toBuffer(),
      65_000,
      65_000,
    ),
    type: 'image/jpeg',
    expect: 'IMAGE_TOO_LARGE',
  });
  add({
    name: 'bomb-65535x65535.gif',
    group: 'bomb',
    bytes: gifDeclaring(
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
        .gif()
        .toBuffer(),
      65_535,
      65_535,
    ),
    type: 'image/gif',
    expect: 'IMAGE_TOO_LARGE',
  });
  add({
    name: 'bomb-16383x16383.webp',
    group: 'bomb',
    bytes: webpDeclaring(
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
        .webp({ quality: 50 })
        .toBuffer(),
      16_383,
      16_383,
    ),
    type: 'image/webp',
    expect: 'IMAGE_TOO_LARGE',
  });
  // Just under the 50-megapixel limit: a few hundred KB that decode to 147 MB of pixels. Must work, memory bounded.
  add({
    name: 'heavy-7000x7000.png',
    group: 'bomb',
    bytes: await sharp({ create: { width: 7000, height: 7000, channels: 3, background: '#ffffff' } })
      .png({ compressionLevel: 9 })
      .toBuffer(),
    type: 'image/png',
    expect: 'ok',
  });

  // SVG: external references, scripts, entities. Refused whatever they hold.
  const svgs: Record<string, string> = {
    'svg-external-image.svg':
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64"><image xlink:href="http://169.254.169.254/latest/meta-data/" width="64" height="64"/></svg>',
    'svg-script.svg':
      '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" onload="fetch(\'http://127.0.0.1:1/\')"><script>alert(1)</script><rect width="64" height="64" fill="red"/></svg>',
    'svg-xxe.svg':
      '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><text y="20">&x;</text></svg>',
    'svg-file-href.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><image href="file:///etc/hostname" width="64" height="64"/></svg>',
  };
  for (const [name, text] of Object.entries(svgs))
    add({ name, group: 'svg', bytes: Buffer.from(text), type: 'image/svg+xml', expect: 'UNSUPPORTED_MEDIA_TYPE' });

  // Animated: the first frame is indexed.
  const up = await upright();
  const blue = await sharp({ create: { width: UPRIGHT.width, height: UPRIGHT.height, channels: 3, background: '#2040e0' } })
    .png()
    .toBuffer();
  add({
    name: 'animated.gif',
    group: 'animated',
    bytes: await sharp([up, blue], { join: { animated: true } })
      .gif()
      .toBuffer(),
    type: 'image/gif',
    expect: 'ok',
    upright: UPRIGHT,
  });
  add({
    name: 'animated.webp',
    group: 'animated',
    bytes: await sharp([up, blue], { join: { animated: true } })
      .webp({ lossless: true })
      .toBuffer(),
    type: 'image/webp',
    expect: 'ok',
    upright: UPRIGHT,
  });

  // Valid but unusual encodings.
  add({
    name: 'cmyk.jpg',
    group: 'unusual',
    bytes: await sharp(up).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer(),
    type: 'image/jpeg',
    expect: 'ok',
    upright: UPRIGHT,
  });
  add({
    name: '16-bit.png',
    group: 'unusual',
    bytes: await sharp(up).toColourspace('rgb16').png().toBuffer(),
    type: 'image/png',
    expect: 'ok',
    upright: UPRIGHT,
  });
  add({ name: 'greyscale.png', group: 'unusual', bytes: await sharp(up).toColourspace('b-w').png().toBuffer(), type: 'image/png', expect: 'ok' });
  add({ name: 'greyscale.jpg', group: 'unusual', bytes: await sharp(up).toColourspace('b-w').jpeg().toBuffer(), type: 'image/jpeg', expect: 'ok' });
  add({ name: 'alpha.png', group: 'unusual', bytes: await sharp(up).ensureAlpha(0.5).png().toBuffer(), type: 'image/png', expect: 'ok', upright: UPRIGHT });
  add({
    name: 'alpha.webp',
    group: 'unusual',
    bytes: await sharp(up).ensureAlpha(0.5).webp({ lossless: true }).toBuffer(),
    type: 'image/webp',
    expect: 'ok',
    upright: UPRIGHT,
  });
  add({ name: 'image.tiff', group: 'unusual', bytes: await sharp(up).tiff().toBuffer(), type: 'image/tiff', expect: 'ok', upright: UPRIGHT });
  add({
    name: 'one-pixel.png',
    group: 'unusual',
    bytes: await sharp({ create: { width: 1, height: 1, channels: 3, background: '#e01919' } })
      .png()
      .toBuffer(),
    type: 'image/png',
    expect: 'ok',
  });
  add({
    name: 'sliver-4000x1.png',
    group: 'unusual',
    bytes: await sharp({ create: { width: 4000, height: 1, channels: 3, background: '#e01919' } })
      .png()
      .toBuffer(),
    type: 'image/png',
    expect: 'ok',
  });

  // EXIF orientations 1-8: stored sideways or mirrored, upright once oriented; boxes must be in upright pixels.
  for (let o = 1; o <= 8; o++) {
    const stored = await sharp(await storedFor(up, o))
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: o })
      .toBuffer();
    add({ name: `exif-orientation-${o}.jpg`, group: 'exif', bytes: stored, type: 'image/jpeg', expect: 'ok', upright: UPRIGHT });
  }
  return cases;
}

// CLI: write the corpus to a folder.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: npx tsx test/hostile/make-corpus.ts <folder>\n');
    process.exit(2);
  }
  const cases = await makeCorpus();
  mkdirSync(dir, { recursive: true });
  for (const c of cases) writeFileSync(join(dir, c.name), c.bytes);
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify(
      cases.map(({ bytes, ...c }) => ({ ...c, bytes: bytes.length })),
      null,
      2,
    ),
  );
  process.stderr.write(`wrote ${cases.length} files to ${dir}\n`);
}
