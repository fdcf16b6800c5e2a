// Marqo's index routes: create (Marqo 2.x index settings → Loupe's createIndex input), delete, list, settings, stats,
// health — answered in Marqo's shapes by the same IndexService that GraphQL uses.
import { invalidArgument, LoupeError } from '../../domain/errors.js';
import type { IndexRecord } from '../../domain/index-settings.js';
import { preview } from '../../domain/text.js';
import { formatAnyRegionMethod, type CreateIndexInput } from '../../services/index-service.js';
import type { Loupe } from '../../services/loupe.js';
import type { MarqoReply } from './reply.js';
import { asObject, optionalBoolean, optionalStringList } from './reply.js';

/** Marqo 2.x's patch methods, plus every Loupe region method string (`overlap?hn=2&wn=2`, `yolox?maxProposals=5`). */
const PATCH_METHODS = new Map<string, { method: string; note: string | null }>([
  ['simple', { method: 'simple', note: null }],
  ['dino-v1', { method: 'dino-v1', note: null }],
  ['dino-v2', { method: 'dino-v2', note: null }],
  ['marqo-yolo', { method: 'yolox', note: null }],
  ['frcnn', { method: 'yolox', note: 'patchMethod "frcnn" (Faster R-CNN) is served by Loupe\'s YOLOX proposer (class-agnostic boxes, at most 10)' }],
]);

/** Settings keys of Marqo that Loupe reads. */
const READ = [
  'type',
  'allFields',
  'tensorFields',
  'treatUrlsAndPointersAsImages',
  'model',
  'normalizeEmbeddings',
  'imagePreprocessing',
  'annParameters',
  'vectorNumericType',
  'modelProperties',
  'imageFields',
];
/** Keys accepted and ignored, each with why (they are named in the x-loupe-note header). */
const IGNORED = new Map<string, string>([
  ['textPreprocessing', 'Loupe indexes each text field whole (no sentence splitting)'],
  ['filterStringMaxLength', 'Loupe filters on text of any length'],
  ['shortStringLengthThreshold', 'Loupe filters on text of any length'],
  ['textQueryPrefix', 'CLIP-contract models take no text prefix'],
  ['textChunkPrefix', 'CLIP-contract models take no text prefix'],
  ['treatUrlsAndPointersAsMedia', 'Loupe indexes images only'],
  ['videoPreprocessing', 'Loupe indexes images only'],
  ['audioPreprocessing', 'Loupe indexes images only'],
  ['inferenceType', 'a Marqo Cloud setting'],
  ['storageClass', 'a Marqo Cloud setting'],
  ['numberOfShards', 'a Marqo Cloud setting'],
  ['numberOfReplicas', 'a Marqo Cloud setting'],
  ['numberOfInferences', 'a Marqo Cloud setting'],
]);
const SPACE_TYPES = ['prenormalized-angular', 'angular', 'dotproduct'];

