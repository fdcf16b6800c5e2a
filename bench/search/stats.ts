// Small helpers shared by the search benchmarks.
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Unit vectors around `centers` random directions (an embedding-like, clustered set), deterministic per seed. */
export function clusteredUnitVectors(n: number, dim: number, rnd: () => number, centers: Float32Array, noise = 0.6): Float32Array {
  const nc = centers.length / dim;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rnd() * nc);
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      // Box–Muller would be slower; the sum of two uniforms is close enough to a bell for noise.
      const x = centers[c * dim + j]! + ((noise * (rnd() + rnd() - 1)) / Math.sqrt(dim)) * 2;
      out[i * dim + j] = x;
      norm += x * x;
    }
    norm = Math.sqrt(norm);
    for (let j = 0; j < dim; j++) out[i * dim + j] = out[i * dim + j]! / norm;
  }
  return out;
}

export function randomUnitVectors(n: number, dim: number, rnd: () => number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (out[i * dim + j] = rnd() * 2 - 1) ** 2;
    norm = Math.sqrt(norm);
    for (let j = 0; j < dim; j++) out[i * dim + j] = out[i * dim + j]! / norm;
  }
  return out;
}

export const ms = (x: number) => x.toFixed(2).padStart(7);
