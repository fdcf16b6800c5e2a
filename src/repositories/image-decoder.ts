// Decodes untrusted image bytes into upright 8-bit sRGB RGB with sharp, under a pixel limit checked on the declared
// dimensions before any pixel is decoded.
//
// Choices:
// - Only raster formats recognised by their signature reach sharp (JPEG, PNG, GIF, WebP, TIFF, AVIF/HEIF). SVG is
//   refused (UNSUPPORTED_MEDIA_TYPE): rendering it is a parser and resource-loading surface we do not need, and
//   librsvg's guarantees about external references are not something we test. Anything else is IMAGE_UNREADABLE.
// - failOn 'warning' (sharp's default, kept explicit): truncated or corrupt data fails instead of yielding a
//   half-grey image whose embeddings would silently be wrong.
// - sharp.concurrency(1): libvips threads per image. Loupe gets its parallelism from decoding several images at once
//   (the caller's limiter, on libuv's pool) while ONNX Runtime wants the cores for inference; extra libvips threads
//   per image would only oversubscribe small machines. sharp.cache(false): every input is new, so libvips'
//   operation cache would only keep decoded pixels alive. Both are set once, on first use, as sharp's state is global.
import sharp from 'sharp';
import type { Metadata } from 'sharp';
import type { DecodedImage } from '../domain/types.js';
import { LoupeError, invalidArgument } from '../domain/errors.js';
import { sniffImageType } from './media-type.js';

export const DEFAULT_MAX_PIXELS = 50_000_000;

export interface DecodeOptions {
  /** Largest accepted width × height (of the first frame), checked before decoding. */
  maxPixels?: number;
  /** Decode straight to this upright size (each side at most the image's own); default: full size. */
  size?: { width: number; height: number };
}

const DECODABLE = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/tiff', 'image/avif', 'image/heif']);
const WHITE = { r: 255, g: 255, b: 255 };

let sharpConfigured = false;
function configureSharp(): void {
  if (sharpConfigured) return;
  sharp.concurrency(1);
  sharp.cache(false);
  sharpConfigured = true;
}

function unreadable(message: string, cause?: unknown): LoupeError {
  return new LoupeError('IMAGE_UNREADABLE', message, cause === undefined ? undefined : { cause });
}

/** Turns a sharp/libvips error into a typed one with a message a user can act on. */
function decodeError(e: unknown): LoupeError {
  const message = e instanceof Error ? e.message : String(e);
  if (/exceeds pixel limit/i.test(message)) {
    return new LoupeError('IMAGE_TOO_LARGE', `The image is larger than the pixel limit (${message})`, { cause: e });
  }
  if (/unsupported image format/i.test(message)) {
    return unreadable('The bytes are not an image in a supported format', e);
  }
  if (/premature end|truncated|unexpected end|read error|not enough data|corrupt/i.test(message)) {
    return unreadable(`The image is truncated or corrupt: ${message.split('\n')[0]}`, e);
  }
  return unreadable(`The image could not be decoded: ${message.split('\n')[0]}`, e);
}

export interface ImageHeader {
  /** Upright (EXIF-oriented) size of the first frame, read from the header: what decodeImage returns at full size. */
  width: number;
  height: number;
  /**
   * Whether libvips can decode it row by row (baseline JPEG, non-interlaced PNG, WebP, TIFF), so that a shrinking
   * decode never holds the full-size pixels. Interlaced PNG, progressive JPEG, GIF and AVIF/HEIF are decoded whole.
   */
  streams: boolean;
}

/** Bytes a decode to `size` holds at its peak: the RGB output, or the full-size image when it cannot stream. */
export function decodeBytes(header: ImageHeader, size: { width: number; height: number } = header): number {
  const out = size.width * size.height * 3;
  return header.streams ? out : Math.max(out, header.width * header.height * 4);
}

/**
 * Reads and checks an image's header: type, dimensions and the pixel limit, without decoding any pixel. What the
 * caller learns here (the upright size) is what it needs to choose a decode size and to reserve memory for it.
 */
