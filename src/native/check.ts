// Argument checks shared by the native wrappers: one message template (invalidArgument), run once, before the addon.
import { invalidArgument } from '../domain/errors.js';
import type { DecodedImage } from '../domain/types.js';

/** Most pixels an image handed to the addon may have (a decoded 16k x 16k image). */
export const MAX_PIXELS = 1 << 28;
/** Most float32 elements one native output tensor may hold (1 GiB). */
export const MAX_TENSOR_ELEMENTS = 1 << 28;

export type NativeDevice = 'auto' | 'cpu' | 'cuda';

export function deviceCode(device: unknown, name: string): 0 | 1 | 2 {
  if (device === undefined || device === 'auto') return 0;
  if (device === 'cpu') return 1;
  if (device === 'cuda') return 2;
  throw invalidArgument("one of 'auto', 'cpu', 'cuda'", name, device);
}

export function checkInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(`an integer between ${min} and ${max}`, name, value);
  }
  return value;
}

export function checkNumber(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = min === -Infinity && max === Infinity ? '' : ` between ${min} and ${max}`;
    throw invalidArgument(`a finite number${range}`, name, value);
  }
  return value;
}

export function checkImage(image: unknown, name = 'image'): DecodedImage {
  if (typeof image !== 'object' || image === null) throw invalidArgument('a DecodedImage object', name, image);
  const img = image as Partial<DecodedImage>;
  if (!(img.data instanceof Uint8Array)) throw invalidArgument('a Uint8Array', `${name}.data`, img.data);
  checkInteger(img.width, `${name}.width`, 1, MAX_PIXELS);
  checkInteger(img.height, `${name}.height`, 1, MAX_PIXELS);
  if (img.channels !== 3) throw invalidArgument('3 (RGB)', `${name}.channels`, img.channels);
  const w = img.width as number;
  const h = img.height as number;
  if (w * h > MAX_PIXELS) throw invalidArgument(`at most ${MAX_PIXELS} pixels`, `${name}.width*height`, w * h);
  if (img.data.length !== w * h * 3) {
    throw invalidArgument(`a length of width*height*3 = ${w * h * 3}`, `${name}.data.length`, img.data.length);
  }
  return img as DecodedImage;
}

export function checkFloat32Array(value: unknown, name: string, multipleOf = 1, maxLength = MAX_TENSOR_ELEMENTS): Float32Array {
  if (!(value instanceof Float32Array)) throw invalidArgument('a Float32Array', name, value);
  if (value.length % multipleOf !== 0) {
    throw invalidArgument(`a length that is a multiple of ${multipleOf}`, `${name}.length`, value.length);
  }
  if (value.length > maxLength) throw invalidArgument(`a length of at most ${maxLength}`, `${name}.length`, value.length);
  return value;
}

export function checkTriple(value: unknown, name: string, positive: boolean): Float32Array {
  if (!Array.isArray(value) || value.length !== 3) throw invalidArgument('an array of 3 numbers', name, value);
  value.forEach((v, i) => checkNumber(v, `${name}[${i}]`));
  if (positive && value.some((v: number) => v <= 0)) throw invalidArgument('3 positive numbers', name, value);
  return Float32Array.from(value as number[]);
}

/** Boxes must be finite; each box clipped to the image must keep a positive area. Returns the box count. */
export function checkBoxesInImage(boxes: Float32Array, name: string, width: number, height: number): number {
  const n = boxes.length / 4;
  for (let i = 0; i < n; i++) {
    const b = boxes.subarray(4 * i, 4 * i + 4);
    if (!b.every(Number.isFinite)) throw invalidArgument('finite box coordinates', `${name}[${i}]`, Array.from(b));
    const x1 = Math.min(Math.max(b[0]!, 0), width);
    const x2 = Math.min(Math.max(b[2]!, 0), width);
    const y1 = Math.min(Math.max(b[1]!, 0), height);
    const y2 = Math.min(Math.max(b[3]!, 0), height);
    if (!(x2 > x1 && y2 > y1)) {
      throw invalidArgument(`a box [x1,y1,x2,y2] with positive area after clipping to the ${width}x${height} image`, `${name}[${i}]`, Array.from(b));
    }
  }
  return n;
}
