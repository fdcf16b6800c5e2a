// Marqo's document routes: add (per-item results in Marqo's shape), get one, get many, delete-batch — through the
// same DocumentService as GraphQL's addDocuments / deleteDocuments.
import { invalidArgument, isLoupeError, LoupeError } from '../../domain/errors.js';
import type { ChunkInfo, StoredDocument } from '../../domain/documents.js';
import { preview } from '../../domain/text.js';
import { MAX_BATCH, type DocumentInput, type DocumentResult } from '../../services/document-service.js';
import type { Loupe } from '../../services/loupe.js';
import { marqoCodeOf } from './errors.js';
import { asObject, optionalBoolean, optionalStringList, type MarqoReply } from './reply.js';

/** add_documents body keys py-marqo 3.x sends; the ones Loupe cannot honour are refused when set, not dropped. */
const ADD_KEYS = ['documents', 'tensorFields', 'useExistingTensors', 'imageDownloadHeaders', 'mappings', 'modelAuth', 'textChunkPrefix', 'clientBatchSize'];
const MAX_IDS = 1_000;
/** A value Marqo would fetch as an image: a URL or an absolute path. */
const POINTER = /^(https?:\/\/\S+|\/\S+)$/;

const absent = (v: unknown) => v === undefined || v === null;
const isEmptyObject = (v: unknown) => absent(v) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

export async function addDocuments(name: string, body: unknown, loupe: Loupe, opts: { signal: AbortSignal; requestId: string }): Promise<MarqoReply> {
  const started = performance.now();
  if (Array.isArray(body))
    throw new LoupeError('INVALID_INPUT', 'Expected a body of the form {"documents": [...], "tensorFields": [...]} (Marqo 2.x) but received a list');
  const b = asObject(body, 'body');
  for (const key of Object.keys(b)) if (!ADD_KEYS.includes(key)) throw new LoupeError('INVALID_INPUT', `Unknown add-documents parameter ${preview(key)}`);
  if (optionalBoolean(b.useExistingTensors, 'useExistingTensors'))
    throw new LoupeError('INVALID_INPUT', 'useExistingTensors is not supported: Loupe re-embeds every document it indexes');
  if (!isEmptyObject(b.imageDownloadHeaders))
    throw new LoupeError('INVALID_INPUT', 'imageDownloadHeaders is not supported: Loupe fetches images without custom headers');
  if (!isEmptyObject(b.mappings)) throw new LoupeError('INVALID_INPUT', 'mappings (multimodal_combination, custom_vector) is not supported by Loupe');
  if (!isEmptyObject(b.modelAuth)) throw new LoupeError('INVALID_INPUT', 'modelAuth is not supported: Loupe loads installed model folders only');
  const tensorFields = optionalStringList(b.tensorFields, 'tensorFields');
  if (!Array.isArray(b.documents) || b.documents.length === 0 || b.documents.length > MAX_BATCH)
    throw invalidArgument(`a list of 1-${MAX_BATCH} documents`, 'documents', Array.isArray(b.documents) ? `${b.documents.length} documents` : b.documents);
  const record = await loupe.indexes.get(name);
  const imageFields = record.settings.imageFields;

  // Documents refused here (a tensor field holding an image pointer that is not an image field of the index) keep
  // their place in the answer; the rest go to the service in one call.
  const results: (DocumentResult | null)[] = [];
  const inputs: DocumentInput[] = [];
  for (const raw of b.documents as unknown[]) {
    const doc = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
    const id = doc && typeof doc._id === 'string' ? doc._id : '';
    const misplaced = doc
      ? (tensorFields ?? []).find((f) => !imageFields.includes(f) && typeof doc[f] === 'string' && POINTER.test(doc[f] as string))
      : undefined;
    if (misplaced !== undefined) {
      results.push({
        id,
        ok: false,
        code: 'INVALID_INPUT',
        message: `Field "${misplaced}" holds an image pointer but is not an image field of index "${name}" (image fields: ${imageFields.join(', ')}); image fields are declared when the index is created`,
      });
      continue;
    }
    if (!doc) {
      results.push({ id: '', ok: false, code: 'INVALID_INPUT', message: invalidArgument('a document object', `documents[${results.length}]`, raw).message });
      continue;
    }
    results.push(null);
    const { _id, ...fields } = doc;
    inputs.push({ id: _id as string | undefined, fields });
  }
  const indexed = inputs.length ? await loupe.documents.add(name, inputs, { signal: opts.signal, requestId: opts.requestId }) : [];
  let next = 0;
  const items = results.map((r) => itemOf(r ?? indexed[next++]!));
  return {
    body: {
      errors: items.some((i) => i.status >= 300),
      processingTimeMs: Math.round((performance.now() - started) * 100) / 100,
      index_name: name,
      items,
    },
  };
}

