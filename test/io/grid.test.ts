// Grid region methods: Marqo's string forms, parameter checks, and boxes that tile the image exactly.
import { describe, expect, it } from 'vitest';
import type { Box, GridRegionMethod } from '../../src/domain/types.js';
import { formatRegionMethod, parseRegionMethod, proposeGridRegions } from '../../src/localize/grid.js';

const area = (b: Box) => (b.x2 - b.x1) * (b.y2 - b.y1);

describe('parseRegionMethod', () => {
  it('reads Marqo string forms with 3 × 3 defaults', () => {
    expect(parseRegionMethod('none')).toEqual({ kind: 'none' });
    expect(parseRegionMethod('simple')).toEqual({ kind: 'simple', hn: 3, wn: 3 });
    expect(parseRegionMethod('simple?hn=2&wn=3')).toEqual({ kind: 'simple', hn: 2, wn: 3 });
    expect(parseRegionMethod('overlap')).toEqual({ kind: 'overlap', hn: 3, wn: 3 });
    expect(parseRegionMethod('overlap?wn=5')).toEqual({ kind: 'overlap', hn: 3, wn: 5 });
    expect(parseRegionMethod(' Simple?hn=16 ')).toEqual({ kind: 'simple', hn: 16, wn: 3 });
  });

  it('reads the structured form', () => {
    expect(parseRegionMethod({ method: 'simple', hn: 2, wn: 4 })).toEqual({ kind: 'simple', hn: 2, wn: 4 });
    expect(parseRegionMethod({ method: 'overlap' })).toEqual({ kind: 'overlap', hn: 3, wn: 3 });
    expect(parseRegionMethod({ method: 'none' })).toEqual({ kind: 'none' });
  });

  it('refuses anything else with a clear INVALID_INPUT message', () => {
    const cases: Array<[Parameters<typeof parseRegionMethod>[0], string]> = [
      ['yolo', 'Expected one of none, simple, overlap for region method but received "yolo" of type string'],
      ['', 'Expected one of none, simple, overlap for region method but received "" of type string'],
      ['simple?hn=0', 'Expected an integer from 1 to 16 for hn but received 0 of type number'],
      ['simple?wn=17', 'Expected an integer from 1 to 16 for wn but received 17 of type number'],
      ['simple?hn=2.5', 'Expected an integer from 1 to 16 for hn but received "2.5" of type string'],
      ['simple?hn=', 'Expected an integer from 1 to 16 for hn but received "" of type string'],
      ['simple?hn=2&hn=3', 'Parameter "hn" is given twice in region method "simple?hn=2&hn=3"'],
      ['simple?size=3', 'Unknown parameter "size" in region method "simple?size=3"; expected hn and/or wn'],
      ['simple?hn', 'Expected key=value parameters in region method "simple?hn" but found "hn"'],
      ['none?hn=2', 'Region method "none" takes no hn/wn parameters (none?hn=2)'],
      [{ method: 'simple', hn: -1 }, 'Expected an integer from 1 to 16 for hn but received -1 of type number'],
      [{ method: 'simple', wn: '3' as unknown as number }, 'Expected an integer from 1 to 16 for wn but received "3" of type string'],
      [{ method: 'simple?hn=2' }, 'Expected one of none, simple, overlap for region method but received "simple?hn=2" of type string'],
      [{ method: 'none', hn: 2 }, 'Region method "none" takes no hn/wn parameters ({"method":"none","hn":2})'],
      [null as never, 'Expected a region method string or { method, hn?, wn? } for region method but received null of type null'],
    ];
    for (const [input, message] of cases) {
      let error: unknown;
      try {
        parseRegionMethod(input);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(input)).toMatchObject({ code: 'INVALID_INPUT', message });
    }
  });

  it('formats to a string that parses back to the same method', () => {
    const methods: GridRegionMethod[] = [{ kind: 'none' }, { kind: 'simple', hn: 2, wn: 3 }, { kind: 'overlap', hn: 3, wn: 3 }];
    expect(methods.map(formatRegionMethod)).toEqual(['none', 'simple?hn=2&wn=3', 'overlap?hn=3&wn=3']);
    for (const m of methods) expect(parseRegionMethod(formatRegionMethod(m))).toEqual(m);
  });
});

