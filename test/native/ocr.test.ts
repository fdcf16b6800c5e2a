// The checked wrappers of native/core/ocr: messages for bad arguments, and results through the addon.
import { describe, expect, it } from 'vitest';
import { ctcDecode, dbBoxes, warpQuads } from '../../src/native/ocr.js';

const image = { data: new Uint8Array(8 * 4 * 3).fill(255), width: 8, height: 4, channels: 3 as const };

describe('native OCR wrappers', () => {
  it('dbBoxes: a filled rectangle becomes one quad in original pixels', async () => {
    const prob = new Float32Array(40 * 20);
    for (let y = 8; y < 12; y++) for (let x = 5; x < 35; x++) prob[y * 40 + x] = 0.9;
    const r = await dbBoxes(prob, 40, 20, { scaleX: 2, scaleY: 2, imageWidth: 80, imageHeight: 40 });
    expect(r.components).toBe(1);
    expect(Array.from(r.scores)).toEqual([expect.closeTo(0.9, 5)]);
    const q = Array.from(r.quads);
    // 30 x 4 grown by 30*4*1.5/68 = 2.65 per side, times 2.
    expect(q[0]).toBeCloseTo((5 - 2.647) * 2, 0);
    expect(q[5]).toBeCloseTo((12 + 2.647) * 2, 0);
    await expect(dbBoxes(prob, 40, 21, { scaleX: 1, scaleY: 1, imageWidth: 1, imageHeight: 1 })).rejects.toThrow(
      'Expected width*height = 840 values for prob.length but received 800 of type number',
    );
    await expect(dbBoxes(prob, 40, 20, { scaleX: 0, scaleY: 1, imageWidth: 1, imageHeight: 1 })).rejects.toThrow(/for opts.scaleX but received 0/);
  });

  it('ctcDecode: repeats merged, blanks dropped, spans kept; sizes checked', async () => {
    const probs = new Float32Array([0.1, 0.9, 0.1, 0.9, 0.9, 0.1, 0.1, 0.1, 0.9].map((v) => v));
    // steps: class 1, class 0 (blank), class 2 → [1, 2]
    const r = await ctcDecode(probs, 1, 3, 3);
    expect(Array.from(r.classes)).toEqual([1, 2]);
    expect(Array.from(r.offsets)).toEqual([0, 2]);
    await expect(ctcDecode(probs, 2, 3, 3)).rejects.toThrow('Expected batch*steps*classes = 18 values for probs.length but received 9 of type number');
    // Class 2 as the space: steps 'a', blank with p(space) 0.1 ≥ 0.05, 'a' → a, space, a.
    const spaced = await ctcDecode(new Float32Array([0.1, 0.9, 0, 0.9, 0, 0.1, 0.1, 0.9, 0]), 1, 3, 3, 0, { id: 2, threshold: 0.05 });
    expect(Array.from(spaced.classes)).toEqual([1, 2, 1]);
    await expect(ctcDecode(probs, 1, 3, 3, 0, { id: 5, threshold: 0.1 })).rejects.toThrow('Expected an integer between 0 and 2 for space.id but received 5');
    await expect(ctcDecode(probs, 1, 3, 3, 3)).rejects.toThrow('Expected an integer between 0 and 2 for blank but received 3 of type number');
  });

  it('warpQuads: crops into a padded tensor; widths and quads checked', async () => {
    const quad = new Float32Array([0, 0, 8, 0, 8, 4, 0, 4]);
    const out = await warpQuads(image, quad, { height: 2, batchWidth: 6, widths: [4] });
    expect(out.length).toBe(3 * 2 * 6);
    expect(out[0]).toBeCloseTo(1, 5); // white: (1 - 0.5) / 0.5
    expect(out[5]).toBe(0); // padding
    await expect(warpQuads(image, quad, { height: 2, batchWidth: 6, widths: [7] })).rejects.toThrow(
      'Expected an integer between 1 and 6 for opts.widths[0] but received 7 of type number',
    );
    await expect(warpQuads(image, new Float32Array([0, 0, NaN, 0, 8, 4, 0, 4]), { height: 2, batchWidth: 6, widths: [4] })).rejects.toThrow(
      /Expected finite quad coordinates for quads/,
    );
  });
});
