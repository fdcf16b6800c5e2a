import type { Box } from '../../domain/types.js';
import type { Highlight } from '../../domain/search.js';
import { builder } from '../builder.js';

export const BoxRef = builder.objectRef<Box>('Box').implement({
  description: 'A box in original-image pixels, top-left origin: [x1, y1) × [y1, y2)',
  fields: (t) => ({
    x1: t.exposeInt('x1'),
    y1: t.exposeInt('y1'),
    x2: t.exposeInt('x2'),
    y2: t.exposeInt('y2'),
  }),
});

export const HighlightRef = builder.objectRef<Highlight>('Highlight').implement({
  description: 'Where a hit matched: an image region (box), a text field (text), or text read inside an image (box and text)',
  fields: (t) => ({
    field: t.exposeString('field'),
    box: t.field({ type: BoxRef, nullable: true, resolve: (h) => h.box }),
    text: t.exposeString('text', { nullable: true }),
    matched: t.stringList({
      nullable: true,
      description: 'Text read inside an image (OCR): the words of `text` that matched the query; `box` is their box',
      resolve: (h) => h.matched ?? null,
    }),
    confidence: t.float({ nullable: true, description: 'Text read inside an image (OCR): the recognizer confidence', resolve: (h) => h.confidence ?? null }),
  }),
});