export async function inspectImage(bytes: Buffer | Uint8Array, options: DecodeOptions = {}): Promise<ImageHeader> {
  return (await readHeader(bytes, options)).header;
}

async function readHeader(bytes: Buffer | Uint8Array, options: DecodeOptions): Promise<{ header: ImageHeader; input: Buffer; maxPixels: number }> {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('a Buffer or Uint8Array', 'bytes', bytes);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isInteger(maxPixels) || maxPixels < 1) throw invalidArgument('a positive integer', 'maxPixels', maxPixels);
  if (bytes.byteLength === 0) throw unreadable('The image is empty (0 bytes)');

  const type = sniffImageType(bytes);
  if (type === 'image/svg+xml') {
    throw new LoupeError('UNSUPPORTED_MEDIA_TYPE', 'SVG images are not supported; convert them to PNG or JPEG first');
  }
  if (type === null || !DECODABLE.has(type)) {
    throw unreadable('The bytes are not an image in a supported format (JPEG, PNG, GIF, WebP, TIFF, AVIF)');
  }
  configureSharp();
  const input = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  let meta: Metadata;
  try {
    // Header only; the limit is applied below with a clearer message than sharp's.
    meta = await sharp(input, { failOn: 'warning', pages: 1, limitInputPixels: false }).metadata();
  } catch (e) {
    throw decodeError(e);
  }
  if (meta.format === 'svg') {
    throw new LoupeError('UNSUPPORTED_MEDIA_TYPE', 'SVG images are not supported; convert them to PNG or JPEG first');
  }
  const { width, height } = meta;
  if (!(width > 0 && height > 0)) throw unreadable('The image declares no dimensions');
  // With pages: 1, width × height are the first frame's; the limit is judged on what we would decode.
  if (width * height > maxPixels) {
    throw new LoupeError('IMAGE_TOO_LARGE', `The image declares ${width} × ${height} = ${width * height} pixels, over the limit of ${maxPixels} pixels`);
  }
  // EXIF orientations 5-8 turn the image by a quarter: the upright image has the sides swapped.
  const turned = (meta.orientation ?? 1) >= 5;
  const streams = !meta.isProgressive && ['jpeg', 'png', 'webp', 'tiff'].includes(meta.format ?? '');
  return { header: turned ? { width: height, height: width, streams } : { width, height, streams }, input, maxPixels };
}

/**
 * Decodes to upright 8-bit RGB. With `options.size` (upright pixels, at most the image's own size) the image is
 * shrunk while it loads: libvips streams the rows through the resize (JPEG even decodes at a fraction of its size),
 * so neither the full-size pixels nor their memory ever exist.
 */
export async function decodeImage(bytes: Buffer | Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const { header, input, maxPixels } = await readHeader(bytes, options);
  const size = options.size;
  if (size !== undefined) {
    const ok = (v: unknown, max: number) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;
    if (size === null || typeof size !== 'object' || !ok(size.width, header.width) || !ok(size.height, header.height)) {
      throw invalidArgument(`a size within ${header.width} × ${header.height}`, 'size', size);
    }
  }
  const shrink = size !== undefined && (size.width < header.width || size.height < header.height);
  try {
    let pipeline = sharp(input, {
      failOn: 'warning',
      limitInputPixels: maxPixels, // sharp's own guard, should the header and the data disagree
      autoOrient: true, // boxes live in the upright image's pixels; resize sizes are upright too
      pages: 1, // first frame of animations and multi-page files
      page: 0,
      sequentialRead: true,
    });
    if (shrink) pipeline = pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
    const { data, info } = await pipeline
      .flatten({ background: WHITE }) // alpha onto white; no-op without alpha
      .toColourspace('srgb') // CMYK, 16-bit, greyscale → 8-bit sRGB with 3 bands
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      throw unreadable(`The image decoded to ${info.channels} channels instead of RGB`);
    }
    return { data, width: info.width, height: info.height, channels: 3 };
  } catch (e) {
    if (e instanceof LoupeError) throw e;
    throw decodeError(e);
  }
}

/** sharp's header read and decode: the services' ImageDecoder port. */
export const sharpImageDecoder = { inspect: inspectImage, decode: decodeImage };
