// Compatibility proof (MODELS.md): transformers.js, an independent implementation of the Hugging Face layout, loads
// Loupe's trained CLIP folder from local files only and must produce the same embeddings as Loupe's ClipModel.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClipModel, type ClipModel } from '../../src/models/clip-model.js';
import { preprocessBatch } from '../../src/native/preprocess.js';

const MODELS = resolve(fileURLToPath(new URL('../../models', import.meta.url)));
const NAME = 'emoji-clip';

type Transformers = typeof import('@huggingface/transformers');
let tf: Transformers;
let loupe: ClipModel;

beforeAll(async () => {
  tf = await import('@huggingface/transformers');
  tf.env.allowRemoteModels = false;
  tf.env.allowLocalModels = true;
  tf.env.localModelPath = `${MODELS}/`;
  loupe = await loadClipModel(join(MODELS, NAME), { intraOpThreads: 1 });
});
afterAll(async () => {
  await loupe?.release();
});

function cosines(a: Float32Array, b: Float32Array, d: number): number[] {
  const out: number[] = [];
  for (let off = 0; off < a.length; off += d) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let k = 0; k < d; k++) {
      ab += a[off + k]! * b[off + k]!;
      aa += a[off + k]! ** 2;
      bb += b[off + k]! ** 2;
    }
    out.push(ab / Math.sqrt(aa * bb));
  }
  return out;
}

/** A deterministic RGB test picture: a coloured disc and a square on a gradient. */
function picture(w: number, h: number, seed: number): { data: Uint8Array; width: number; height: number; channels: 3 } {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const inDisc = (x - w * 0.4) ** 2 + (y - h * 0.5) ** 2 < (Math.min(w, h) * 0.25) ** 2;
      const inSquare = x > w * 0.6 && x < w * 0.9 && y > h * 0.2 && y < h * 0.5;
      data[i] = inDisc ? 230 : inSquare ? 30 : (x * 255) / w;
      data[i + 1] = inDisc ? (seed * 60) % 255 : inSquare ? 200 : (y * 255) / h;
      data[i + 2] = inDisc ? 40 : inSquare ? 90 : 128;
    }
  }
  return { data, width: w, height: h, channels: 3 };
}

describe(`transformers.js loads models/${NAME} and agrees with Loupe`, () => {
  it('text embeddings: same tokens, cosine >= 0.999', async () => {
    const texts = ['grinning face', 'red apple', 'a dog face', 'rocket', 'flag: japan', 'unknownword smiling cat'];
    const tokenizer = await tf.AutoTokenizer.from_pretrained(NAME);
    const model = await tf.CLIPTextModelWithProjection.from_pretrained(NAME, { dtype: 'fp32' });
    const inputs = tokenizer(texts, { padding: true, truncation: true });
    const { text_embeds } = await model(inputs);
    const theirs = text_embeds.data as Float32Array;
    const ours = await loupe.embedTexts(texts);
    expect(text_embeds.dims).toEqual([texts.length, loupe.dimension]);
    for (const c of cosines(ours, theirs, loupe.dimension)) expect(c).toBeGreaterThanOrEqual(0.999);
    // Different texts embed differently, so agreement is not an accident of a constant output.
    const d = loupe.dimension;
    expect(cosines(ours.subarray(0, d), ours.subarray(d, 2 * d), d)[0]).toBeLessThan(0.99);
    await model.dispose();
  });

  it('image embeddings: each library preprocessing a picture at the model input size itself, cosine >= 0.999', async () => {
    // At the input size no resampling happens, so both libraries' own rescale/normalise/layout are compared; shrinking
    // differs by design (transformers.js under Node does not antialias) and is covered by the next test.
    const processor = await tf.AutoProcessor.from_pretrained(NAME);
    const model = await tf.CLIPVisionModelWithProjection.from_pretrained(NAME, { dtype: 'fp32' });
    const size = loupe.preprocessing.size;
    const pics = [1, 2, 3].map((s) => picture(size, size, s));
    const whole = new Float32Array([0, 0, size, size]);
    for (const pic of pics) {
      const { pixel_values } = await processor(new tf.RawImage(pic.data, pic.width, pic.height, 3));
      const theirs = (await model({ pixel_values })).image_embeds.data as Float32Array;
      const ours = await loupe.embedImages(await preprocessBatch(pic, whole, { ...loupe.preprocessing, device: 'cpu' }), 1);
      expect(cosines(ours, theirs, loupe.dimension)[0]).toBeGreaterThanOrEqual(0.999);
    }
    await model.dispose();
  });

  it('image embeddings of a larger picture: same pixel tensor into both models, cosine >= 0.999', async () => {
    // Resampling differs by design (transformers.js does not antialias), so the models are compared on one tensor.
    const model = await tf.CLIPVisionModelWithProjection.from_pretrained(NAME, { dtype: 'fp32' });
    const pic = picture(160, 120, 4);
    const pixels = await preprocessBatch(pic, new Float32Array([0, 0, 160, 120]), { ...loupe.preprocessing, device: 'cpu' });
    const s = loupe.preprocessing.size;
    const theirs = (await model({ pixel_values: new tf.Tensor('float32', pixels, [1, 3, s, s]) })).image_embeds.data as Float32Array;
    const ours = await loupe.embedImages(pixels, 1);
    expect(cosines(ours, theirs, loupe.dimension)[0]).toBeGreaterThanOrEqual(0.999);
    await model.dispose();
  });
});

