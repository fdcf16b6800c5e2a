// One search hit: its image with the highlight box (and optionally every region) drawn over it, its scores, and a
// dialog with the document's fields. Boxes are placed in percentages of the original image size, so they stay on
// the object at any rendered size.
import type { PageSearchQuery } from '../client/generated/graphql.js';
import { showMedia } from './api.js';
import { formatScore, h } from './dom.js';

type SearchResponse = Extract<PageSearchQuery['search'], { __typename: 'SearchResponse' }>;
export type Hit = SearchResponse['hits'][number];
type Box = { x1: number; y1: number; x2: number; y2: number };

const describeBox = (b: Box) => `${b.x1},${b.y1} to ${b.x2},${b.y2}`;

/** The image field a hit is shown by: the one its best highlight boxes, else its first image. */
function shownField(hit: Hit): Hit['media'][number] | undefined {
  const boxed = hit.highlights.find((x) => x.box);
  return hit.media.find((m) => m.field === boxed?.field) ?? hit.media[0];
}

function drawBox(frame: HTMLElement, box: Box, size: { width: number; height: number }, kind: 'highlight' | 'also' | 'region'): HTMLElement {
  const el = h('div', { class: `box ${kind}`, 'aria-hidden': 'true', 'data-box': `${box.x1},${box.y1},${box.x2},${box.y2}` });
  // Set through the CSSOM (allowed by the page's style-src 'self' policy, unlike style attributes).
  el.style.left = `${(box.x1 / size.width) * 100}%`;
  el.style.top = `${(box.y1 / size.height) * 100}%`;
  el.style.width = `${((box.x2 - box.x1) / size.width) * 100}%`;
  el.style.height = `${((box.y2 - box.y1) / size.height) * 100}%`;
  frame.append(el);
  return el;
}

/** The image with its boxes, or a text-only placeholder for a document without images. */
export function hitFigure(index: string, hit: Hit, showRegions: boolean): HTMLElement {
  const media = shownField(hit);
  if (!media) return h('div', { class: 'frame no-image' }, 'text only');
  const frame = h('div', { class: 'frame' });
  frame.style.aspectRatio = `${media.width} / ${media.height}`;
  const img = h('img', { alt: '', loading: 'lazy', decoding: 'async', width: media.width, height: media.height });
  showMedia(img, index, hit.id, media);
  frame.append(img);
  if (showRegions) {
    for (const r of hit.document.regions ?? []) {
      if (r.kind === 'image' && r.field === media.field && r.box && r.position > 0) drawBox(frame, r.box, media, 'region');
    }
  }
  const best = hit.highlights.filter((x) => x.box && x.field === media.field);
  for (const x of best) drawBox(frame, x.box!, media, 'highlight');
  // The other distinct places it matched (highlights(limit: 5)), drawn lighter.
  const same = (a: Box, b: Box) => a.x1 === b.x1 && a.y1 === b.y1 && a.x2 === b.x2 && a.y2 === b.y2;
  for (const x of hit.places) {
    if (x.box && x.field === media.field && !best.some((b) => same(b.box!, x.box!))) drawBox(frame, x.box, media, 'also');
  }
  return frame;
}

function scoreLines(hit: Hit): HTMLElement {
  const rows: [string, string][] = [['score', formatScore(hit.score)]];
  if (hit.tensorScore !== null) rows.push(['tensor', formatScore(hit.tensorScore)]);
  if (hit.lexicalScore !== null) rows.push(['lexical', formatScore(hit.lexicalScore)]);
  if (hit.retrievalScore !== null) rows.push(['first stage', formatScore(hit.retrievalScore)]);
  if (hit.rerankStatus)
    rows.push(['rerank', hit.rerankStatus === 'RERANKED' ? 'reranked' : `image unavailable${hit.rerankMessage ? `: ${hit.rerankMessage}` : ''}`]);
  return h('dl', { class: 'scores' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function highlightText(hit: Hit): string {
  const one = (x: Hit['places'][number]) => {
    if (!x.box) return `${x.field}: “${(x.text ?? '').slice(0, 80)}”`;
    const at = `${x.field} [${describeBox(x.box)}]`;
    // Text read inside the image: the words that matched, in their line.
    if (x.text === null) return at;
    return x.matched?.length ? `“${x.matched.join(' ')}” in “${x.text.slice(0, 80)}” at ${at}` : `“${x.text.slice(0, 80)}” at ${at}`;
  };
  const extra = hit.places.length > hit.highlights.length ? ` (+${hit.places.length - hit.highlights.length} more places)` : '';
  return hit.highlights.map(one).join('; ') + extra;
}

export function hitCard(index: string, hit: Hit, rank: number, showRegions: boolean, open: (hit: Hit) => void): HTMLElement {
  const label = `Hit ${rank}: ${hit.id}, score ${formatScore(hit.score)}. Matched ${highlightText(hit) || 'document'}. Show fields`;
  return h(
    'li',
    { class: 'hit', 'data-id': hit.id },
    h(
      'button',
      { type: 'button', class: 'hit-open', 'aria-haspopup': 'dialog', 'aria-label': label, onclick: () => open(hit) },
      hitFigure(index, hit, showRegions),
    ),
    h('div', { class: 'hit-meta' }, h('p', { class: 'hit-id' }, `${rank}. ${hit.id}`), scoreLines(hit), h('p', { class: 'where' }, highlightText(hit))),
  );
}

/** Fills the shared dialog with one hit: a larger image with its boxes, the scores and every document field. */
export function showHitDialog(dialog: HTMLDialogElement, index: string, hit: Hit, showRegions: boolean): void {
  const fields = (hit.document.fields ?? {}) as Record<string, unknown>;
  const close = h('button', { type: 'button', class: 'close', onclick: () => dialog.close() }, 'Close');
  dialog.replaceChildren(
    h('h2', { id: 'hit-dialog-title' }, hit.id),
    hitFigure(index, hit, showRegions),
    scoreLines(hit),
    h('h3', {}, 'Where it matched'),
    h('p', {}, highlightText(hit) || '–'),
    h('h3', {}, 'Fields'),
    h('dl', { class: 'fields' }, ...Object.entries(fields).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, typeof v === 'string' ? v : JSON.stringify(v))])),
    h('h3', {}, 'Images'),
    h('ul', {}, ...hit.media.map((m) => h('li', {}, `${m.field}: ${m.width}×${m.height} px (${m.source})`))),
    close,
  );
  dialog.setAttribute('aria-labelledby', 'hit-dialog-title');
  dialog.showModal();
  close.focus();
}
