// Marqo's model names → Loupe model folders, by one documented table (README "Coming from Marqo"). A Marqo CLIP
// ViT-B/32 name means the pulled `clip-vit-base-patch32` folder when it is installed, else the server's default
// CLIP-contract model — which is NOT ViT-B/32 — with a note the API passes on (a response header and a log line).
// A Loupe model folder name is also accepted as itself. Anything else is refused: never a silent substitution.
import { LoupeError } from '../domain/errors.js';
import { preview } from '../domain/text.js';

export interface ModelCatalog {
  installed(): string[];
  readonly defaultModel: string;
  readonly defaultReranker: string;
}

/** A resolved name: the folder to use, and a note when it is not the model the name means. */
export interface ResolvedModel {
  folder: string;
  note: string | null;
}

/** Marqo's names for OpenAI CLIP ViT-B/32 (open_clip, the original "ViT-B/32", Hugging Face ids). */
const CLIP_B32 = [
  /^ViT-B\/32$/,
  /^open_clip\/ViT-B-32(-quickgelu)?\/[A-Za-z0-9_]+$/,
  /^hf\/(openai\/)?clip-vit-base-patch32$/,
  /^openai\/clip-vit-base-patch32$/,
  /^Xenova\/clip-vit-base-patch32$/,
];
/** Marqo's names for the OWL-ViT B/32 reranker. */
const OWL_B32 = [/^owl\/ViT-B\/32$/, /^google\/owlvit-base-patch32$/];

export const MARQO_CLIP_FOLDER = 'clip-vit-base-patch32';
export const MARQO_OWL_FOLDER = 'owlvit-base-patch32';

export class MarqoModelTable {
  constructor(private readonly catalog: ModelCatalog) {}

  /** The CLIP-contract folder for a Marqo `model` setting (absent: the server's default). */
  clip(name: string | null | undefined): ResolvedModel {
    if (name === null || name === undefined) return { folder: this.catalog.defaultModel, note: null };
    return this.resolve(
      name,
      CLIP_B32,
      MARQO_CLIP_FOLDER,
      this.catalog.defaultModel,
      'model',
      'CLIP ViT-B/32 (ViT-B/32, open_clip/ViT-B-32/<pretrained>, hf/openai/clip-vit-base-patch32)',
    );
  }

  /** The OWL-ViT-contract folder for a Marqo `reRanker`. */
  owl(name: string): ResolvedModel {
    return this.resolve(name, OWL_B32, MARQO_OWL_FOLDER, this.catalog.defaultReranker, 'reRanker', 'owl/ViT-B/32 (google/owlvit-base-patch32)');
  }

  private resolve(name: string, patterns: RegExp[], pulled: string, fallback: string, what: string, known: string): ResolvedModel {
    if (typeof name !== 'string' || name.length === 0 || name.length > 200)
      throw new LoupeError('INVALID_INPUT', `Expected a model name for ${what} but received ${preview(name)}`);
    const installed = this.catalog.installed();
    if (patterns.some((p) => p.test(name))) {
      if (installed.includes(pulled)) return { folder: pulled, note: null };
      return {
        folder: fallback,
        note: `${what} "${name}" maps to the model folder ${pulled}, which is not installed (loupe models pull ${pulled}); using the server default "${fallback}" instead, a different model`,
      };
    }
    if (installed.includes(name)) return { folder: name, note: null };
    throw new LoupeError(
      'INVALID_INPUT',
      `Unknown ${what} ${preview(name)}: Loupe maps ${known} and accepts its installed model folders (${installed.join(', ') || 'none'})`,
    );
  }
}
