// The real public models `loupe models pull` installs: which Hugging Face repository and files each comes from, where
// each file lands in the contract layout (MODELS.md), and the config files Loupe adds where the public repo lacks them.
import type { ModelKind } from './contract.js';
import type { JsonObject } from './folder.js';

export interface PublicModelFile {
  /** Path inside the hub repository. */
  remote: string;
  /** Path inside the model folder. */
  local: string;
}

export interface PublicModel {
  /** Folder name under the models directory (the model's name in Loupe). */
  name: string;
  kind: ModelKind;
  /** Hugging Face repository id (owner/name). */
  repo: string;
  /** Branch, tag or commit; a commit pins the exact files. */
  revision: string;
  description: string;
  files: PublicModelFile[];
  /**
   * JSON files Loupe completes so the folder meets the contract: `defaults` keys are added where the file (or the
   * repo) lacks them, `set` keys are always written; a file the repo does not have is created from both.
   */
  configs?: Record<string, { defaults?: JsonObject; set?: JsonObject }>;
  /** A caveat printed after the pull (e.g. what the public export does not provide). */
  note?: string;
}

const same = (...paths: string[]): PublicModelFile[] => paths.map((p) => ({ remote: p, local: p }));

export const PUBLIC_MODELS: Readonly<Record<string, PublicModel>> = {
  'clip-vit-base-patch32': {
    name: 'clip-vit-base-patch32',
    kind: 'clip',
    repo: 'Xenova/clip-vit-base-patch32',
    revision: 'main',
    description: 'OpenAI CLIP ViT-B/32 (transformers.js export): 512-d image and text embeddings',
    files: same('config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx'),
    configs: { 'preprocessor_config.json': { defaults: { image_processor_type: 'CLIPImageProcessor' } } },
  },
  'owlvit-base-patch32': {
    name: 'owlvit-base-patch32',
    kind: 'owlvit',
    repo: 'Xenova/owlvit-base-patch32',
    revision: 'main',
    description: 'Google OWL-ViT B/32 (transformers.js export): open-vocabulary boxes conditioned on text queries',
    files: same('config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'),
    configs: { 'preprocessor_config.json': { defaults: { image_processor_type: 'OwlViTImageProcessor' } } },
  },
  'yolox-s': {
    name: 'yolox-s',
    kind: 'yolox',
    repo: 'cabelo/yolox',
    revision: 'main',
    description: 'Megvii YOLOX-S ONNX export (COCO, 640x640, output [1,8400,85]); used class-agnostically',
    files: [{ remote: 'yolox_s.onnx', local: 'onnx/model.onnx' }],
    // The repo holds only the ONNX file: the config the contract needs comes from Megvii's export settings.
    configs: { 'config.json': { set: { model_type: 'yolox', input_size: [640, 640], strides: [8, 16, 32], num_classes: 80, pad_value: 114, channel_order: 'BGR' } } },
  },
  'dino-vits16': {
    name: 'dino-vits16',
    kind: 'dino',
    repo: 'Xenova/dino-vits16',
    revision: 'main',
    description: 'Facebook DINO ViT-S/16 (transformers.js export)',
    files: [{ remote: 'config.json', local: 'config.json' }, { remote: 'preprocessor_config.json', local: 'preprocessor_config.json' }, { remote: 'onnx/model.onnx', local: 'onnx/model.onnx' }],
    // HF names the architecture "vit"; Loupe's contract kind is "dino" (hf_model_type keeps the original).
    configs: {
      'config.json': { set: { model_type: 'dino', hf_model_type: 'vit' }, defaults: { patch_size: 16 } },
      'preprocessor_config.json': { defaults: { image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225] } },
    },
    note: 'The region methods need an `attentions` output (last layer CLS->patch attention per head). If this export only has last_hidden_state, `loupe models list` reports the folder as violating the contract; pull an export made with attentions via --repo.',
  },
};
