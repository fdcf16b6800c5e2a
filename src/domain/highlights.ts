// Several highlights per hit: the distinct regions a hit matched in, best first, overlapping ones suppressed.
import { invalidArgument } from './errors.js';
import type { Highlight } from './search.js';
import type { Box } from './types.js';

/** Most highlights a hit can list (`highlights(limit:)`), and how many each first stage keeps per document. */
export const MAX_HIGHLIGHTS = 16;
/** Two boxes of one field overlapping more than this are the same place: only the better one is listed. */
export const HIGHLIGHT_NMS_IOU = 0.5;

export function boxIou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = ix * iy;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Up to `limit` highlights from `ranked` (best first): a box overlapping an already listed box of the same field by
 * IoU > 0.5 is dropped (greedy NMS; the whole-image chunk suppresses nothing smaller than half the image), and a text
 * highlight without a box is listed once per field and text.
 */
export function distinctHighlights(ranked: readonly Highlight[], limit: number): Highlight[] {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HIGHLIGHTS)
    throw invalidArgument(`an integer between 1 and ${MAX_HIGHLIGHTS}`, 'highlights(limit)', limit);
  const kept: Highlight[] = [];
  for (const h of ranked) {
    if (kept.length >= limit) break;
    const same = kept.some((k) =>
      k.field !== h.field ? false : h.box && k.box ? boxIou(h.box, k.box) > HIGHLIGHT_NMS_IOU : !h.box && !k.box && k.text === h.text,
    );
    if (!same) kept.push(h);
  }
  return kept;
}
