// Text-query embeddings kept per model (LRU): the same query again (the next page of a result, a HYBRID or reranked
// search of it, a popular query) skips the text tower. Marqo keeps the same kind of cache (MARQO_INFERENCE_CACHE_SIZE).
import type { EmbeddingModel } from './ports.js';

export class QueryEmbeddingCache {
  private readonly byModel = new WeakMap<EmbeddingModel, Map<string, Float32Array>>();

  /** `capacity` entries per model (a 512-d embedding is 2 KiB); 0 turns the cache off. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new Error(`query cache capacity must be a non-negative integer, not ${capacity}`);
  }

  /** The text's embedding by `model`, computed on a miss. The array is shared: callers must not write to it. */
  async embed(model: EmbeddingModel, text: string): Promise<Float32Array> {
    if (this.capacity === 0) return model.embedTexts([text]);
    let entries = this.byModel.get(model);
    if (!entries) this.byModel.set(model, (entries = new Map()));
    const hit = entries.get(text);
    if (hit) {
      entries.delete(text); // most recently used last
      entries.set(text, hit);
      return hit;
    }
    const vector = await model.embedTexts([text]);
    entries.set(text, vector);
    if (entries.size > this.capacity) entries.delete(entries.keys().next().value!);
    return vector;
  }
}
