// Model folders that violate the contract are refused with MODEL_INVALID naming the folder and the piece.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoupeError } from '../../src/domain/errors.js';
import { loadClipModel } from '../../src/models/clip-model.js';
import { loadModelFolder } from '../../src/models/folder.js';
import { derivePreprocessing } from '../../src/models/preprocessing.js';
import { COLOR_CLIP, copyOfColorClip } from './helpers.js';

const made: string[] = [];
function brokenCopy(edit: (dir: string) => void): string {
  const dir = copyOfColorClip();
  made.push(dirname(dir));
  edit(dir);
  return dir;
}
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

const editJson = (dir: string, file: string, f: (j: Record<string, unknown>) => void) => {
  const path = join(dir, file);
  const j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  f(j);
  writeFileSync(path, JSON.stringify(j));
};

/** Renames a tensor inside an ONNX file by rewriting its name bytes (same length keeps the protobuf valid). */
const renameInOnnx = (dir: string, file: string, from: string, to: string) => {
  expect(to.length).toBe(from.length);
  const path = join(dir, file);
  const bytes = readFileSync(path);
  writeFileSync(path, Buffer.from(bytes.toString('latin1').replaceAll(from, to), 'latin1'));
};

async function invalid(dir: string): Promise<string> {
  try {
    await loadClipModel(dir);
  } catch (e) {
    expect(isLoupeError(e) && e.code).toBe('MODEL_INVALID');
    const msg = (e as Error).message;
    // Named by the folder's name only: the server's paths never reach a client.
    expect(msg).toContain(`Model folder "${basename(dir)}" violates the model contract`);
    expect(msg).not.toContain(dirname(dir));
    return msg;
  }
  throw new Error(`expected ${dir} to be refused`);
}

describe('model folder contract', () => {
  it('accepts the shipped folder', async () => {
    const folder = await loadModelFolder(COLOR_CLIP);
    expect(folder.kind).toBe('clip');
    expect(folder.name).toBe('color-clip');
    expect(Object.keys(folder.onnx).sort()).toEqual(['text', 'vision']);
    expect(folder.tokenizer?.config.model_max_length).toBe(64);
  });

  it.each(['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx'])(
    'refuses a folder without %s',
    async (file) => {
      const dir = brokenCopy((d) => rmSync(join(d, file)));
      expect(await invalid(dir)).toContain(`${file} is missing`);
    },
  );

  it('refuses a folder that does not exist, invalid JSON and a wrong model_type', async () => {
    expect(await invalid(join(COLOR_CLIP, 'nope'))).toContain('no such folder');
    expect(await invalid(brokenCopy((d) => writeFileSync(join(d, 'config.json'), '{"model_type": ')))).toContain('config.json is not valid JSON');
    expect(await invalid(brokenCopy((d) => editJson(d, 'config.json', (j) => (j.model_type = 'bert'))))).toContain(
      'config.json model_type must be one of clip, owlvit, yolox, dino, ppocr (found "bert")',
    );
    expect(await invalid(brokenCopy((d) => editJson(d, 'config.json', (j) => (j.model_type = 'yolox'))))).toContain('model_type is "yolox", expected "clip"');
    expect(await invalid(brokenCopy((d) => editJson(d, 'config.json', (j) => delete j.projection_dim)))).toContain('no projection_dim');
  });

  it('refuses a vision tower whose output is not image_embeds', async () => {
    const dir = brokenCopy((d) => renameInOnnx(d, 'onnx/vision_model.onnx', 'image_embeds', 'image_embedz'));
    expect(await invalid(dir)).toContain('onnx/vision_model.onnx has no output "image_embeds" (outputs: image_embedz)');
  });

  it('refuses a text tower with a wrong input name or an input Loupe cannot feed', async () => {
    const renamed = brokenCopy((d) => renameInOnnx(d, 'onnx/text_model.onnx', 'input_ids', 'token_ids'));
    expect(await invalid(renamed)).toContain('onnx/text_model.onnx has no input "input_ids" (inputs: token_ids, attention_mask)');
    const extra = brokenCopy((d) => {
      renameInOnnx(d, 'onnx/text_model.onnx', 'input_ids', 'input_idz');
      renameInOnnx(d, 'onnx/text_model.onnx', 'attention_mask', 'input_ids_xxxx');
    });
    expect(await invalid(extra)).toContain('has no input "input_ids"');
  });

  it('refuses a model whose declared shapes disagree with its config files', async () => {
    const size = brokenCopy((d) =>
      editJson(d, 'preprocessor_config.json', (j) => {
        j.size = { shortest_edge: 32 };
        j.crop_size = { height: 32, width: 32 };
      }),
    );
    expect(await invalid(size)).toContain('pixel_values has shape [?, 3, 64, 64], expected [B, 3, 32, 32]');
    const dim = brokenCopy((d) => editJson(d, 'config.json', (j) => (j.projection_dim = 8)));
    expect(await invalid(dim)).toContain('image_embeds has shape [?, 16], expected [B, 8] (projection_dim)');
    const vocab = brokenCopy((d) => editJson(d, 'config.json', (j) => ((j.text_config as Record<string, unknown>).vocab_size = 10)));
    expect(await invalid(vocab)).toMatch(/tokenizer.json produces id \d+ but text_config.vocab_size is 10/);
  });

  it('refuses a tokenizer.json without a model and an unknown pad token', async () => {
    expect(await invalid(brokenCopy((d) => editJson(d, 'tokenizer.json', (j) => delete j.model)))).toContain('tokenizer.json has no "model"');
    expect(await invalid(brokenCopy((d) => editJson(d, 'tokenizer_config.json', (j) => (j.pad_token = '<pad>'))))).toContain(
      'tokenizer pad_token "<pad>" is not in the vocabulary',
    );
  });

  it('gives a different id when an ONNX file changes', async () => {
    const original = await loadClipModel(COLOR_CLIP);
    // Same graph, different bytes: a changed producer version.
    const changed = brokenCopy((d) => renameInOnnx(d, 'onnx/vision_model.onnx', 'loupe-make-color-clip', 'loupe-make-color-clap'));
    const other = await loadClipModel(changed);
    expect(other.id).toMatch(/^color-clip@[0-9a-f]{12}$/);
    expect(other.id).not.toBe(original.id);
    await Promise.all([original.release(), other.release()]);
  });
});