describe('proposeGridRegions', () => {
  const sizes: Array<[number, number]> = [
    [640, 480],
    [101, 37],
    [1, 1],
    [2, 300],
    [4000, 3000],
    [7, 7],
  ];

  it('matches Marqo chunk counts', () => {
    const count = (m: string) => proposeGridRegions(parseRegionMethod(m), 640, 480).length;
    expect(count('none')).toBe(1);
    expect(count('simple')).toBe(10);
    expect(count('simple?hn=2&wn=3')).toBe(7);
    expect(count('overlap')).toBe(14); // 1 + 9 + 2·2
    expect(count('overlap?hn=2&wn=3')).toBe(9); // 1 + 6 + 1·2
    expect(count('overlap?hn=1&wn=4')).toBe(5); // one row: nothing to shift into
    expect(count('simple?hn=16&wn=16')).toBe(257);
  });

  it('puts the whole image first and keeps every box inside the image and non-empty', () => {
    for (const [w, h] of sizes) {
      for (const m of ['none', 'simple', 'overlap?hn=5&wn=2', 'overlap?hn=16&wn=16']) {
        const boxes = proposeGridRegions(parseRegionMethod(m), w, h);
        expect(boxes[0]).toEqual({ x1: 0, y1: 0, x2: w, y2: h });
        for (const b of boxes) {
          expect(Number.isInteger(b.x1) && Number.isInteger(b.y1) && Number.isInteger(b.x2) && Number.isInteger(b.y2)).toBe(true);
          expect(b.x1 >= 0 && b.y1 >= 0 && b.x2 <= w && b.y2 <= h, `${m} ${w}x${h} ${JSON.stringify(b)}`).toBe(true);
          expect(b.x2 > b.x1 && b.y2 > b.y1, `${m} ${w}x${h} ${JSON.stringify(b)}`).toBe(true);
        }
      }
    }
  });

  it('tiles the image exactly with the grid, row-major', () => {
    for (const [w, h] of sizes) {
      const method = parseRegionMethod('simple?hn=3&wn=4');
      const grid = proposeGridRegions(method, w, h).slice(1);
      expect(
        grid.reduce((s, b) => s + area(b), 0),
        `${w}x${h}`,
      ).toBe(w * h);
      for (let i = 1; i < grid.length; i++) {
        const prev = grid[i - 1] as Box;
        const cur = grid[i] as Box;
        // Same row: continues where the previous cell ended; new row: starts at x = 0 below it.
        if (cur.y1 === prev.y1) expect(cur.x1).toBe(prev.x2);
        else expect([cur.x1, cur.y1]).toEqual([0, prev.y2]);
      }
    }
    expect(proposeGridRegions(parseRegionMethod('simple?hn=2&wn=3'), 300, 200).slice(1)).toEqual([
      { x1: 0, y1: 0, x2: 100, y2: 100 },
      { x1: 100, y1: 0, x2: 200, y2: 100 },
      { x1: 200, y1: 0, x2: 300, y2: 100 },
      { x1: 0, y1: 100, x2: 100, y2: 200 },
      { x1: 100, y1: 100, x2: 200, y2: 200 },
      { x1: 200, y1: 100, x2: 300, y2: 200 },
    ]);
  });

  it('adds cells shifted half a cell right and down after the grid for overlap', () => {
    const simple = proposeGridRegions(parseRegionMethod('simple'), 300, 300);
    const overlap = proposeGridRegions(parseRegionMethod('overlap'), 300, 300);
    expect(overlap.slice(0, simple.length)).toEqual(simple);
    expect(overlap.slice(simple.length)).toEqual([
      { x1: 50, y1: 50, x2: 150, y2: 150 },
      { x1: 150, y1: 50, x2: 250, y2: 150 },
      { x1: 50, y1: 150, x2: 150, y2: 250 },
      { x1: 150, y1: 150, x2: 250, y2: 250 },
    ]);
  });

  it('gives tiny images one cell per pixel at most', () => {
    expect(proposeGridRegions(parseRegionMethod('simple'), 1, 1)).toHaveLength(2);
    expect(proposeGridRegions(parseRegionMethod('overlap?hn=4&wn=4'), 2, 300)).toHaveLength(1 + 8 + 3);
  });

  it('checks its arguments', () => {
    expect(() => proposeGridRegions({ kind: 'none' }, 0, 10)).toThrow('Expected a positive integer for width but received 0 of type number');
    expect(() => proposeGridRegions({ kind: 'simple', hn: 3, wn: 99 }, 10, 10)).toThrow('Expected an integer from 1 to 16 for wn');
  });
});
