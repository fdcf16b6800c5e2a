// distinctHighlights: up to N places per hit, best first, overlapping boxes of one field suppressed.
import { describe, expect, it } from 'vitest';
import { boxIou, distinctHighlights } from '../../src/domain/highlights.js';
import type { Highlight } from '../../src/domain/search.js';

const box = (x1: number, y1: number, x2: number, y2: number, field = 'image', text: string | null = null): Highlight => ({
  field,
  box: { x1, y1, x2, y2 },
  text,
});

describe('distinctHighlights', () => {
  it('keeps the best of overlapping boxes and the order of the rest', () => {
    const ranked = [box(0, 0, 100, 100), box(10, 10, 100, 100), box(200, 0, 300, 50), box(0, 0, 100, 100, 'photo'), box(205, 0, 300, 52)];
    expect(distinctHighlights(ranked, 16)).toEqual([ranked[0], ranked[2], ranked[3]]);
    expect(distinctHighlights(ranked, 2)).toEqual([ranked[0], ranked[2]]);
  });

  it('lists a text match once per field and text, beside boxes', () => {
    const t = (text: string): Highlight => ({ field: 'caption', box: null, text });
    expect(distinctHighlights([t('a red ball'), box(0, 0, 10, 10), t('a red ball'), t('ball')], 5)).toEqual([t('a red ball'), box(0, 0, 10, 10), t('ball')]);
  });

  it('refuses a limit outside 1-16', () => {
    expect(() => distinctHighlights([], 0)).toThrow('Expected an integer between 1 and 16 for highlights(limit) but received 0 of type number');
    expect(() => distinctHighlights([], 17)).toThrow(/received 17/);
  });

  it('boxIou', () => {
    expect(boxIou({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 5, y1: 0, x2: 15, y2: 10 })).toBeCloseTo(1 / 3, 10);
    expect(boxIou({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 20, y1: 20, x2: 30, y2: 30 })).toBe(0);
  });
});
