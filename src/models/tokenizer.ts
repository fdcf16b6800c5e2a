// Text → padded, truncated id and mask tensors, from any Hugging Face tokenizer.json (WordLevel, BPE, ...).
import { Tokenizer } from '@huggingface/tokenizers';
import { isObject, type JsonObject } from './folder.js';
import { modelInvalid } from './contract.js';

export interface TokenBatch {
  /** [count, length] token ids, row-major. */
  inputIds: BigInt64Array;
  /** [count, length] 1 for a token, 0 for padding. */
  attentionMask: BigInt64Array;
  count: number;
  length: number;
}

export interface TextTokenizerOptions {
  /** Longest token sequence kept (special tokens included). */
  maxLength: number;
  /** Pad every batch to maxLength (a model with a fixed sequence length) instead of to its longest text. */
  padToMaxLength?: boolean;
}

function tokenName(v: JsonObject[string] | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.content === 'string') return v.content;
  return undefined;
}

export class TextTokenizer {
  readonly maxLength: number;
  readonly padId: number;
  /** Largest id the tokenizer can produce (added tokens included). */
  readonly maxId: number;
  private readonly tokenizer: Tokenizer;
  private readonly specialIds: Set<number>;
  private readonly padToMaxLength: boolean;

  /** Throws MODEL_INVALID (naming `dir`) when the tokenizer files cannot be used. */
  constructor(dir: string, json: JsonObject, config: JsonObject, opts: TextTokenizerOptions) {
    // @huggingface/tokenizers 0.2.0 takes WordLevel's unknown token from tokenizer_config only (else ids come back
    // undefined), so the model's own unk_token fills in for a config without one.
    const model = json.model;
    const modelUnk = isObject(model) ? tokenName(model.unk_token) : undefined;
    const effectiveConfig = config.unk_token === undefined && modelUnk !== undefined ? { ...config, unk_token: modelUnk } : config;
    try {
      this.tokenizer = new Tokenizer(json, effectiveConfig);
    } catch (e) {
      throw modelInvalid(dir, `tokenizer.json cannot be loaded (${e instanceof Error ? e.message : String(e)})`, e);
    }
    this.maxLength = opts.maxLength;
    this.padToMaxLength = opts.padToMaxLength ?? false;
    this.specialIds = new Set([...this.tokenizer.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id));
    let maxId = -1;
    for (const id of this.tokenizer.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.maxId = maxId;
    // The pad token: tokenizer_config's pad_token, else tokenizer.json's padding settings, else id 0.
    const padding = json.padding;
    const padName = tokenName(config.pad_token) ?? (isObject(padding) ? tokenName(padding.pad_token) : undefined);
    const fromName = padName === undefined ? undefined : this.tokenizer.token_to_id(padName);
    if (padName !== undefined && fromName === undefined) throw modelInvalid(dir, `tokenizer pad_token ${JSON.stringify(padName)} is not in the vocabulary`);
    const padId = fromName ?? (isObject(padding) && typeof padding.pad_id === 'number' ? padding.pad_id : 0);
    this.padId = padId;
  }

  /** Token ids of one text, truncated to maxLength; a trailing special token (CLIP's end-of-text) is kept. */
  encode(text: string): number[] {
    // An id the library could not resolve (no unknown token anywhere) is dropped rather than fed as garbage.
    const ids = this.tokenizer.encode(text).ids.filter((id: number | undefined): id is number => Number.isInteger(id));
    if (ids.length <= this.maxLength) return ids;
    const last = ids[ids.length - 1]!;
    return this.specialIds.has(last) && this.maxLength > 1 ? [...ids.slice(0, this.maxLength - 1), last] : ids.slice(0, this.maxLength);
  }

  /** Encodes texts into [count, length] tensors padded with padId (mask 0); length ≥ 1 even for empty texts. */
  encodeBatch(texts: readonly string[]): TokenBatch {
    const rows = texts.map((t) => this.encode(t));
    const length = this.padToMaxLength ? this.maxLength : Math.max(1, ...rows.map((r) => r.length));
    const inputIds = new BigInt64Array(rows.length * length).fill(BigInt(this.padId));
    const attentionMask = new BigInt64Array(rows.length * length);
    rows.forEach((row, i) => {
      row.forEach((id, j) => {
        inputIds[i * length + j] = BigInt(id);
        attentionMask[i * length + j] = 1n;
      });
    });
    return { inputIds, attentionMask, count: rows.length, length };
  }
}
