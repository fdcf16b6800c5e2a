// The ONE place that loads the compiled addon. Everything else imports the checked wrappers in src/native/*.ts.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RawSearchResult {
  scores: Float32Array;
  ids: BigInt64Array;
}

export interface RawVectorIndexOptions {
  hnswM?: number;
  nlist?: number;
  pqM?: number;
  refine?: 'none' | 'sq8' | 'sq4';
  trainSize?: number;
}

export interface RawVectorIndex {
  readonly size: number;
  readonly dim: number;
  readonly kind: 'flat' | 'hnsw' | 'hnsw_sq8' | 'ivf_pq';
  /** FAISS index_factory description of what it holds once trained ("IVF1024,PQ32x8,Refine(SQ8)"). */
  readonly factory: string;
  /** False while a compressed kind holds its vectors exactly, below its trainSize. */
  readonly trained: boolean;
  add(vectors: Float32Array, ids: BigInt64Array): Promise<number>;
  remove(ids: BigInt64Array): Promise<number>;
  search(queries: Float32Array, k: number, efSearch: number, nprobe: number, refineFactor: number): Promise<RawSearchResult>;
  searchSubset(queries: Float32Array, ids: BigInt64Array, k: number): Promise<RawSearchResult>;
  save(path: string): Promise<void>;
  contains(id: bigint): boolean;
}

export interface RawDetections {
  boxes: Float32Array;
  scores: Float32Array;
  labels: Int32Array;
}

/** 0 auto (CUDA when a device is present), 1 cpu, 2 cuda. */
export type RawDevice = 0 | 1 | 2;

export interface RawAddon {
  preprocessBatch(
    data: Uint8Array,
    width: number,
    height: number,
    boxes: Float32Array,
    size: number,
    mode: 0 | 1,
    resample: 0 | 1,
    mean: Float32Array,
    std: Float32Array,
    rescale: number,
    device: RawDevice,
  ): Promise<Float32Array>;
  letterbox(
    data: Uint8Array,
    width: number,
    height: number,
    targetWidth: number,
    targetHeight: number,
    pad: number,
  ): Promise<{ tensor: Float32Array; scale: number }>;
  gpuInfo(): { built: boolean; devices: number };
  nms(boxes: Float32Array, scores: Float32Array, iouThreshold: number, maxOutputs: number, scoreThreshold: number, device: RawDevice): Promise<Int32Array>;
  decodeYolox(
    output: Float32Array,
    classes: number,
    inputWidth: number,
    inputHeight: number,
    strides: Int32Array,
    scale: number,
    imageWidth: number,
    imageHeight: number,
    scoreThreshold: number,
  ): Promise<RawDetections>;
  decodeOwl(
    logits: Float32Array,
    predBoxes: Float32Array,
    queries: number,
    imageWidth: number,
    imageHeight: number,
    padToSquare: boolean,
    scoreThreshold: number,
    topK: number,
  ): Promise<RawDetections>;
  attentionToBoxes(
    attentions: Float32Array,
    heads: number,
    gridWidth: number,
    gridHeight: number,
    imageWidth: number,
    imageHeight: number,
    perHead: boolean,
    resolution: number,
    minArea: number,
    maxBoxes: number,
  ): Promise<{ boxes: Float32Array; scores: Float32Array; maps: Int32Array }>;
  dbBoxes(
    prob: Float32Array,
    width: number,
    height: number,
    threshold: number,
    boxThreshold: number,
    unclipRatio: number,
    minSize: number,
    maxCandidates: number,
    scaleX: number,
    scaleY: number,
    imageWidth: number,
    imageHeight: number,
  ): Promise<{ quads: Float32Array; scores: Float32Array; components: number }>;
  ctcDecode(
    probs: Float32Array,
    batch: number,
    steps: number,
    classes: number,
    blank: number,
    space: number,
    spaceThreshold: number,
  ): Promise<{ classes: Int32Array; probs: Float32Array; first: Int32Array; last: Int32Array; offsets: Int32Array }>;
  warpQuads(
    data: Uint8Array,
    width: number,
    height: number,
    quads: Float32Array,
    widths: Int32Array,
    rotate180: Uint8Array,
    outHeight: number,
    batchWidth: number,
    bgr: boolean,
    mean: Float32Array,
    std: Float32Array,
    rescale: number,
  ): Promise<Float32Array>;
  /** FAISS's get_compile_options() of the linked build: "OPTIMIZE AVX2" or "OPTIMIZE GENERIC". */
  faissCompileOptions(): string;
  VectorIndex: {
    new (dim: number, kind: RawVectorIndex['kind'], options: RawVectorIndexOptions): RawVectorIndex;
    load(path: string, kind?: RawVectorIndex['kind'], options?: RawVectorIndexOptions): Promise<RawVectorIndex>;
  };
  [name: string]: unknown;
}

/** The instruction sets FAISS_OPT_LEVEL=avx2 compiles for (-mavx2 -mfma -mf16c -mpopcnt). */
const AVX2_FLAGS = ['avx2', 'fma', 'f16c', 'popcnt'];

/** True when this CPU runs the AVX2 FAISS build (Linux: /proc/cpuinfo; elsewhere: assume not). */
export function cpuHasAvx2(cpuinfo: string | null = readCpuinfo()): boolean {
  const line = cpuinfo?.split('\n').find((l) => l.startsWith('flags'));
  if (!line) return false;
  const flags = new Set(
    line
      .slice(line.indexOf(':') + 1)
      .trim()
      .split(/\s+/),
  );
  return AVX2_FLAGS.every((f) => flags.has(f));
}

function readCpuinfo(): string | null {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
}

export type AddonVariant = 'avx2' | 'generic';

/**
 * Which build to load: `loupe_avx2.node` (FAISS compiled for AVX2) when it was built and the CPU has the flags,
 * else the generic `loupe.node`. LOUPE_FAISS_SIMD=generic forces the generic one.
 */
export function chooseAddon(releaseDir: string, hasAvx2: boolean, forced = process.env.LOUPE_FAISS_SIMD): { path: string; variant: AddonVariant } {
  const avx2 = join(releaseDir, 'loupe_avx2.node');
  if (forced !== 'generic' && hasAvx2 && existsSync(avx2)) return { path: avx2, variant: 'avx2' };
  return { path: join(releaseDir, 'loupe.node'), variant: 'generic' };
}

function findAddon(): { path: string; variant: AddonVariant } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const release = join(dir, 'build', 'Release');
    if (existsSync(join(release, 'loupe.node'))) return chooseAddon(release, cpuHasAvx2());
    dir = dirname(dir);
  }
  throw new Error('Loupe native addon not found: run `npm run build:native` (needs cmake, g++ and libfaiss-dev)');
}

const require = createRequire(import.meta.url);
export const addon: RawAddon = require(process.env.LOUPE_ADDON_PATH ?? findAddon().path) as RawAddon;
/** The loaded build, as FAISS itself reports it: which code paths vector search runs (bench and logs print it). */
export const addonVariant: AddonVariant = addon.faissCompileOptions().includes('AVX2') ? 'avx2' : 'generic';
