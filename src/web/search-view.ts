// The search page: pick an index, type (results follow the typing) or drop an image, choose the method, rerank and
// region display; hits in a grid with their boxes. Every control is a labelled form element, so it works by keyboard.
import { PageIndexesDocument, PageSearchDocument, type PageIndexesQuery, type SearchInput, type SearchMethod } from '../client/generated/graphql.js';
import { ApiError, gql, type FilePart } from './api.js';
import { failureView, isKeyProblem } from './api-key.js';
import { debounce, h } from './dom.js';
import { hitCard, showHitDialog, type Hit } from './hit-card.js';

interface SearchState {
  index: string;
  q: string;
  image: File | null;
  method: SearchMethod;
  rerank: boolean;
  regions: boolean;
  /** TENSOR only: match image regions only (boxes on every hit) or every field (text chunks may win). */
  imagesOnly: boolean;
  limit: number;
}

const METHODS: [SearchMethod, string][] = [
  ['TENSOR', 'Tensor (images)'],
  ['LEXICAL', 'Lexical (text)'],
  ['HYBRID', 'Hybrid'],
];

export async function renderSearch(main: HTMLElement, params: URLSearchParams): Promise<void> {
  let indexes: PageIndexesQuery['indexes'] = [];
  try {
    indexes = (await gql(PageIndexesDocument, {})).indexes;
  } catch (e) {
    main.replaceChildren(h('h1', {}, 'Search'), failureView(e));
    return;
  }
  const state: SearchState = {
    index: indexes.some((i) => i.name === params.get('index')) ? params.get('index')! : (indexes[0]?.name ?? ''),
    q: params.get('q') ?? '',
    image: null,
    method: 'TENSOR',
    rerank: false,
    regions: false,
    imagesOnly: true,
    limit: 24,
  };
  if (!indexes.length) {
    main.replaceChildren(h('h1', {}, 'Search'), h('p', {}, 'There is no index yet. ', h('a', { href: '#/indexes' }, 'Create one and add images'), '.'));
    return;
  }

  const status = h('p', { id: 'search-status', class: 'status', role: 'status', 'aria-live': 'polite' });
  const results = h('ul', { id: 'hits', class: 'grid', 'aria-label': 'Hits' });
  const dialog = h('dialog', { id: 'hit-dialog', class: 'hit-dialog' });
  const indexSelect = h(
    'select',
    { id: 'index', name: 'index' },
    ...indexes.map((i) => h('option', { value: i.name, selected: i.name === state.index }, `${i.name} (${i.documentCount})`)),
  );
  const q = h('input', { id: 'q', name: 'q', type: 'search', value: state.q, autocomplete: 'off', placeholder: 'e.g. duck', 'aria-describedby': 'q-help' });
  const methodSelect = h('select', { id: 'method', name: 'method' }, ...METHODS.map(([v, label]) => h('option', { value: v }, label)));
  const scope = h('select', { id: 'scope', name: 'scope' }, h('option', { value: 'images' }, 'Images'), h('option', { value: 'all' }, 'All fields'));
  const rerank = h('input', { id: 'rerank', name: 'rerank', type: 'checkbox' });
  const regions = h('input', { id: 'regions', name: 'regions', type: 'checkbox' });
  const imageInput = h('input', { id: 'image', name: 'image', type: 'file', accept: 'image/*' });
  const imageName = h('span', { class: 'image-name', 'aria-live': 'polite' });
  const clearImage = h('button', { type: 'button', hidden: true }, 'Clear image');

  let sequence = 0;
  let lastHits: Hit[] = [];
  const draw = () => {
    results.replaceChildren(
      ...lastHits.map((hit, i) => hitCard(state.index, hit, i + 1, state.regions, (x) => showHitDialog(dialog, state.index, x, state.regions))),
    );
  };

  async function run(): Promise<void> {
    const mine = ++sequence;
    const text = state.q.trim();
    if (!text && !state.image) {
      lastHits = [];
      draw();
      status.textContent = 'Type a query or choose an image.';
      return;
    }
    const input: SearchInput = { method: state.method, limit: state.limit };
    const files: FilePart[] = [];
    if (state.image) {
      // An image query; typed text then only conditions the reranker.
      input.image = { file: null as unknown as File };
      files.push({ path: 'variables.input.image.file', file: state.image });
    } else input.q = text;
    const imageFields = indexes.find((i) => i.name === state.index)?.imageFields ?? [];
    if (state.method === 'TENSOR' && state.imagesOnly && imageFields.length) input.searchableAttributes = imageFields;
    if (state.rerank) input.rerank = state.image && text ? { prompt: text } : {};
    status.textContent = 'Searching…';
    try {
      const res = (await gql(PageSearchDocument, { index: state.index, input, regions: state.regions }, files)).search;
      if (mine !== sequence) return; // a newer search has started
      if (res.__typename === 'LoupeError') {
        lastHits = [];
        draw();
        status.textContent = `${res.code}: ${res.message}`;
        return;
      }
      lastHits = res.hits;
      draw();
      const what = state.image ? `image ${state.image.name}` : `“${text}”`;
      status.textContent = `${res.hits.length} hit${res.hits.length === 1 ? '' : 's'} for ${what} in ${Math.round(res.processingTimeMs)} ms`;
    } catch (e) {
      if (mine !== sequence) return;
      // A missing or refused key: say so, with a button to enter one (the status line is already a live region).
      if (e instanceof ApiError && isKeyProblem(e.code)) status.replaceChildren(failureView(e, null));
      else status.textContent = e instanceof ApiError ? e.message : `Search failed: ${(e as Error).message}`;
    }
  }
  const runSoon = debounce(() => void run(), 250);

  const setImage = (file: File | null) => {
    state.image = file;
    imageName.textContent = file ? `Searching by ${file.name}` : '';
    clearImage.hidden = !file;
    if (!file) imageInput.value = '';
    void run();
  };
  indexSelect.addEventListener('change', () => {
    state.index = indexSelect.value;
    void run();
  });
  q.addEventListener('input', () => {
    state.q = q.value;
    runSoon();
  });
  methodSelect.addEventListener('change', () => {
    state.method = methodSelect.value as SearchMethod;
    scope.disabled = state.method !== 'TENSOR';
    void run();
  });
  scope.addEventListener('change', () => {
    state.imagesOnly = scope.value === 'images';
    void run();
  });
  rerank.addEventListener('change', () => {
    state.rerank = rerank.checked;
    void run();
  });
  regions.addEventListener('change', () => {
    state.regions = regions.checked;
    void run();
  });
  imageInput.addEventListener('change', () => setImage(imageInput.files?.[0] ?? null));
  clearImage.addEventListener('click', () => setImage(null));

  const form = h(
    'form',
    { class: 'search-form', role: 'search', onsubmit: (e: Event) => (e.preventDefault(), void run()) },
    h('div', { class: 'field grow' }, h('label', { for: 'q' }, 'Query'), q, h('small', { id: 'q-help' }, 'Results follow your typing; Enter searches now.')),
    h('div', { class: 'field' }, h('label', { for: 'index' }, 'Index'), indexSelect),
    h('div', { class: 'field' }, h('label', { for: 'method' }, 'Method'), methodSelect),
    h('div', { class: 'field' }, h('label', { for: 'scope' }, 'Match in'), scope),
    h('div', { class: 'field check' }, rerank, h('label', { for: 'rerank' }, 'Rerank (OWL-ViT)')),
    h('div', { class: 'field check' }, regions, h('label', { for: 'regions' }, 'Show every region')),
    h('div', { class: 'field drop', id: 'drop' }, h('label', { for: 'image' }, 'Search by image (choose or drop)'), imageInput, imageName, clearImage),
    h('button', { type: 'submit' }, 'Search'),
  );
  // Dropping an image anywhere on the form searches by it.
  form.addEventListener('dragover', (e) => {
    e.preventDefault();
    form.classList.add('dragging');
  });
  form.addEventListener('dragleave', () => form.classList.remove('dragging'));
  form.addEventListener('drop', (e) => {
    e.preventDefault();
    form.classList.remove('dragging');
    const file = [...(e.dataTransfer?.files ?? [])].find((f) => f.type.startsWith('image/'));
    if (file) setImage(file);
  });

  main.replaceChildren(h('h1', { class: 'visually-hidden' }, 'Search'), form, status, results, dialog);
  if (state.q) void run();
  else status.textContent = 'Type a query or choose an image.';
  q.focus();
}
