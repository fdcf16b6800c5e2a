// The index pages: a list of indexes with a form to create one, and one index's page (documents, region method, model)
// where images are added by upload or a URL list, with a live progress bar fed by the indexingProgress subscription.
import {
  PageAddDocumentsDocument,
  PageCreateIndexDocument,
  PageIndexDocument,
  PageIndexesDocument,
  PageIndexingProgressDocument,
  type DocumentInput,
  type PageIndexFieldsFragment,
} from '../client/generated/graphql.js';
import { gql, newJobId, subscribe, type FilePart } from './api.js';
import { failureView } from './api-key.js';
import { h } from './dom.js';

const REGION_METHODS = ['simple', 'overlap', 'none', 'yolox', 'dino-v1', 'dino-v2'];
/** Documents per addDocuments request (each its own progress job). */
const BATCH = 200;

export async function renderIndexList(main: HTMLElement): Promise<void> {
  const { indexes } = await gql(PageIndexesDocument, {});
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const name = h('input', { id: 'new-name', name: 'name', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9_.\\-]{0,62}', autocomplete: 'off' });
  const method = h('select', { id: 'new-method', name: 'method' }, ...REGION_METHODS.map((m) => h('option', { value: m }, m)));
  const form = h(
    'form',
    {
      class: 'create-form',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        status.textContent = 'Creating…';
        try {
          const res = (await gql(PageCreateIndexDocument, { input: { name: name.value.trim(), regionMethodSpec: method.value } })).createIndex;
          if (res.__typename === 'LoupeError') status.textContent = `${res.code}: ${res.message}`;
          else location.hash = `#/index/${encodeURIComponent(res.name)}`;
        } catch (err) {
          status.replaceChildren(failureView(err, null)); // a read-only key, for one
        }
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'new-name' }, 'Name'), name),
    h('div', { class: 'field' }, h('label', { for: 'new-method' }, 'Region method'), method),
    h('button', { type: 'submit' }, 'Create index'),
  );
  const table = indexes.length
    ? h(
        'table',
        { class: 'indexes' },
        h('caption', { class: 'visually-hidden' }, 'Indexes'),
        h('thead', {}, h('tr', {}, ...['Index', 'Documents', 'Regions', 'Model'].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          ...indexes.map((i) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, h('a', { href: `#/index/${encodeURIComponent(i.name)}` }, i.name)),
              h('td', {}, String(i.documentCount)),
              h('td', {}, i.regionMethod.spec),
              h('td', {}, i.model),
            ),
          ),
        ),
      )
    : h('p', {}, 'No index yet.');
  main.replaceChildren(h('h1', {}, 'Indexes'), table, h('h2', {}, 'New index'), form, status);
}

