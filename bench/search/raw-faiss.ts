// One FAISS build through the addon (run once per build by bench/search/index.ts, LOUPE_FAISS_SIMD choosing it):
// flat top-k over 100k × 256-d, and an HNSW32 build. Prints one JSON line.
import { addonVariant } from '../../src/native/addon.js';
import { VectorIndex } from '../../src/native/vector-index.js';
import { mulberry32 } from '../../src/demo/scenes.js';
import { percentile, randomUnitVectors } from './stats.js';

const dim = 256;
const flatN = Number(process.env.LOUPE_BENCH_RAW_FLAT ?? 100_000);
const hnswN = Number(process.env.LOUPE_BENCH_RAW_HNSW ?? 10_000);
const rnd = mulberry32(11);
const flat = VectorIndex.create(dim, 'flat');
await flat.add(
  randomUnitVectors(flatN, dim, rnd),
  BigInt64Array.from({ length: flatN }, (_, i) => BigInt(i)),
);
const times: number[] = [];
for (let q = 0; q < 60; q++) {
  const v = randomUnitVectors(1, dim, rnd);
  const t0 = performance.now();
  await flat.search(v, 176);
  times.push(performance.now() - t0);
}
const hnsw = VectorIndex.create(dim, 'hnsw', 32);
const vectors = randomUnitVectors(hnswN, dim, rnd);
const t0 = performance.now();
await hnsw.add(
  vectors,
  BigInt64Array.from({ length: hnswN }, (_, i) => BigInt(i)),
);
const buildS = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ variant: addonVariant, flatN, flatP50: percentile(times.slice(10), 50), hnswN, buildS }));
