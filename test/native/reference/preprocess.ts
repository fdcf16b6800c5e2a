// Plain TypeScript reference of the native preprocessing (property tests and the benchmark's baseline). Same maths as
// native/core/preprocess.cc — PIL-style antialiased separable resampling of a (fractional) box — in float64, no tricks.
import type { DecodedImage } from '../../../src/domain/types.js';
import type { PreprocessOptions } from '../../../src/native/preprocess.js';

type Filter = (x: number) => number;
const bilinear: Filter = (x) => Math.max(0, 1 - Math.abs(x));
const bicubic: Filter = (x) => {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
};

export interface AxisWeights {
  start: number;
  weights: number[];
}

/** Weights of outputs offset..offset+count-1 when [src0, src0+srcLen) is resized to fullLen pixels. */
export function axisWeights(
  src0: number,
  srcLen: number,
  fullLen: number,
  offset: number,
  count: number,
  inSize: number,
  resample: 'bilinear' | 'bicubic',
  antialias = true,
): AxisWeights[] {
  const filter = resample === 'bicubic' ? bicubic : bilinear;
  const scale = srcLen / fullLen;
  const filterScale = antialias ? Math.max(scale, 1) : 1;
  const support = (resample === 'bicubic' ? 2 : 1) * filterScale;
  const out: AxisWeights[] = [];
  for (let i = 0; i < count; i++) {
    const center = src0 + (offset + i + 0.5) * scale;
    const lo = Math.max(Math.floor(center - support + 0.5), 0);
    const hi = Math.min(Math.floor(center + support + 0.5), inSize);
    const weights: number[] = [];
    for (let x = lo; x < hi; x++) weights.push(filter((x + 0.5 - center) / filterScale));
    const sum = weights.reduce((s, w) => s + w, 0);
    if (weights.length === 0 || sum === 0) {
      out.push({ start: Math.min(Math.max(Math.floor(center), 0), inSize - 1), weights: [1] });
    } else {
      out.push({ start: lo, weights: weights.map((w) => w / sum) });
    }
  }
  return out;
}

export function clipBox(b: ArrayLike<number>, width: number, height: number): [number, number, number, number] {
  const c = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  return [c(b[0]!, width), c(b[1]!, height), c(b[2]!, width), c(b[3]!, height)];
}

/** The x and y weights of one box (clipped in float32, as the native code does). */
function planBox(image: DecodedImage, box: Float32Array, opts: PreprocessOptions): [AxisWeights[], AxisWeights[]] {
  const S = opts.size;
  const resample = opts.resample ?? 'bicubic';
  const [x1, y1, x2, y2] = clipBox(box, image.width, image.height).map(Math.fround) as [number, number, number, number];
  const w = x2 - x1;
  const h = y2 - y1;
  if (!(w > 0 && h > 0)) throw new Error('a box has zero area after clipping');
  let fullW = S;
  let fullH = S;
  if (opts.mode === 'shortest-edge-center-crop') {
    if (w <= h) fullH = Math.max(S, Math.trunc((S * h) / w));
    else fullW = Math.max(S, Math.trunc((S * w) / h));
  }
  return [
    axisWeights(x1, w, fullW, Math.trunc((fullW - S) / 2), S, image.width, resample),
    axisWeights(y1, h, fullH, Math.trunc((fullH - S) / 2), S, image.height, resample),
  ];
}

/** The separable algorithm written plainly: a horizontal pass into a float64 buffer, then the vertical pass. This is
 * the benchmark's TypeScript baseline. */
