// Text rendered with the machine's fonts (SVG through sharp/librsvg + fontconfig), and where its ink landed.
import sharp from 'sharp';
import type { Box, DecodedImage } from '../../src/domain/types.js';

export interface TextSpec {
  text: string;
  x: number;
  /** Baseline. */
  y: number;
  size: number;
  font?: string;
  weight?: 'normal' | 'bold';
  fill?: string;
  /** Degrees, clockwise, about (x, y). */
  angle?: number;
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function textSvg(width: number, height: number, lines: TextSpec[], background = 'white'): Buffer {
  const body = lines
    .map(
      (l) =>
        `<text x="${l.x}" y="${l.y}" font-family="${l.font ?? 'DejaVu Sans'}" font-size="${l.size}" font-weight="${l.weight ?? 'normal'}" fill="${l.fill ?? 'black'}"` +
        `${l.angle ? ` transform="rotate(${l.angle} ${l.x} ${l.y})"` : ''} xml:space="preserve">${escape(l.text)}</text>`,
    )
    .join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${background}"/>${body}</svg>`,
  );
}

export async function renderText(width: number, height: number, lines: TextSpec[], background = 'white'): Promise<DecodedImage> {
  const { data, info } = await sharp(textSvg(width, height, lines, background))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 };
}

/** Bounds of the pixels that differ from the top-left pixel (the background) by more than `tolerance`. */
export function inkBox(image: DecodedImage, tolerance = 60): Box | null {
  const { data, width, height } = image;
  let x1 = width,
    y1 = height,
    x2 = -1,
    y2 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const d = Math.abs(data[i]! - data[0]!) + Math.abs(data[i + 1]! - data[1]!) + Math.abs(data[i + 2]! - data[2]!);
      if (d > tolerance) {
        x1 = Math.min(x1, x);
        y1 = Math.min(y1, y);
        x2 = Math.max(x2, x + 1);
        y2 = Math.max(y2, y + 1);
      }
    }
  return x2 < 0 ? null : { x1, y1, x2, y2 };
}

/** Where each word of an unrotated line lands: the ink of the line up to and including the word, right of the ink before it. */
export async function wordBoxes(width: number, height: number, line: TextSpec): Promise<{ text: string; box: Box }[]> {
  const words = line.text.split(' ');
  const out: { text: string; box: Box }[] = [];
  for (let i = 0; i < words.length; i++) {
    const before = words.slice(0, i).join(' ') + (i ? ' ' : '');
    const img = await renderText(width, height, [{ ...line, text: before + words[i]! }]);
    const prefix = before ? await renderText(width, height, [{ ...line, text: before }]) : null;
    const full = inkBox(img)!;
    const pre = prefix ? inkBox(prefix) : null;
    out.push({ text: words[i]!, box: { ...full, x1: pre ? Math.max(full.x1, pre.x2) : full.x1 } });
  }
  return out;
}