/** Marqo 2.x index settings → Loupe's createIndex input, and the notes on what was mapped or ignored. */
export function createInputOf(name: string, body: unknown, loupe: Loupe): { input: CreateIndexInput; notes: string[] } {
  const s = asObject(body ?? {}, 'index settings');
  const notes: string[] = [];
  for (const key of Object.keys(s)) {
    if (READ.includes(key)) continue;
    const why = IGNORED.get(key);
    if (why === undefined) throw new LoupeError('INVALID_INPUT', `Unknown index setting ${preview(key)}`);
    if (s[key] !== null && s[key] !== undefined) notes.push(`${key} ignored: ${why}`);
  }
  const type = s.type ?? 'unstructured';
  if (type !== 'unstructured' && type !== 'structured') throw invalidArgument("'structured' or 'unstructured'", 'type', type);
  if (optionalBoolean(s.treatUrlsAndPointersAsImages, 'treatUrlsAndPointersAsImages') === false)
    throw new LoupeError(
      'INVALID_INPUT',
      'treatUrlsAndPointersAsImages must be true (or unset): a Loupe index embeds images; its text fields are searched lexically',
    );
  if (optionalBoolean(s.normalizeEmbeddings, 'normalizeEmbeddings') === false)
    throw new LoupeError('INVALID_INPUT', 'normalizeEmbeddings must be true (or unset): Loupe always L2-normalises embeddings and scores by cosine');
  if (s.modelProperties !== undefined && s.modelProperties !== null)
    throw new LoupeError(
      'INVALID_INPUT',
      'modelProperties (custom models) is not supported: install the model as a folder (loupe models pull) and name it in model',
    );
  if (s.vectorNumericType !== undefined && s.vectorNumericType !== null && s.vectorNumericType !== 'float')
    throw invalidArgument("'float' (Loupe stores float32 vectors)", 'vectorNumericType', s.vectorNumericType);

  const model = loupe.marqoModels.clip(s.model === null || s.model === undefined ? undefined : String(s.model));
  if (model.note) notes.push(model.note);

  let imageFields = optionalStringList(s.imageFields, 'imageFields');
  const tensorFields = optionalStringList(s.tensorFields, 'tensorFields');
  if (type === 'structured') {
    if (!Array.isArray(s.allFields)) throw invalidArgument('a list of fields', 'allFields', s.allFields);
    const images: string[] = [];
    s.allFields.forEach((f: unknown, i: number) => {
      const field = asObject(f, `allFields[${i}]`);
      if (typeof field.name !== 'string') throw invalidArgument('a field name', `allFields[${i}].name`, field.name);
      if (field.type === 'image_pointer') images.push(field.name);
      else if (field.type === 'multimodal_combination' || field.type === 'custom_vector')
        throw new LoupeError('INVALID_INPUT', `Field type ${preview(field.type)} (allFields[${i}]) is not supported by Loupe`);
    });
    imageFields ??= images;
    const notTensor = imageFields.filter((f) => tensorFields !== undefined && !tensorFields.includes(f));
    if (notTensor.length) notes.push(`image fields ${notTensor.join(', ')} are not in tensorFields but Loupe embeds every image field`);
  } else {
    // An unstructured Marqo index finds image URLs in any field; a Loupe index names its image fields up front.
    imageFields ??= tensorFields?.length ? tensorFields : ['image'];
  }
  if (imageFields.length === 0)
    throw new LoupeError('INVALID_INPUT', 'The index has no image field: declare one (allFields type image_pointer, or imageFields)');

  const pre = s.imagePreprocessing === undefined || s.imagePreprocessing === null ? {} : asObject(s.imagePreprocessing, 'imagePreprocessing');
  for (const key of Object.keys(pre)) if (key !== 'patchMethod') throw new LoupeError('INVALID_INPUT', `Unknown imagePreprocessing setting ${preview(key)}`);
  let regionMethod = 'none';
  if (pre.patchMethod !== undefined && pre.patchMethod !== null) {
    if (typeof pre.patchMethod !== 'string') throw invalidArgument('a patch method name', 'imagePreprocessing.patchMethod', pre.patchMethod);
    const known = PATCH_METHODS.get(pre.patchMethod);
    regionMethod = known?.method ?? pre.patchMethod; // any Loupe region method string, checked by the index service
    if (known?.note) notes.push(known.note);
  }

  let vectorIndex: CreateIndexInput['vectorIndex'] = null;
  if (s.annParameters !== undefined && s.annParameters !== null) {
    const ann = asObject(s.annParameters, 'annParameters');
    if (ann.spaceType !== undefined && ann.spaceType !== null && !SPACE_TYPES.includes(String(ann.spaceType)))
      throw invalidArgument(`one of ${SPACE_TYPES.join(', ')} (Loupe scores L2-normalised vectors by inner product)`, 'annParameters.spaceType', ann.spaceType);
    const p = ann.parameters === undefined || ann.parameters === null ? {} : asObject(ann.parameters, 'annParameters.parameters');
    const m = p.m === undefined || p.m === null ? null : Number(p.m);
    if (p.efConstruction !== undefined && p.efConstruction !== null)
      notes.push('annParameters.parameters.efConstruction ignored: FAISS HNSW uses its own build depth');
    vectorIndex = { kind: 'hnsw', hnswM: m };
  }
  return { input: { name, model: model.folder, regionMethod, imageFields, vectorIndex }, notes };
}

export async function createIndex(name: string, body: unknown, loupe: Loupe): Promise<MarqoReply> {
  const { input, notes } = createInputOf(name, body, loupe);
  const record = await loupe.indexes.create(input);
  return { body: { acknowledged: true, index: record.name }, notes };
}

export async function deleteIndex(name: string, loupe: Loupe): Promise<MarqoReply> {
  await loupe.indexes.delete(name);
  return { body: { acknowledged: true } };
}

export async function listIndexes(loupe: Loupe): Promise<MarqoReply> {
  const records = await loupe.indexes.list();
  return { body: { results: records.map((r) => ({ indexName: r.name })) } };
}

/** The settings of an index in Marqo's form, with Loupe's own under `loupe` (what a Marqo name was mapped to). */
export function settingsOf(record: IndexRecord): Record<string, unknown> {
  const s = record.settings;
  return {
    type: 'unstructured',
    treatUrlsAndPointersAsImages: true,
    model: s.model,
    normalizeEmbeddings: true,
    imagePreprocessing: { patchMethod: s.regionMethod.kind === 'none' ? null : formatAnyRegionMethod(s.regionMethod) },
    vectorNumericType: 'float',
    annParameters: { spaceType: 'prenormalized-angular', parameters: s.vectorIndex.kind === 'hnsw' ? { m: s.vectorIndex.hnswM } : {} },
    loupe: {
      modelId: record.modelId,
      dimension: record.dimension,
      imageFields: s.imageFields,
      regionMethod: formatAnyRegionMethod(s.regionMethod),
      vectorIndex: s.vectorIndex,
    },
  };
}

export async function indexSettings(name: string, loupe: Loupe): Promise<MarqoReply> {
  return { body: settingsOf(await loupe.indexes.get(name)) };
}

export async function indexStats(name: string, loupe: Loupe): Promise<MarqoReply> {
  const { counts } = await loupe.indexes.getWithCounts(name);
  return { body: { numberOfDocuments: counts.documents, numberOfVectors: counts.chunks } };
}

/** Marqo's health shape: green when Postgres answers (and, for an index, when its model can serve it). */
export async function health(name: string | null, loupe: Loupe): Promise<MarqoReply> {
  let backend = 'green';
  try {
    await loupe.database.ping();
  } catch {
    backend = 'red';
  }
  let inference = 'green';
  let message: string | undefined;
  if (name !== null) {
    const record = await loupe.indexes.get(name);
    try {
      await loupe.indexes.modelFor(record);
    } catch (e) {
      inference = 'red';
      message = e instanceof LoupeError ? e.message : 'the index model could not be loaded';
    }
  }
  const status = backend === 'green' && inference === 'green' ? 'green' : 'red';
  return { body: { status, inference: { status: inference }, backend: { status: backend }, ...(message ? { message } : {}) } };
}
