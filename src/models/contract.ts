// The model-folder contract of MODELS.md as data: which ONNX files each kind of model has and their input/output
// names and types, so public exports (Xenova CLIP / OWL-ViT, YOLOX, DINO) and Loupe's own models load by one rule.
import type * as ort from 'onnxruntime-node';
import { basename } from 'node:path';
import { LoupeError } from '../domain/errors.js';

export type ModelKind = 'clip' | 'owlvit' | 'yolox' | 'dino' | 'ppocr';
export const MODEL_KINDS: readonly ModelKind[] = ['clip', 'owlvit', 'yolox', 'dino', 'ppocr'];

type TensorType = 'float32' | 'int64';

export interface OnnxContract {
  /** Path inside the model folder. */
  file: string;
  /** Inputs the file must declare, with their element type. */
  inputs: Readonly<Record<string, TensorType>>;
  /** Inputs Loupe feeds when the file declares them (it may not need them). */
  optionalInputs: Readonly<Record<string, TensorType>>;
  /** Outputs the file must declare (it may have more; Loupe fetches only these). */
  outputs: Readonly<Record<string, TensorType>>;
}

export interface FolderContract {
  /** Named ONNX files of this kind. */
  onnx: Readonly<Record<string, OnnxContract>>;
  /** Whether preprocessor_config.json and tokenizer.json + tokenizer_config.json are required. */
  preprocessor: boolean;
  tokenizer: boolean;
}

export const MODEL_CONTRACTS: Readonly<Record<ModelKind, FolderContract>> = {
  clip: {
    onnx: {
      vision: { file: 'onnx/vision_model.onnx', inputs: { pixel_values: 'float32' }, optionalInputs: {}, outputs: { image_embeds: 'float32' } },
      text: {
        file: 'onnx/text_model.onnx',
        inputs: { input_ids: 'int64' },
        optionalInputs: { attention_mask: 'int64' },
        outputs: { text_embeds: 'float32' },
      },
    },
    preprocessor: true,
    tokenizer: true,
  },
  owlvit: {
    onnx: {
      model: {
        file: 'onnx/model.onnx',
        inputs: { input_ids: 'int64', attention_mask: 'int64', pixel_values: 'float32' },
        optionalInputs: {},
        outputs: { logits: 'float32', pred_boxes: 'float32' },
      },
    },
    preprocessor: true,
    tokenizer: true,
  },
  yolox: {
    onnx: { model: { file: 'onnx/model.onnx', inputs: { images: 'float32' }, optionalInputs: {}, outputs: { output: 'float32' } } },
    preprocessor: false,
    tokenizer: false,
  },
  dino: {
    onnx: { model: { file: 'onnx/model.onnx', inputs: { pixel_values: 'float32' }, optionalInputs: {}, outputs: { attentions: 'float32' } } },
    preprocessor: true,
    tokenizer: false,
  },
  // PaddleOCR exports (paddle2onnx): input `x`, one float output whose name differs between exports (checked by
  // count in src/models/ocr-model.ts). The character list is config.json `character_dict` (see models/pp-ocrv4).
  ppocr: {
    onnx: {
      det: { file: 'onnx/det.onnx', inputs: { x: 'float32' }, optionalInputs: {}, outputs: {} },
      cls: { file: 'onnx/cls.onnx', inputs: { x: 'float32' }, optionalInputs: {}, outputs: {} },
      rec: { file: 'onnx/rec.onnx', inputs: { x: 'float32' }, optionalInputs: {}, outputs: {} },
    },
    preprocessor: false,
    tokenizer: false,
  },
};

/** MODEL_INVALID naming the model folder by its name (its path is the server's; messages reach clients). */
export function modelInvalid(dir: string, problem: string, cause?: unknown): LoupeError {
  return new LoupeError('MODEL_INVALID', `Model folder "${basename(dir)}" violates the model contract (MODELS.md): ${problem}`, cause === undefined ? undefined : { cause });
}

function metadataOf(list: readonly ort.InferenceSession.ValueMetadata[], name: string): ort.InferenceSession.ValueMetadata | undefined {
  return list.find((m) => m.name === name);
}

function checkType(dir: string, file: string, what: string, meta: ort.InferenceSession.ValueMetadata | undefined, want: TensorType): void {
  if (!meta) return; // no metadata: ONNX Runtime will report a mismatch when run
  if (!meta.isTensor) throw modelInvalid(dir, `${file} ${what} is not a tensor`);
  if (meta.type !== want) throw modelInvalid(dir, `${file} ${what} has element type ${meta.type}, expected ${want}`);
}

/** Checks a created session's input and output names (and element types) against `contract`. */
/**
 * Optional second graph of an OWL-ViT folder: image-guided detection (OWL-ViT's image conditioning). The queries are
 * pictures of the thing, preprocessed like the folder's images but at the side query_pixel_values declares.
 * Loupe's emoji-owl ships one; public OWL-ViT exports do not (an image query then needs rerank.prompt).
 */
export const OWL_IMAGE_GUIDED: OnnxContract = {
  file: 'onnx/image_guided.onnx',
  inputs: { query_pixel_values: 'float32', pixel_values: 'float32' },
  optionalInputs: {},
  outputs: { logits: 'float32', pred_boxes: 'float32' },
};

export function checkSessionIo(dir: string, contract: OnnxContract, session: ort.InferenceSession): void {
  const { file } = contract;
  const inputs = session.inputNames;
  const outputs = session.outputNames;
  for (const [name, type] of Object.entries(contract.inputs)) {
    if (!inputs.includes(name)) throw modelInvalid(dir, `${file} has no input "${name}" (inputs: ${inputs.join(', ') || 'none'})`);
    checkType(dir, file, `input "${name}"`, metadataOf(session.inputMetadata, name), type);
  }
  for (const name of inputs) {
    const optional = contract.optionalInputs[name];
    if (optional) checkType(dir, file, `input "${name}"`, metadataOf(session.inputMetadata, name), optional);
    else if (!(name in contract.inputs)) {
      const known = [...Object.keys(contract.inputs), ...Object.keys(contract.optionalInputs)].join(', ');
      throw modelInvalid(dir, `${file} needs input "${name}", which Loupe does not provide (it provides: ${known})`);
    }
  }
  for (const [name, type] of Object.entries(contract.outputs)) {
    if (!outputs.includes(name)) throw modelInvalid(dir, `${file} has no output "${name}" (outputs: ${outputs.join(', ') || 'none'})`);
    checkType(dir, file, `output "${name}"`, metadataOf(session.outputMetadata, name), type);
  }
}

/** The declared shape of a session input/output: numbers for fixed dims, null for symbolic ones; null when unknown. */
export function declaredShape(list: readonly ort.InferenceSession.ValueMetadata[], name: string): (number | null)[] | null {
  const meta = metadataOf(list, name);
  if (!meta || !meta.isTensor || meta.shape.length === 0) return null;
  return meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : null));
}
