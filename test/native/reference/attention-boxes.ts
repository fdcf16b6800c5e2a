// Plain TypeScript reference of attentionToBoxes (property tests). The same float64 operations in the same order as
// native/core/attention_boxes.cc, so masks and boxes agree exactly.
import type { AttentionBoxes, AttentionBoxesOptions } from '../../../src/native/attention-boxes.js';

export function workSize(imageWidth: number, imageHeight: number, resolution: number): [number, number] {
  const r = Math.min(1, resolution / Math.max(imageWidth, imageHeight));
  // C's lround rounds halves away from zero; Math.round rounds them up: the same for positive numbers.
  return [Math.max(1, Math.round(imageWidth * r)), Math.max(1, Math.round(imageHeight * r))];
}

export function upsampleBilinear(map: Float64Array, gw: number, gh: number, ww: number, wh: number): Float64Array {
  const out = new Float64Array(ww * wh);
  const sx = gw / ww;
  const sy = gh / wh;
  for (let y = 0; y < wh; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), gh - 1);
    const y0 = Math.trunc(fy);
    const y1 = Math.min(y0 + 1, gh - 1);
    const ty = fy - y0;
    for (let x = 0; x < ww; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), gw - 1);
      const x0 = Math.trunc(fx);
      const x1 = Math.min(x0 + 1, gw - 1);
      const tx = fx - x0;
      const top = map[y0 * gw + x0]! * (1 - tx) + map[y0 * gw + x1]! * tx;
      const bottom = map[y1 * gw + x0]! * (1 - tx) + map[y1 * gw + x1]! * tx;
      out[y * ww + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/** Otsu over 256 bins spanning [lo, hi]; foreground = bin > returned value; -1 for a flat map. */
export function otsuBin(values: ArrayLike<number>): { bin: number; lo: number; hi: number } {
  let lo = values[0]!;
  let hi = values[0]!;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]!);
    hi = Math.max(hi, values[i]!);
  }
  if (!(hi > lo)) return { bin: -1, lo, hi };
  const hist = new Float64Array(256);
  for (let i = 0; i < values.length; i++) hist[Math.min(255, Math.trunc(((values[i]! - lo) / (hi - lo)) * 256))]! += 1;
  let sum = 0;
  for (let i = 0; i < 256; i++) sum += i * hist[i]!;
  let wB = 0;
  let sumB = 0;
  let best = -1;
  let bin = -1;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = values.length - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const mB = sumB / wB;
    const mF = (sum - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > best) {
      best = between;
      bin = t;
    }
  }
  return { bin, lo, hi };
}

export function attentionToBoxesReference(attentions: Float32Array, o: AttentionBoxesOptions): AttentionBoxes {
  const cells = o.gridWidth * o.gridHeight;
  const [ww, wh] = workSize(o.imageWidth, o.imageHeight, o.resolution ?? 512);
  const sx = o.imageWidth / ww;
  const sy = o.imageHeight / wh;
  const found: { box: number[]; score: number; map: number }[] = [];
  const maps = o.mode === 'v1' ? 1 : o.heads;
  for (let m = 0; m < maps; m++) {
    const grid = new Float64Array(cells);
    if (o.mode === 'v1') {
      for (let h = 0; h < o.heads; h++) for (let i = 0; i < cells; i++) grid[i]! += attentions[h * cells + i]!;
      for (let i = 0; i < cells; i++) grid[i]! /= o.heads;
    } else {
      grid.set(attentions.subarray(m * cells, (m + 1) * cells));
    }
    const work = upsampleBilinear(grid, o.gridWidth, o.gridHeight, ww, wh);
    const { bin, lo, hi } = otsuBin(work);
    if (bin < 0) continue;
    const mask = work.map((v) => (Math.min(255, Math.trunc(((v - lo) / (hi - lo)) * 256)) > bin ? 1 : 0));
    // Flood fill (8-connected) from each unlabelled foreground pixel in raster order.
    const seen = new Uint8Array(ww * wh);
    for (let start = 0; start < ww * wh; start++) {
      if (!mask[start] || seen[start]) continue;
      let [x1, y1, x2, y2, pixels] = [ww, wh, 0, 0, 0];
      const queue = [start];
      seen[start] = 1;
      while (queue.length) {
        const p = queue.pop()!;
        const px = p % ww;
        const py = Math.floor(p / ww);
        pixels++;
        [x1, y1, x2, y2] = [Math.min(x1, px), Math.min(y1, py), Math.max(x2, px + 1), Math.max(y2, py + 1)];
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const nx = px + dx;
            const ny = py + dy;
            if (nx < 0 || ny < 0 || nx >= ww || ny >= wh) continue;
            const q = ny * ww + nx;
            if (mask[q] && !seen[q]) {
              seen[q] = 1;
              queue.push(q);
            }
          }
        }
      }
      const frac = pixels / (ww * wh);
      if (frac < Math.fround(o.minArea ?? 0)) continue;
      found.push({ box: [x1 * sx, y1 * sy, x2 * sx, y2 * sy], score: Math.fround(frac), map: m });
    }
  }
  found.sort((a, b) => b.score - a.score);
  const top = found.slice(0, o.maxBoxes ?? 100);
  return {
    boxes: Float32Array.from(top.flatMap((f) => f.box)),
    scores: Float32Array.from(top.map((f) => f.score)),
    maps: Int32Array.from(top.map((f) => f.map)),
  };
}