function details(i: PageIndexFieldsFragment): HTMLElement {
  const rows: [string, string][] = [
    ['Documents', String(i.documentCount)],
    ['Regions (chunks)', String(i.chunkCount)],
    ['Region method', i.regionMethod.spec],
    ['Model', `${i.model} (${i.modelId}, ${i.dimension} dimensions)`],
    ['Image fields', i.imageFields.join(', ')],
  ];
  return h('dl', { class: 'index-details', id: 'index-details' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-key': k }, v)]));
}

interface Batch {
  documents: DocumentInput[];
  files: FilePart[];
}

function batches(files: File[], urls: string[], field: string): Batch[] {
  const items: { doc: DocumentInput; file?: File }[] = [
    ...files.map((f) => ({ doc: { id: f.name, fields: {}, files: [{ field, file: null as unknown as File }] }, file: f })),
    ...urls.map((u) => ({ doc: { id: u, fields: { [field]: u } } })),
  ];
  const out: Batch[] = [];
  for (let i = 0; i < items.length; i += BATCH) {
    const slice = items.slice(i, i + BATCH);
    out.push({
      documents: slice.map((x) => x.doc),
      files: slice.flatMap((x, j) => (x.file ? [{ path: `variables.documents.${j}.files.0.file`, file: x.file }] : [])),
    });
  }
  return out;
}

export async function renderIndexPage(main: HTMLElement, name: string): Promise<void> {
  const res = (await gql(PageIndexDocument, { name })).index;
  if (res.__typename === 'LoupeError') {
    main.replaceChildren(
      h('h1', {}, name),
      h('p', { role: 'alert', class: 'error' }, `${res.code}: ${res.message}`),
      h('a', { href: '#/indexes' }, 'All indexes'),
    );
    return;
  }
  let info = res;
  const detailsBox = h('div', {}, details(info));
  const refresh = async () => {
    const again = (await gql(PageIndexDocument, { name })).index;
    if (again.__typename === 'Index') detailsBox.replaceChildren(details((info = again)));
  };

  const files = h('input', { id: 'files', name: 'files', type: 'file', multiple: true, accept: 'image/*' });
  const urls = h('textarea', { id: 'urls', name: 'urls', rows: 4, placeholder: 'https://example.com/cat.jpg', 'aria-describedby': 'urls-help' });
  const bar = h('progress', { id: 'progress', max: 1, value: 0, 'aria-labelledby': 'progress-label' });
  const label = h('p', { id: 'progress-label', role: 'status', 'aria-live': 'polite' }, 'Nothing added yet.');
  const errors = h('ul', { id: 'item-errors', class: 'errors', 'aria-label': 'Images that could not be added' });
  const submit = h('button', { type: 'submit' }, 'Add images');
  const progress = h('section', { class: 'progress', hidden: true, 'aria-label': 'Indexing progress' }, bar, label, errors);

  async function add(e: Event): Promise<void> {
    e.preventDefault();
    const chosen = [...(files.files ?? [])];
    const list = urls.value
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    if (!chosen.length && !list.length) {
      label.textContent = 'Choose image files or enter image URLs first.';
      progress.hidden = false;
      return;
    }
    const all = batches(chosen, list, info.imageFields[0] ?? 'image');
    const total = chosen.length + list.length;
    let base = { processed: 0, failed: 0 };
    let events = 0;
    submit.disabled = true;
    progress.hidden = false;
    errors.replaceChildren();
    bar.max = total;
    bar.value = 0;
    const show = (processed: number, failed: number, live: boolean) => {
      bar.value = processed;
      const pct = Math.round((processed / total) * 100);
      label.textContent = `${processed} of ${total} processed (${pct}%), ${failed} failed${live ? '' : ' (live progress unavailable)'}`;
      progress.dataset.percent = String(pct);
      progress.dataset.events = String(events);
    };
    show(0, 0, true);
    for (const batch of all) {
      const jobId = newJobId();
      let last = { processed: 0, failed: 0 };
      let finished!: () => void;
      const streamDone = new Promise<void>((r) => (finished = r));
      let live = true;
      // Subscribe first; the server replays the job's state to a late subscriber anyway.
      const sub = subscribe(
        PageIndexingProgressDocument,
        { jobId },
        {
          onData: ({ indexingProgress: p }) => {
            events += 1;
            last = { processed: p.processed, failed: p.failed };
            for (const x of p.errors) errors.append(h('li', {}, h('strong', {}, x.id), `: ${x.code} ${x.message}`));
            if (p.code) errors.append(h('li', {}, `${p.code}: ${p.message ?? ''}`));
            show(base.processed + p.processed, base.failed + p.failed, true);
          },
          onEnd: (error) => {
            if (error) live = false;
            finished();
          },
        },
      );
      try {
        const out = (await gql(PageAddDocumentsDocument, { index: name, documents: batch.documents, jobId }, batch.files)).addDocuments;
        // The stream ends with the job; if it broke, the mutation's answer says the same thing.
        await Promise.race([streamDone, new Promise((r) => setTimeout(r, 5_000))]);
        sub.close();
        if (out.__typename === 'LoupeError') {
          errors.append(h('li', {}, `${out.code}: ${out.message}`));
          last = { processed: batch.documents.length, failed: batch.documents.length };
        } else if (!live || last.processed < batch.documents.length) {
          live = false;
          for (const r of out.results)
            if (!r.ok && !errors.textContent?.includes(r.id)) errors.append(h('li', {}, h('strong', {}, r.id), `: ${r.code} ${r.message}`));
          last = { processed: out.results.length, failed: out.failed };
        }
      } catch (err) {
        sub.close();
        errors.append(h('li', {}, failureView(err, null)));
        last = { processed: batch.documents.length, failed: batch.documents.length };
        live = false;
      }
      base = { processed: base.processed + last.processed, failed: base.failed + last.failed };
      show(base.processed, base.failed, live);
    }
    label.textContent += ' — done.';
    progress.dataset.done = 'true';
    submit.disabled = false;
    files.value = '';
    await refresh();
  }

  const form = h(
    'form',
    { class: 'add-form', onsubmit: (e: Event) => void add(e) },
    h('div', { class: 'field' }, h('label', { for: 'files' }, 'Upload images'), files),
    h(
      'div',
      { class: 'field grow' },
      h('label', { for: 'urls' }, 'Or image URLs'),
      urls,
      h('small', { id: 'urls-help' }, 'One URL per line; lines starting with # are skipped.'),
    ),
    submit,
  );
  main.replaceChildren(
    h('h1', {}, `Index ${info.name}`),
    detailsBox,
    h('p', {}, h('a', { href: `#/?index=${encodeURIComponent(info.name)}` }, `Search ${info.name}`), ' · ', h('a', { href: '#/indexes' }, 'All indexes')),
    h('h2', {}, 'Add images'),
    form,
    progress,
  );
}
