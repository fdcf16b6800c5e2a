// Region proposal at index time: the grid methods, YOLOX detections, DINO attention maps. Every method returns the
// whole image first, then at most maxProposals boxes in original pixels, each inside the image.
import type { Box, DecodedImage, DetectorRegionMethod, RegionMethod } from '../domain/types.js';
import type { ImagePreprocessing } from '../models/preprocessing.js';
import { attentionToBoxes } from '../native/attention-boxes.js';
import { decodeYolox } from '../native/decode.js';
import { nms } from '../native/nms.js';
import { letterbox, preprocessBatch } from '../native/preprocess.js';
import { proposeGridRegions } from './grid.js';
import { isDetectorMethod } from './region-method.js';

/** What YOLOX proposals need of a detector (models/detectors.ts YoloxModel): raw output for a letterboxed tensor. */
export interface YoloxDetector {
  readonly id: string;
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly strides: number[];
  run(tensor: Float32Array): Promise<Float32Array>;
}

/** What DINO proposals need of a ViT (models/detectors.ts DinoModel): last-layer CLS attention per head. */
export interface DinoAttentionModel {
  readonly id: string;
  readonly preprocessing: ImagePreprocessing;
  readonly gridWidth: number;
  readonly gridHeight: number;
  attentions(pixels: Float32Array): Promise<{ attentions: Float32Array; heads: number }>;
}

export interface ProposalModels {
  yolox(name: string): Promise<YoloxDetector>;
  dino(name: string): Promise<DinoAttentionModel>;
}

/** Keeps boxes that pass the area and aspect limits, then class-agnostic NMS capped at maxProposals. */
export async function selectProposals(boxes: Float32Array, scores: Float32Array, method: DetectorRegionMethod, width: number, height: number): Promise<Box[]> {
  const minArea = method.minArea * width * height;
  const keptBoxes: number[] = [];
  const keptScores: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const x1 = Math.max(0, Math.min(width, boxes[i * 4]!));
    const y1 = Math.max(0, Math.min(height, boxes[i * 4 + 1]!));
    const x2 = Math.max(0, Math.min(width, boxes[i * 4 + 2]!));
    const y2 = Math.max(0, Math.min(height, boxes[i * 4 + 3]!));
    const w = x2 - x1;
    const h = y2 - y1;
    if (!(w >= 1 && h >= 1) || w * h < minArea || Math.max(w / h, h / w) >= method.maxAspect) continue;
    keptBoxes.push(x1, y1, x2, y2);
    keptScores.push(scores[i]!);
  }
  if (!keptScores.length) return [];
  const order = await nms(Float32Array.from(keptBoxes), Float32Array.from(keptScores), { iouThreshold: method.nmsIou, maxOutputs: method.maxProposals });
  const out: Box[] = [];
  for (const i of order) {
    const box = {
      x1: Math.floor(keptBoxes[i * 4]!),
      y1: Math.floor(keptBoxes[i * 4 + 1]!),
      x2: Math.min(width, Math.ceil(keptBoxes[i * 4 + 2]!)),
      y2: Math.min(height, Math.ceil(keptBoxes[i * 4 + 3]!)),
    };
    if (box.x2 > box.x1 && box.y2 > box.y1) out.push(box);
  }
  return out;
}

export class RegionProposer {
  constructor(private readonly models: ProposalModels) {}

  /** The input size of the detector behind `method` (null for the grids): it bounds how small an image may be decoded. */
  async detectorInput(method: RegionMethod): Promise<{ width: number; height: number } | null> {
    if (method.kind === 'yolox') {
      const m = await this.models.yolox(method.model);
      return { width: m.inputWidth, height: m.inputHeight };
    }
    if (method.kind === 'dino-v1' || method.kind === 'dino-v2') {
      const s = (await this.models.dino(method.model)).preprocessing.size;
      return { width: s, height: s };
    }
    return null;
  }

  /**
   * Boxes in ORIGINAL pixels of an `original`-sized image (default: the image's own size); `image` may be a uniformly
   * shrunk copy of it (see decode-size.ts): detectors run on it and their boxes are mapped back.
   */
  async propose(method: RegionMethod, image: DecodedImage, original: { width: number; height: number } = image): Promise<Box[]> {
    if (!isDetectorMethod(method)) return proposeGridRegions(method, original.width, original.height);
    const whole: Box = { x1: 0, y1: 0, x2: original.width, y2: original.height };
    const detections = method.kind === 'yolox' ? await this.yolox(method, image) : await this.dino(method, image);
    const sx = original.width / image.width;
    const sy = original.height / image.height;
    if (sx !== 1 || sy !== 1) {
      const b = detections.boxes;
      for (let i = 0; i < b.length; i += 4) {
        b[i]! *= sx;
        b[i + 1]! *= sy;
        b[i + 2]! *= sx;
        b[i + 3]! *= sy;
      }
    }
    return [whole, ...(await selectProposals(detections.boxes, detections.scores, method, original.width, original.height))];
  }

  private async yolox(method: DetectorRegionMethod, image: DecodedImage): Promise<{ boxes: Float32Array; scores: Float32Array }> {
    const model = await this.models.yolox(method.model);
    const input = await letterbox(image, { width: model.inputWidth, height: model.inputHeight });
    const output = await model.run(input.tensor);
    return decodeYolox(output, {
      scale: input.scale,
      imageWidth: image.width,
      imageHeight: image.height,
      inputWidth: model.inputWidth,
      inputHeight: model.inputHeight,
      strides: model.strides,
      scoreThreshold: 0.05,
    });
  }

  private async dino(method: DetectorRegionMethod, image: DecodedImage): Promise<{ boxes: Float32Array; scores: Float32Array }> {
    const model = await this.models.dino(method.model);
    const pixels = await preprocessBatch(image, new Float32Array([0, 0, image.width, image.height]), { ...model.preprocessing, mode: 'squash' });
    const { attentions, heads } = await model.attentions(pixels);
    return attentionToBoxes(attentions, {
      heads,
      gridWidth: model.gridWidth,
      gridHeight: model.gridHeight,
      imageWidth: image.width,
      imageHeight: image.height,
      mode: method.kind === 'dino-v1' ? 'v1' : 'v2',
    });
  }
}
