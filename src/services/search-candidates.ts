// The first stage's ranked candidates (one per document, with the places it matched) and how TENSOR and LEXICAL
// lists become one: reciprocal-rank fusion for HYBRID, and a full-text match as a highlight.
import type { Highlight } from '../domain/search.js';
import type { LexicalMatch } from '../repositories/document-repository.js';

const RRF_K = 60;

export interface Candidate {
  documentPk: bigint;
  score: number;
  tensorScore: number | null;
  lexicalScore: number | null;
  highlights: Highlight[];
  /** Every chunk this stage matched in the document, best first (up to MAX_HIGHLIGHTS; see SearchHit.allHighlights). */
  all: Highlight[];
}

/**
 * A full-text match as a highlight: a text field's text; for a line read inside an image (OCR) the box of the words
 * that matched (their union; the line's box when no single word carries a query lexeme, e.g. a phrase split oddly).
 */
export function lexicalHighlight(r: LexicalMatch): Highlight {
  if (!r.ocr || !r.box) return { field: r.field, box: null, text: r.text };
  const words = r.matchedWords.map((i) => r.ocr!.words[i]).filter((w) => w !== undefined);
  if (!words.length) return { field: r.field, box: r.box, text: r.text, matched: null, confidence: r.ocr.confidence };
  const box = {
    x1: Math.min(...words.map((w) => w.box[0])),
    y1: Math.min(...words.map((w) => w.box[1])),
    x2: Math.max(...words.map((w) => w.box[2])),
    y2: Math.max(...words.map((w) => w.box[3])),
  };
  return { field: r.field, box, text: r.text, matched: words.map((w) => w.text), confidence: r.ocr.confidence };
}

/** Reciprocal-rank fusion of two ranked lists; highlights of both are kept (image box first). */
export function fuse(tensor: Candidate[], lexical: Candidate[]): Candidate[] {
  const out = new Map<bigint, Candidate>();
  const add = (list: Candidate[], kind: 'tensor' | 'lexical') =>
    list.forEach((c, rank) => {
      const prev = out.get(c.documentPk);
      const rrf = 1 / (RRF_K + rank + 1);
      if (!prev) {
        out.set(c.documentPk, { ...c, score: rrf, highlights: [...c.highlights], all: [...c.all] });
        return;
      }
      prev.score += rrf;
      if (kind === 'lexical') prev.lexicalScore = c.lexicalScore;
      else prev.tensorScore = c.tensorScore;
      prev.highlights.push(...c.highlights);
      // Best of each stage first, then the second of each, ...
      const a = prev.all;
      const b = c.all;
      prev.all = Array.from({ length: Math.max(a.length, b.length) }, (_, i) => [a[i], b[i]])
        .flat()
        .filter((h): h is Highlight => h !== undefined);
    });
  add(tensor, 'tensor');
  add(lexical, 'lexical');
  return [...out.values()].sort((a, b) => b.score - a.score || (a.documentPk < b.documentPk ? -1 : 1));
}