function itemOf(r: DocumentResult): { _id: string; status: number; [k: string]: unknown } {
  if (r.ok) return { _id: r.id, result: r.replaced ? 'updated' : 'created', status: 200 };
  const shape = marqoCodeOf(r.code);
  return { _id: r.id, status: shape.status, code: shape.code, error: r.message, message: r.message };
}

/** A stored document as Marqo returns it: its fields with `_id`; with facets, each chunk's box or text. */
function documentOf(document: StoredDocument, chunks: ChunkInfo[] | null): Record<string, unknown> {
  const out: Record<string, unknown> = { ...document.fields, _id: document.id };
  if (chunks) out._tensor_facets = chunks.map((c) => ({ [c.field]: c.box ? [c.box.x1, c.box.y1, c.box.x2, c.box.y2] : c.text }));
  return out;
}

function exposeFacets(query: URLSearchParams): boolean {
  const v = query.get('expose_facets');
  if (v === null) return false;
  if (v === 'true' || v === 'True') return true;
  if (v === 'false' || v === 'False') return false;
  throw invalidArgument('true or false', 'expose_facets', v);
}

export async function getDocument(name: string, id: string, query: URLSearchParams, loupe: Loupe): Promise<MarqoReply> {
  const { document, chunks } = await loupe.documents.get(name, id);
  return { body: documentOf(document, exposeFacets(query) ? chunks : null) };
}

/** GET /indexes/{name}/documents with the ids as a JSON list body (py-marqo) or as repeated `ids` query parameters. */
export async function getDocuments(name: string, body: unknown, query: URLSearchParams, loupe: Loupe): Promise<MarqoReply> {
  const ids = body === undefined ? query.getAll('ids') : body;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_IDS || ids.some((i) => typeof i !== 'string'))
    throw invalidArgument(`a list of 1-${MAX_IDS} document ids (a JSON list body, or ids=... query parameters)`, 'document ids', ids);
  const facets = exposeFacets(query);
  await loupe.indexes.get(name); // an unknown index is a 404, not a list of documents not found
  const results: Record<string, unknown>[] = [];
  for (const id of ids as string[]) {
    try {
      const { document, chunks } = await loupe.documents.get(name, id);
      results.push({ ...documentOf(document, facets ? chunks : null), _found: true });
    } catch (e) {
      if (isLoupeError(e) && e.code === 'DOCUMENT_NOT_FOUND') results.push({ _id: id, _found: false });
      else throw e;
    }
  }
  return { body: { results } };
}

export async function deleteDocuments(name: string, body: unknown, loupe: Loupe): Promise<MarqoReply> {
  const startedAt = new Date();
  if (!Array.isArray(body) || body.some((i) => typeof i !== 'string')) throw invalidArgument('a JSON list of document ids', 'body', body);
  const ids = body as string[];
  const deleted = new Set(await loupe.documents.delete(name, ids));
  const finishedAt = new Date();
  return {
    body: {
      index_name: name,
      status: 'succeeded',
      type: 'documentDeletion',
      details: { receivedDocumentIds: ids.length, deletedDocuments: deleted.size },
      items: ids.map((id) => (deleted.has(id) ? { _id: id, status: 200, result: 'deleted' } : { _id: id, status: 404, result: 'not_found' })),
      duration: `PT${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(3)}S`,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
    },
  };
}
