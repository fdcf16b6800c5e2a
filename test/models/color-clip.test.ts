// The shipped color-clip model through ClipModel: numpy reference, colour semantics, normalisation, batching.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../src/models/session.js';
import { ClipModel, inferenceStats, l2NormalizeRows, loadClipModel } from '../../src/models/clip-model.js';
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { BLUE, COLOR_CLIP, D, NAMES, RED, S, WHITE, batch, blockImage, dot, image, norm, reference, row, solid, withSquare, type Rgb } from './helpers.js';

let model: ClipModel;
beforeAll(async () => {
  model = await loadClipModel(COLOR_CLIP);
});
afterAll(async () => {
  await model.release();
});

const one = async (pixels: Float32Array) => model.embedImages(pixels, 1);
const text = async (t: string) => model.embedTexts([t]);

describe('color-clip model folder', () => {
  it('loads with the contract values of its config files', () => {
    expect(model.id).toMatch(/^color-clip@[0-9a-f]{12}$/);
    expect(model.name).toBe('color-clip');
    expect(model.dimension).toBe(D);
    expect(model.provider).toBe('cpu');
    expect(model.maxTextLength).toBe(64);
    expect(model.preprocessing).toEqual({
      size: S,
      mode: 'shortest-edge-center-crop',
      mean: [0.48145466, 0.4578275, 0.40821073],
      std: [0.26862954, 0.26130258, 0.27577711],
      rescale: 1 / 255,
      resample: 'bicubic',
    });
  });

  it('has the same id when loaded again', async () => {
    const again = await loadClipModel(COLOR_CLIP);
    expect(again.id).toBe(model.id);
    await again.release();
  });

  it('runs in onnxruntime-node exactly like the numpy reference of its generator', async () => {
    const ref = reference();
    expect(ref.size).toBe(S);
    const { session } = await createSession(join(COLOR_CLIP, 'onnx/vision_model.onnx'));
    const pixels = batch(ref.images.map((im) => blockImage(im.blocks8x8)));
    const raw = (await session.run({ pixel_values: new ort.Tensor('float32', pixels, [ref.images.length, 3, S, S]) })).image_embeds!.data as Float32Array;
    const expected = Float32Array.from(ref.images.flatMap((im) => im.image_embeds));
    // float32 averaging over 4096 pixels vs float64: agree to ~1e-5
    for (let i = 0; i < expected.length; i++) expect(raw[i]).toBeCloseTo(expected[i]!, 4);
    await session.release();
    // ClipModel = the same outputs, L2-normalised
    const embedded = await model.embedImages(pixels, ref.images.length);
    const normalised = l2NormalizeRows(expected.slice(), D);
    for (let i = 0; i < normalised.length; i++) expect(embedded[i]).toBeCloseTo(normalised[i]!, 4);
  });

  it('tokenizes and embeds texts like the numpy reference', async () => {
    const ref = reference();
    const embedded = await model.embedTexts(ref.texts.map((t) => t.text));
    const expected = l2NormalizeRows(Float32Array.from(ref.texts.flatMap((t) => t.text_embeds)), D);
    expect(Array.from(embedded)).toEqual(Array.from(expected).map((v) => expect.closeTo(v, 6)));
  });
});

describe('colour semantics', () => {
  it('scores a red image far above a blue one for the text "red", and the reverse for "blue"', async () => {
    const [red, blue, qRed, qBlue] = [await one(solid(RED)), await one(solid(BLUE)), await text('red'), await text('blue')];
    expect(dot(qRed, red)).toBeGreaterThan(0.95);
    expect(dot(qRed, blue)).toBeLessThan(0.05);
    expect(dot(qBlue, blue)).toBeGreaterThan(0.95);
    expect(dot(qBlue, red)).toBeLessThan(0.05);
  });

  it('scores a crop filled with red above a whole image holding a small red square', async () => {
    const q = await text('red');
    const cell = dot(q, await one(solid(RED)));
    const whole = dot(q, await one(withSquare(WHITE, RED, 8))); // 1/64 of the pixels
    const half = dot(q, await one(image((x) => (x < S / 2 ? RED : WHITE))));
    expect(cell).toBeGreaterThan(0.99);
    expect(whole).toBeGreaterThan(0);
    expect(whole).toBeLessThan(0.05);
    expect(half).toBeCloseTo(Math.SQRT1_2, 2); // equal red and white shares
  });

  it('names the twelve colours of its palette', async () => {
    const samples: Record<string, Rgb> = {
      red: [230, 20, 20], orange: [250, 140, 20], yellow: [250, 230, 30], green: [40, 170, 70], cyan: [20, 200, 215],
      blue: [30, 60, 220], purple: [135, 45, 220], pink: [240, 110, 180], brown: [135, 90, 45], white: [252, 252, 252],
      gray: [128, 128, 128], black: [10, 10, 10],
    };
    const images = await model.embedImages(batch(NAMES.map((n) => solid(samples[n]!))), NAMES.length);
    const texts = await model.embedTexts(NAMES);
    NAMES.forEach((n, i) => {
      const scores = NAMES.map((_, j) => dot(row(texts, i), row(images, j)));
      expect(scores.indexOf(Math.max(...scores)), n).toBe(i);
      expect(scores[i], n).toBeGreaterThan(0.99);
    });
  });

  it('maps synonyms to their colour and ignores case and punctuation', async () => {
    const pairs: [string, string][] = [['violet', 'purple'], ['grey', 'gray'], ['Crimson', 'red'], ['NAVY', 'blue'], ['turquoise!', 'cyan'], ['silver', 'gray']];
    for (const [synonym, colour] of pairs) expect(Array.from(await text(synonym)), synonym).toEqual(Array.from(await text(colour)));
    expect(Array.from(await text('a photo of a red car'))).toEqual(Array.from(await text('red')));
  });

  it('embeds a text with two colours halfway between them', async () => {
    const v = await text('red and blue');
    expect(dot(v, await text('red'))).toBeCloseTo(Math.SQRT1_2, 5);
    expect(dot(v, await text('blue'))).toBeCloseTo(Math.SQRT1_2, 5);
  });

  it('embeds texts with no known word (and the empty text) to the zero vector, never NaN', async () => {
    const v = await model.embedTexts(['a photo of a dog', '', 'zebra', '   ', '🙂']);
    expect(v.length).toBe(5 * D);
    expect(Array.from(v).every((x) => x === 0)).toBe(true);
  });
});

