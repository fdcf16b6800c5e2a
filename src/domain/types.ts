// Plain domain types shared by every layer.

/** A box in original-image pixels, top-left origin, x2/y2 exclusive. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** A decoded, upright (EXIF-oriented) image: interleaved RGB bytes. */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

export type GridRegionMethod = { kind: 'none' } | { kind: 'simple'; hn: number; wn: number } | { kind: 'overlap'; hn: number; wn: number };

/** Model-proposed regions: YOLOX detections or DINO attention maps (v1: mean of heads, v2: each head). */
export interface DetectorRegionMethod {
  kind: 'yolox' | 'dino-v1' | 'dino-v2';
  /** Model folder name (resolved to the server default when the index is created). */
  model: string;
  /** At most this many proposals besides the whole image. */
  maxProposals: number;
  /** Class-agnostic NMS IoU threshold. */
  nmsIou: number;
  /** Smallest proposal, as a fraction of the image area. */
  minArea: number;
  /** Largest long-side / short-side ratio of a proposal. */
  maxAspect: number;
}

export type RegionMethod = GridRegionMethod | DetectorRegionMethod;

export type FieldValue = string | number | boolean | null;
export type DocumentFields = Record<string, FieldValue>;
