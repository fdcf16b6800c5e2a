// Use-cases over indexes: create (validated settings), list, describe, delete, and the model check.
import { invalidArgument, LoupeError } from '../domain/errors.js';
import { INDEX_NAME, FIELD_NAME, type IndexRecord, type IndexSettings } from '../domain/index-settings.js';
import { parseVectorIndexSpec, vectorIndexSettings, type VectorIndexFields } from '../domain/vector-index.js';
import { parseAnyRegionMethod, type RegionMethodFields } from '../localize/region-method.js';
import type { IndexCounts, IndexRepository } from '../repositories/index-repository.js';
import type { ChangeSource } from '../repositories/change-feed.js';
import type { VectorStore } from '../repositories/vector-store.js';
import type { EmbeddingModel, ModelProvider } from './ports.js';

/** A region method in its string form (Marqo's `simple?hn=3&wn=3`), for the API. */
export { formatAnyRegionMethod } from '../localize/region-method.js';

export interface CreateIndexInput {
  name: string;
  model?: string | null;
  regionMethod?: string | RegionMethodFields | null;
  imageFields?: string[] | null;
  vectorIndex?: VectorIndexFields | null;
  /** The string form instead of vectorIndex (not both), e.g. ivf_pq?nlist=1024&pqM=32. */
  vectorIndexSpec?: string | null;
  /** Read the text inside images (OCR) into searchable chunks: true (the server's OCR model) or a model folder. */
  ocr?: boolean | { model?: string | null } | null;
}

export interface IndexStats {
  record: IndexRecord;
  documents: number;
  chunks: number;
}

export type { IndexCounts };

/** An index with its counts read in the same query (listing indexes is one query, not one per index). */
export type CountedIndex = IndexRecord & { counts: IndexCounts };

export function checkIndexName(name: unknown): string {
  if (typeof name !== 'string' || !INDEX_NAME.test(name))
    throw invalidArgument('an index name of 1-63 letters, digits, "_", "." or "-" starting with a letter or digit', 'name', name);
  return name;
}

export class IndexService {
  /** Index records by name, trusted while the change feed that would announce their deletion stays connected. */
  private readonly records = new Map<string, { record: IndexRecord; epoch: number }>();
  private forgotten = 0;

  constructor(
    private readonly repo: IndexRepository,
    private readonly vectors: VectorStore,
    private readonly models: ModelProvider,
    private readonly feed: ChangeSource | null = null,
  ) {}

  async create(input: CreateIndexInput): Promise<IndexRecord> {
    const name = checkIndexName(input.name);
    const modelName = input.model ?? this.models.defaultModel;
    const imageFields = input.imageFields ?? ['image'];
    if (!Array.isArray(imageFields) || imageFields.length > 16 || imageFields.some((f) => typeof f !== 'string' || !FIELD_NAME.test(f)))
      throw invalidArgument('up to 16 field names (letters, digits, "_", ".", "-")', 'imageFields', imageFields);
    if (input.vectorIndex != null && input.vectorIndexSpec != null)
      throw new LoupeError('INVALID_INPUT', 'Give either vectorIndex or vectorIndexSpec, not both');
    const regionMethod = parseAnyRegionMethod(input.regionMethod ?? 'simple', (kind) => this.models.defaultDetector(kind));
    const vectorFields = input.vectorIndexSpec != null ? parseVectorIndexSpec(input.vectorIndexSpec) : input.vectorIndex;
    const model = await this.models.get(modelName);
    const settings: IndexSettings = {
      model: modelName,
      regionMethod,
      imageFields: [...new Set(imageFields)],
      vectorIndex: vectorIndexSettings(vectorFields, model.dimension),
    };
    settings.ocr = this.ocrSetting(input.ocr);
    // A bad or missing OCR model is refused now, not on the first document.
    if (settings.ocr) await this.models.ocr(settings.ocr.model);
    return this.repo.create(name, settings, model.id, model.dimension);
  }

  private ocrSetting(ocr: CreateIndexInput['ocr']): IndexSettings['ocr'] {
    if (ocr === undefined || ocr === null || ocr === false) return null;
    if (ocr === true) return { model: this.models.defaultOcr };
    if (typeof ocr !== 'object' || Array.isArray(ocr)) throw invalidArgument('true, false or { model }', 'ocr', ocr);
    const model = ocr.model ?? this.models.defaultOcr;
    if (typeof model !== 'string' || model === '') throw invalidArgument('a model folder name', 'ocr.model', model);
    return { model };
  }

  list(): Promise<IndexRecord[]> {
    return this.repo.list();
  }

  /** All indexes with their document and chunk counts: one query whatever their number. */
  listWithCounts(): Promise<CountedIndex[]> {
    return this.repo.listWithCounts();
  }

  /** One index with its counts, in one query. */
  async getWithCounts(name: string): Promise<CountedIndex> {
    const [found] = await this.repo.listWithCounts(checkIndexName(name));
    if (!found) throw new LoupeError('INDEX_NOT_FOUND', `Index "${name}" does not exist`);
    return found;
  }

  /** Counts of an index already read (e.g. just created). */
  counts(record: IndexRecord): Promise<IndexCounts> {
    return this.repo.counts(record.id);
  }

  get(name: string): Promise<IndexRecord> {
    return this.repo.get(checkIndexName(name));
  }

  /**
   * get() without a Postgres read when the record was read in the current change-feed epoch (an index's settings
   * never change; its deletion, here or in another process, is announced by the feed and forgets it).
   */
  async cached(name: string): Promise<IndexRecord> {
    const feed = this.feed;
    const hit = this.records.get(name);
    if (hit && feed?.connected && hit.epoch === feed.epoch) return hit.record;
    const epoch = feed?.connected ? feed.epoch : -1;
    const forgotten = this.forgotten;
    const record = await this.get(name);
    if (epoch >= 0 && forgotten === this.forgotten) this.records.set(name, { record, epoch });
    return record;
  }

  /** Drops a cached record (its index was deleted). */
  forget(indexId: number): void {
    this.forgotten++;
    for (const [name, e] of this.records) if (e.record.id === indexId) this.records.delete(name);
  }

  async stats(name: string): Promise<IndexStats> {
    const record = await this.get(name);
    return { record, ...(await this.repo.counts(record.id)) };
  }

  async delete(name: string): Promise<IndexRecord> {
    const removed = await this.repo.delete(checkIndexName(name));
    if (!removed) throw new LoupeError('INDEX_NOT_FOUND', `Index "${name}" does not exist`);
    this.forget(removed.id);
    await this.vectors.drop(removed.id);
    return removed;
  }

  /** The index's model, or MODEL_MISMATCH when the loaded model is not the one the index was built with. */
  async modelFor(record: IndexRecord): Promise<EmbeddingModel> {
    const model = await this.models.get(record.settings.model);
    if (model.id !== record.modelId || model.dimension !== record.dimension) {
      throw new LoupeError(
        'MODEL_MISMATCH',
        `Index "${record.name}" was built with model ${record.modelId} (dimension ${record.dimension}) but the loaded ` +
          `"${record.settings.model}" is ${model.id} (dimension ${model.dimension}); restore that model or re-index into a new index`,
      );
    }
    return model;
  }
}
