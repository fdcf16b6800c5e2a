// Plain TypeScript reference of greedy NMS (property tests and the benchmark's baseline). float32 arithmetic via
// Math.fround so that borderline IoUs compare exactly as the native code does.
const f = Math.fround;

function area(b: ArrayLike<number>, i: number): number {
  return f(Math.max(0, f(b[4 * i + 2]! - b[4 * i]!)) * Math.max(0, f(b[4 * i + 3]! - b[4 * i + 1]!)));
}

/** Whether kept box k suppresses box i (IoU > threshold), float32 throughout like native/core/nms.cc. */
export function suppresses(boxes: ArrayLike<number>, k: number, i: number, threshold: number): boolean {
  const iw = f(Math.min(boxes[4 * k + 2]!, boxes[4 * i + 2]!) - Math.max(boxes[4 * k]!, boxes[4 * i]!));
  const ih = f(Math.min(boxes[4 * k + 3]!, boxes[4 * i + 3]!) - Math.max(boxes[4 * k + 1]!, boxes[4 * i + 1]!));
  if (iw <= 0 || ih <= 0) return false;
  const inter = f(iw * ih);
  const union = f(f(area(boxes, k) + area(boxes, i)) - inter);
  return union > 0 && f(inter / union) > f(threshold);
}

function order(scores: ArrayLike<number>, scoreThreshold: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i]! >= f(scoreThreshold)) idx.push(i);
  return idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

export function nmsReference(boxes: Float32Array, scores: Float32Array, iouThreshold: number, maxOutputs = Infinity, scoreThreshold = -Infinity): Int32Array {
  const keep: number[] = [];
  for (const i of order(scores, scoreThreshold)) {
    if (keep.length >= maxOutputs) break;
    if (!keep.some((k) => suppresses(boxes, k, i, iouThreshold))) keep.push(i);
  }
  return Int32Array.from(keep);
}
