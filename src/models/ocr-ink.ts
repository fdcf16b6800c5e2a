// Ink-tight word boxes. A word's quad (a slice of the detector's line quad, padded by DB's unclip and split halfway
// between words) is often twice the height of the letters; a highlight should hug the word. Inside the quad, the
// pixels split into two classes by Otsu's threshold on luminance; the class that dominates the quad's border is the
// background, the other the ink, and the box is the ink's bounds. When the split is not clear (photos, gradients,
// low contrast) the quad's own bounds stay.
import type { Box, DecodedImage } from '../domain/types.js';

/** Below this between-class separation (share of the total variance) the split is not trusted: two-tone text
 * gives 0.9 and more, uniform noise 0.75, Gaussian noise 0.64. */
const MIN_SEPARATION = 0.8;
/** Ink must be this share of the quad's pixels (letters are neither specks nor solid blocks). */
const INK_SHARE = [0.03, 0.65] as const;
/** A row or column belongs to the word when it holds this share of the fullest one's ink. */
const PROFILE_SHARE = 0.04;

function insideQuad(q: ArrayLike<number>, x: number, y: number): boolean {
  // Convex quad in order (top-left, top-right, bottom-right, bottom-left): the same side of every edge.
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const ax = q[2 * i]!;
    const ay = q[2 * i + 1]!;
    const bx = q[(2 * i + 2) % 8]!;
    const by = q[(2 * i + 3) % 8]!;
    const cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
    if (cross === 0) continue;
    const s = cross > 0 ? 1 : -1;
    if (sign === 0) sign = s;
    else if (s !== sign) return false;
  }
  return true;
}

/**
 * The bounds of the ink inside `quad` (8 numbers, pixel coordinates of `image`), or null when the quad holds no clear
 * two-tone text. Bounds are in `image` pixels, one pixel of margin, clipped to the quad's bounds.
 */
export function inkBounds(image: DecodedImage, quad: ArrayLike<number>): Box | null {
  const xs = [quad[0]!, quad[2]!, quad[4]!, quad[6]!];
  const ys = [quad[1]!, quad[3]!, quad[5]!, quad[7]!];
  const x0 = Math.max(0, Math.floor(Math.min(...xs)));
  const y0 = Math.max(0, Math.floor(Math.min(...ys)));
  const x1 = Math.min(image.width, Math.ceil(Math.max(...xs)));
  const y1 = Math.min(image.height, Math.ceil(Math.max(...ys)));
  if (x1 - x0 < 3 || y1 - y0 < 3) return null;
  const w = x1 - x0;
  const lum = new Float32Array(w * (y1 - y0)).fill(-1);
  const hist = new Float64Array(256);
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      if (!insideQuad(quad, x + 0.5, y + 0.5)) continue;
      const p = (y * image.width + x) * 3;
      const l = Math.round(0.299 * image.data[p]! + 0.587 * image.data[p + 1]! + 0.114 * image.data[p + 2]!);
      lum[(y - y0) * w + (x - x0)] = l;
      hist[l]! += 1;
      n++;
    }
  }
  if (n < 16) return null;
  // Otsu: the threshold that maximizes the between-class variance.
  let total = 0;
  for (let i = 0; i < 256; i++) total += i * hist[i]!;
  const mean = total / n;
  let variance = 0;
  for (let i = 0; i < 256; i++) variance += hist[i]! * (i - mean) ** 2;
  variance /= n;
  if (variance < 1) return null;
  let best = -1;
  let threshold = 0;
  let wB = 0;
  let sumB = 0;
  for (let t = 0; t < 255; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = n - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const between = (wB / n) * (wF / n) * (sumB / wB - (total - sumB) / wF) ** 2;
    if (between > best) {
      best = between;
      threshold = t;
    }
  }
  if (best / variance < MIN_SEPARATION) return null;
  // The background is the class most of the quad's border pixels belong to.
  let darkBorder = 0;
  let border = 0;
  const h = y1 - y0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l = lum[y * w + x]!;
      if (l < 0) continue;
      const edge = x === 0 || y === 0 || x === w - 1 || y === h - 1 || lum[y * w + x - 1]! < 0 || lum[y * w + x + 1]! < 0 || lum[(y - 1) * w + x]! < 0 || lum[(y + 1) * w + x]! < 0;
      if (!edge) continue;
      border++;
      if (l <= threshold) darkBorder++;
    }
  }
  const inkIsDark = darkBorder * 2 < border;
  // Row and column profiles of the ink: bounds where they rise above a small share of their peak, so a stray speck
  // (JPEG ringing, a neighbour line's descender in a corner of a rotated quad) does not stretch the box.
  const rows = new Float64Array(h);
  const cols = new Float64Array(w);
  let ink = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l = lum[y * w + x]!;
      if (l < 0 || l <= threshold !== inkIsDark) continue;
      ink++;
      rows[y]! += 1;
      cols[x]! += 1;
    }
  }
  if (ink < INK_SHARE[0] * n || ink > INK_SHARE[1] * n) return null;
  const span = (profile: Float64Array): [number, number] => {
    const floor = Math.max(2, PROFILE_SHARE * Math.max(...profile));
    let lo = 0;
    while (lo < profile.length && profile[lo]! < floor) lo++;
    let hi = profile.length - 1;
    while (hi > lo && profile[hi]! < floor) hi--;
    return [lo, hi];
  };
  const [by0, by1] = span(rows);
  const [bx0, bx1] = span(cols);
  return {
    x1: Math.max(x0, x0 + bx0 - 1),
    y1: Math.max(y0, y0 + by0 - 1),
    x2: Math.min(x1, x0 + bx1 + 2),
    y2: Math.min(y1, y0 + by1 + 2),
  };
}