describe('derivePreprocessing', () => {
  const clip = {
    size: { shortest_edge: 224 },
    crop_size: { height: 224, width: 224 },
    do_center_crop: true,
    resample: 3,
    rescale_factor: 1 / 255,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_std: [0.26862954, 0.26130258, 0.27577711],
  };

  it('reads CLIP, ViT/DINO and OWL-ViT style configs', () => {
    expect(derivePreprocessing('m', clip)).toEqual({ size: 224, mode: 'shortest-edge-center-crop', mean: clip.image_mean, std: clip.image_std, rescale: 1 / 255, resample: 'bicubic' });
    // ViT (DINO): square resize, bilinear, mean/std 0.5 style
    expect(derivePreprocessing('m', { size: { height: 224, width: 224 }, resample: 2, image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225] })).toEqual({
      size: 224, mode: 'squash', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], rescale: 1 / 255, resample: 'bilinear',
    });
    // OWL-ViT: 768 squash, no crop; a single number expands to three channels
    expect(derivePreprocessing('m', { size: 768, do_center_crop: false, image_mean: 0.5, image_std: 0.5, resample: 3 })).toMatchObject({ size: 768, mode: 'squash', mean: [0.5, 0.5, 0.5] });
    expect(derivePreprocessing('m', { ...clip, do_normalize: false, do_rescale: false })).toMatchObject({ mean: [0, 0, 0], std: [1, 1, 1], rescale: 1 });
  });

  it.each([
    [{ ...clip, crop_size: { height: 200, width: 200 } }, 'crop_size 200x200 must equal size.shortest_edge 224'],
    [{ ...clip, do_center_crop: false }, 'without do_center_crop gives non-square inputs'],
    [{ ...clip, size: { height: 224, width: 300 }, do_center_crop: false }, 'size 224x300 must be square'],
    [{ ...clip, resample: 1 }, 'resample must be 2 (bilinear) or 3 (bicubic) (found 1)'],
    [{ ...clip, image_std: [0.2, 0, 0.2] }, 'image_std must be 3 positive numbers'],
    [{ ...clip, image_mean: undefined }, 'image_mean must be 3 numbers (found null)'],
    [{ ...clip, size: undefined }, 'has no size'],
    [{ ...clip, do_resize: false }, 'do_resize=false is not supported'],
  ])('refuses %j', (cfg, message) => {
    expect(() => derivePreprocessing('/models/x', JSON.parse(JSON.stringify(cfg)) as Record<string, never>)).toThrow(message);
  });
});