describe('embeddings', () => {
  it('are L2-normalised rows', async () => {
    const images = await model.embedImages(batch([solid(RED), withSquare(WHITE, BLUE, 20), image((x, y) => [x * 4, y * 4, 128])]), 3);
    const texts = await model.embedTexts(['red', 'grey grey blue', 'violet, teal and crimson']);
    for (let i = 0; i < 3; i++) {
      expect(norm(row(images, i))).toBeCloseTo(1, 5);
      expect(norm(row(texts, i))).toBeCloseTo(1, 5);
    }
  });

  it('are the same in batches as one by one', async () => {
    const small = await loadClipModel(COLOR_CLIP, { maxBatchSize: 2 });
    try {
      const ims = [solid(RED), withSquare(WHITE, BLUE, 20), image((x, y) => [x * 4, y * 4, 128]), solid([10, 200, 30]), withSquare(BLUE, RED, 40)];
      const all = await small.embedImages(batch(ims), ims.length);
      const big = await model.embedImages(batch(ims), ims.length);
      for (let i = 0; i < ims.length; i++) {
        const single = await model.embedImages(ims[i]!, 1);
        expect(Array.from(row(all, i))).toEqual(Array.from(single).map((v) => expect.closeTo(v, 6)));
        expect(Array.from(row(big, i))).toEqual(Array.from(single).map((v) => expect.closeTo(v, 6)));
      }
      const texts = ['red', 'a very long text about a grey and violet sky over a green field', '', 'blue', 'pink pink'];
      const tAll = await small.embedTexts(texts);
      for (let i = 0; i < texts.length; i++) expect(Array.from(row(tAll, i))).toEqual(Array.from(await text(texts[i]!)));
      expect(small.inference.runs).toBe(6); // 3 image batches + 3 text batches
    } finally {
      await small.release();
    }
  });

  it('handles empty inputs without running the model', async () => {
    expect((await model.embedImages(new Float32Array(0), 0)).length).toBe(0);
    expect((await model.embedTexts([])).length).toBe(0);
  });

  it('counts inference runs and time, per model and for the process', async () => {
    const before = inferenceStats();
    const mine = model.inference;
    await model.embedImages(solid(RED), 1);
    await model.embedTexts(['red']);
    expect(inferenceStats().runs).toBe(before.runs + 2);
    expect(inferenceStats().totalMs).toBeGreaterThan(before.totalMs);
    expect(model.inference.runs).toBe(mine.runs + 2);
  });

  it('checks its arguments with the one message template', async () => {
    await expect(model.embedImages(new Float32Array(10), 1)).rejects.toThrow(
      `Expected n*3*${S}*${S} = ${3 * S * S} values for pixels.length but received 10 of type number`,
    );
    await expect(model.embedImages(solid(RED), 1.5)).rejects.toThrow('Expected an integer from 0 to 1048576 for n but received 1.5 of type number');
    await expect(model.embedImages([1, 2] as unknown as Float32Array, 0)).rejects.toThrow('Expected a Float32Array for pixels but received [1,2] of type array');
    await expect(model.embedTexts('red' as unknown as string[])).rejects.toThrow('for texts but received "red" of type string');
    await expect(model.embedTexts(['red', 3 as unknown as string])).rejects.toThrow('Expected a string for texts[1] but received 3 of type number');
    await expect(loadClipModel(COLOR_CLIP, { maxBatchSize: 0 })).rejects.toThrow('Expected an integer from 1 to 4096 for opts.maxBatchSize but received 0');
  });

  it('refuses calls after release', async () => {
    const m = await loadClipModel(COLOR_CLIP);
    await m.release();
    await m.release(); // idempotent
    await expect(m.embedTexts(['red'])).rejects.toThrow(/was released/);
  });
});
