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

export type RegionMethod =
  | { kind: 'none' }
  | { kind: 'simple'; hn: number; wn: number }
  | { kind: 'overlap'; hn: number; wn: number };

export type FieldValue = string | number | boolean | null;
export type DocumentFields = Record<string, FieldValue>;
