// PP-OCRv4 through Loupe's own pre/post-processing (src/models/ocr-model.ts, native/core/ocr.cc) on text rendered
// with the machine's fonts: exact text of a clean line, boxes in original pixels, rotated and upside-down text,
// EXIF-oriented input, a document layout, scripts the recognizer cannot read, no text, and the per-image cap.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNSUPPORTED_SCRIPT_NOTE } from '../../src/domain/ocr.js';
import { inspectModelFolder } from '../../src/models/inspect.js';
import { OcrModel, readable } from '../../src/models/ocr-model.js';
import { decodeImage } from '../../src/repositories/image-decoder.js';
import { iou } from '../helpers/images.js';
import { inkBox, renderText, wordBoxes } from '../helpers/text-images.js';

const DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../models/pp-ocrv4');
let model: OcrModel;

beforeAll(async () => {
  model = await OcrModel.load(DIR, { intraOpThreads: 2 });
});
afterAll(() => model?.release());

describe('OcrModel (pp-ocrv4)', () => {
  it('reads a rendered line exactly, with its box and each word box on the ink', async () => {
    const line = { text: 'Hello world from Loupe', x: 40, y: 120, size: 40 };
    const image = await renderText(700, 200, [line]);
    const r = await model.read(image);
    expect(r.lines.map((l) => l.text)).toEqual(['Hello world from Loupe']);
    expect(r.lines[0]!.confidence).toBeGreaterThan(0.9);
    expect(iou(r.lines[0]!.box, inkBox(image)!)).toBeGreaterThan(0.6);
    const truth = await wordBoxes(700, 200, line);
    expect(r.lines[0]!.words.map((w) => w.text)).toEqual(truth.map((w) => w.text));
    r.lines[0]!.words.forEach((w, i) => expect(iou(w.box, truth[i]!.box), w.text).toBeGreaterThan(0.5));
  });

  it('reports boxes in original pixels when the image was decoded smaller', async () => {
    const big = await renderText(1400, 400, [{ text: 'Quarterly report', x: 80, y: 240, size: 80 }]);
    const { data, info } = await sharp(Buffer.from(big.data), { raw: { width: 1400, height: 400, channels: 3 } })
      .resize(700, 200)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const small = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 as const };
    const r = await model.read(small, { width: 1400, height: 400 });
    expect(r.lines.map((l) => l.text)).toEqual(['Quarterly report']);
    expect(iou(r.lines[0]!.box, inkBox(big)!)).toBeGreaterThan(0.6);
  });

  it('reads rotated and upside-down lines; the box follows the rotation', async () => {
    const rotated = await renderText(600, 400, [{ text: 'Bakery open daily', x: 130, y: 300, size: 40, angle: -25 }]);
    const r = await model.read(rotated);
    expect(r.lines.map((l) => l.text)).toEqual(['Bakery open daily']);
    expect(iou(r.lines[0]!.box, inkBox(rotated)!)).toBeGreaterThan(0.6);
    // The quad's top edge runs along the text (25° up to the right).
    const q = r.lines[0]!.quad;
    expect((Math.atan2(q[1]! - q[3]!, q[2]! - q[0]!) * 180) / Math.PI).toBeCloseTo(25, -1);
    const flipped = await renderText(600, 200, [{ text: 'Emergency exit', x: 450, y: 80, size: 40, angle: 180 }]);
    const f = await model.read(flipped);
    expect(f.lines.map((l) => l.text)).toEqual(['Emergency exit']);
    // Upside down, "Emergency" is on the right.
    const [emergency, exit] = f.lines[0]!.words;
    expect(emergency!.text).toBe('Emergency');
    expect(emergency!.box.x1).toBeGreaterThan(exit!.box.x1);
  });

  it('reads an EXIF-rotated photo in upright pixels', async () => {
    const upright = await renderText(640, 240, [{ text: 'Platform 9', x: 60, y: 150, size: 64 }]);
    // Stored turned 90° clockwise... and tagged so that a viewer turns it back (orientation 8 = rotate 270° to view).
    const stored = await sharp(Buffer.from(upright.data), { raw: { width: 640, height: 240, channels: 3 } })
      .rotate(90)
      .withMetadata({ orientation: 8 })
      .jpeg({ quality: 95 })
      .toBuffer();
    const decoded = await decodeImage(stored);
    expect([decoded.width, decoded.height]).toEqual([640, 240]);
    const r = await model.read(decoded);
    expect(r.lines.map((l) => l.text)).toEqual(['Platform 9']);
    expect(iou(r.lines[0]!.box, inkBox(upright)!)).toBeGreaterThan(0.6);
  });

  it('finds both the "Invoice" heading and the "Total" line of a document layout', async () => {
    const image = await renderText(800, 600, [
      { text: 'Invoice', x: 40, y: 80, size: 48, weight: 'bold' },
      { text: 'Item one   12.00', x: 40, y: 160, size: 20, font: 'DejaVu Serif' },
      { text: 'Item two   30.50', x: 40, y: 200, size: 20, font: 'DejaVu Serif' },
      { text: 'Total 42.50', x: 480, y: 520, size: 32 },
    ]);
    const r = await model.read(image);
    const words = r.lines.flatMap((l) => l.words.map((w) => w.text));
    expect(words).toContain('Invoice');
    expect(words).toContain('Total');
    const total = r.lines.find((l) => l.text.startsWith('Total'))!;
    expect(total.box.x1).toBeGreaterThan(470);
    expect(total.box.y1).toBeGreaterThan(480);
  });

  it('reports scripts outside the character list as skipped regions with a note, never as text', async () => {
    for (const text of ['مرحبا بالعالم', 'Γειά σου κόσμε', 'हैलो दुनिया', 'Привет мир', 'שלום עולם']) {
      const r = await model.read(await renderText(700, 200, [{ text, x: 60, y: 120, size: 40 }]));
      expect(r.lines, text).toEqual([]);
      expect(r.skipped.length, text).toBeGreaterThan(0);
      expect(r.skipped[0]!.note).toBe(UNSUPPORTED_SCRIPT_NOTE);
    }
  });

  it('returns nothing for an image without text, and caps the lines it reads', async () => {
    const blank = await model.read(await renderText(400, 300, []));
    expect(blank).toEqual({ lines: [], skipped: [], found: 0, capped: null });
    const many = await renderText(
      600,
      600,
      Array.from({ length: 10 }, (_, i) => ({ text: `Line number ${i + 1}`, x: 30, y: 50 + i * 55, size: 28 })),
    );
    const all = await model.read(many);
    expect(all.lines.length).toBe(10);
    const capped = await model.read(many, many, { maxLines: 4 });
    expect(capped.lines.length).toBe(4);
    expect(capped.capped).toMatch(/^10 text regions found; only the 4 largest were read/);
    await expect(model.read(many, many, { maxLines: 0 })).rejects.toThrow('Expected an integer from 1 to 10000 for maxLines but received 0');
  });

  it('readable(): the rules that keep garbage out', () => {
    const p = (n: number, v = 0.99) => new Array(n).fill(v);
    expect(readable('Total 42.50', p(11), 0.99, 5, 0.5)).toBe(true);
    expect(readable('L', p(1), 0.7, 4, 0.5)).toBe(false); // one letter for a box four heights wide
    expect(readable('pИBeT', p(5), 0.9, 3, 0.5)).toBe(false); // Latin and Cyrillic in one word
    expect(readable('D7IV', p(4, 0.8), 0.8, 2, 0.5)).toBe(false);
    expect(readable('A4B2', p(4), 0.95, 2, 0.5)).toBe(true); // a code read with confidence
    expect(readable('Hello', [0.3, 0.4, 0.99, 0.99, 0.99], 0.73, 2, 0.5)).toBe(false);
    expect(readable('   ', p(3), 0.99, 1, 0.5)).toBe(false);
  });

  it('meets the ppocr folder contract (what `loupe models list` checks)', async () => {
    const report = await inspectModelFolder(DIR);
    expect(report.ok, report.error).toBe(true);
    expect(report.kind).toBe('ppocr');
    expect(report.onnx.map((o) => [o.file, o.inputs])).toEqual([
      ['onnx/det.onnx', ['x']],
      ['onnx/cls.onnx', ['x']],
      ['onnx/rec.onnx', ['x']],
    ]);
  });

  it('refuses a folder that is not a ppocr model', async () => {
    await expect(OcrModel.load(resolve(DIR, '../color-clip'))).rejects.toThrow('config.json model_type is "clip", expected "ppocr"');
  });
});
