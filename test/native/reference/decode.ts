// Plain TypeScript references of the YOLOX and OWL-ViT decoders (property tests).
import type { Detections } from '../../../src/native/decode.js';

const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);

export function decodeYoloxReference(
  output: Float32Array,
  o: { inputWidth: number; inputHeight: number; scale: number; imageWidth: number; imageHeight: number; scoreThreshold: number; strides?: number[] },
): Detections {
  const strides = o.strides ?? [8, 16, 32];
  const anchors = strides.reduce((n, s) => n + Math.floor(o.inputHeight / s) * Math.floor(o.inputWidth / s), 0);
  const row = output.length / anchors;
  const boxes: number[] = [];
  const scores: number[] = [];
  const labels: number[] = [];
  let a = 0;
  for (const s of strides) {
    for (let gy = 0; gy < Math.floor(o.inputHeight / s); gy++) {
      for (let gx = 0; gx < Math.floor(o.inputWidth / s); gx++, a++) {
        const r = output.subarray(a * row, (a + 1) * row);
        let best = 0;
        for (let c = 1; c < row - 5; c++) if (r[5 + c]! > r[5 + best]!) best = c;
        const score = r[4]! * r[5 + best]!;
        if (!(Math.fround(score) >= Math.fround(o.scoreThreshold))) continue;
        const cx = (r[0]! + gx) * s;
        const cy = (r[1]! + gy) * s;
        const w = Math.exp(r[2]!) * s;
        const h = Math.exp(r[3]!) * s;
        boxes.push(
          clip((cx - w / 2) / o.scale, o.imageWidth),
          clip((cy - h / 2) / o.scale, o.imageHeight),
          clip((cx + w / 2) / o.scale, o.imageWidth),
          clip((cy + h / 2) / o.scale, o.imageHeight),
        );
        scores.push(score);
        labels.push(best);
      }
    }
  }
  return { boxes: Float32Array.from(boxes), scores: Float32Array.from(scores), labels: Int32Array.from(labels) };
}

export function decodeOwlReference(
  logits: Float32Array,
  predBoxes: Float32Array,
  o: { imageWidth: number; imageHeight: number; padToSquare?: boolean; scoreThreshold: number; topK: number },
): Detections {
  const patches = predBoxes.length / 4;
  const queries = logits.length / patches;
  const cands: { i: number; score: number; label: number }[] = [];
  for (let i = 0; i < patches; i++) {
    let best = 0;
    for (let q = 1; q < queries; q++) if (logits[i * queries + q]! > logits[i * queries + best]!) best = q;
    const score = 1 / (1 + Math.exp(-logits[i * queries + best]!));
    if (score >= o.scoreThreshold) cands.push({ i, score, label: best });
  }
  cands.sort((a, b) => b.score - a.score || a.i - b.i);
  const top = cands.slice(0, o.topK);
  const side = Math.max(o.imageWidth, o.imageHeight);
  const sw = o.padToSquare ? side : o.imageWidth;
  const sh = o.padToSquare ? side : o.imageHeight;
  const boxes = top.flatMap(({ i }) => {
    const [cx, cy, w, h] = Array.from(predBoxes.subarray(4 * i, 4 * i + 4)) as [number, number, number, number];
    return [
      clip((cx - w / 2) * sw, o.imageWidth),
      clip((cy - h / 2) * sh, o.imageHeight),
      clip((cx + w / 2) * sw, o.imageWidth),
      clip((cy + h / 2) * sh, o.imageHeight),
    ];
  });
  return { boxes: Float32Array.from(boxes), scores: Float32Array.from(top.map((c) => c.score)), labels: Int32Array.from(top.map((c) => c.label)) };
}