export function preprocessBatchReference(image: DecodedImage, boxes: Float32Array, opts: PreprocessOptions): Float32Array {
  const S = opts.size;
  const rescale = opts.rescale ?? 1 / 255;
  const n = boxes.length / 4;
  const out = new Float32Array(n * 3 * S * S);
  const { width: W, data } = image;
  for (let b = 0; b < n; b++) {
    const [xs, ys] = planBox(image, boxes.subarray(4 * b, 4 * b + 4), opts);
    const row0 = Math.min(...ys.map((a) => a.start));
    const row1 = Math.max(...ys.map((a) => a.start + a.weights.length));
    const tmp = new Float64Array((row1 - row0) * S * 3);
    for (let r = row0; r < row1; r++) {
      for (let ox = 0; ox < S; ox++) {
        const { start, weights } = xs[ox]!;
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        for (let k = 0; k < weights.length; k++) {
          const at = (r * W + start + k) * 3;
          a0 += weights[k]! * data[at]!;
          a1 += weights[k]! * data[at + 1]!;
          a2 += weights[k]! * data[at + 2]!;
        }
        const t = ((r - row0) * S + ox) * 3;
        tmp[t] = a0;
        tmp[t + 1] = a1;
        tmp[t + 2] = a2;
      }
    }
    for (let oy = 0; oy < S; oy++) {
      const { start, weights } = ys[oy]!;
      for (let ox = 0; ox < S; ox++) {
        for (let c = 0; c < 3; c++) {
          let v = 0;
          for (let k = 0; k < weights.length; k++) v += weights[k]! * tmp[((start - row0 + k) * S + ox) * 3 + c]!;
          v = Math.min(255, Math.max(0, v));
          out[((b * 3 + c) * S + oy) * S + ox] = (v * rescale - opts.mean[c]!) / opts.std[c]!;
        }
      }
    }
  }
  return out;
}

/** The definition evaluated directly per output pixel (2-D sum, O(S^2 k^2)): an independent check for the tests. */
export function preprocessBatchDirect(image: DecodedImage, boxes: Float32Array, opts: PreprocessOptions): Float32Array {
  const S = opts.size;
  const rescale = opts.rescale ?? 1 / 255;
  const n = boxes.length / 4;
  const out = new Float32Array(n * 3 * S * S);
  const { width: W, data } = image;
  for (let b = 0; b < n; b++) {
    const [xs, ys] = planBox(image, boxes.subarray(4 * b, 4 * b + 4), opts);
    for (let oy = 0; oy < S; oy++) {
      const wy = ys[oy]!;
      for (let ox = 0; ox < S; ox++) {
        const wx = xs[ox]!;
        for (let c = 0; c < 3; c++) {
          let v = 0;
          for (let ky = 0; ky < wy.weights.length; ky++) {
            const row = (wy.start + ky) * W;
            let r = 0;
            for (let kx = 0; kx < wx.weights.length; kx++) r += wx.weights[kx]! * data[(row + wx.start + kx) * 3 + c]!;
            v += wy.weights[ky]! * r;
          }
          v = Math.min(255, Math.max(0, v));
          out[((b * 3 + c) * S + oy) * S + ox] = (v * rescale - opts.mean[c]!) / opts.std[c]!;
        }
      }
    }
  }
  return out;
}

/** YOLOX letterbox: keep-ratio, non-antialiased bilinear, top-left, padded, BGR planes 0..255. */
export function letterboxReference(image: DecodedImage, width = 640, height = 640, pad = 114): { tensor: Float32Array; scale: number } {
  const r = Math.min(height / image.height, width / image.width);
  const rw = Math.max(1, Math.trunc(image.width * r));
  const rh = Math.max(1, Math.trunc(image.height * r));
  const xs = axisWeights(0, image.width, rw, 0, rw, image.width, 'bilinear', false);
  const ys = axisWeights(0, image.height, rh, 0, rh, image.height, 'bilinear', false);
  const plane = width * height;
  const tensor = new Float32Array(3 * plane).fill(pad);
  for (let y = 0; y < rh; y++) {
    for (let x = 0; x < rw; x++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        ys[y]!.weights.forEach((wy, ky) => {
          xs[x]!.weights.forEach((wx, kx) => {
            v += wy * wx * image.data[((ys[y]!.start + ky) * image.width + xs[x]!.start + kx) * 3 + c]!;
          });
        });
        tensor[(2 - c) * plane + y * width + x] = v; // BGR
      }
    }
  }
  return { tensor, scale: r };
}
