// Models by folder name under the models directory, loaded once and shared.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionProvider } from '../config.js';
import { invalidArgument, LoupeError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import type { InferenceMetrics } from '../metrics.js';
import type { DetectorRegionMethod } from '../domain/types.js';
import { loadClipModel, type ClipModel } from '../models/clip-model.js';
import { DinoModel, OwlModel, YoloxModel } from '../models/detectors.js';
import { OcrModel } from '../models/ocr-model.js';
import type { EmbeddingModel, ModelProvider } from './ports.js';

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

type Loaded = ClipModel | OwlModel | YoloxModel | DinoModel | OcrModel;

export interface DefaultModels {
  clip: string;
  yolox: string;
  dino: string;
  rerank: string;
  ocr: string;
}

export class FolderModelProvider implements ModelProvider {
  private readonly loaded = new Map<string, Promise<Loaded>>();

  constructor(
    private readonly dir: string,
    private readonly defaults: DefaultModels,
    private readonly provider: ExecutionProvider,
    private readonly log: Logger,
    private readonly metrics?: InferenceMetrics,
  ) {}

  get defaultModel(): string {
    return this.defaults.clip;
  }

  get defaultReranker(): string {
    return this.defaults.rerank;
  }

  get defaultOcr(): string {
    return this.defaults.ocr;
  }

  ocr(name: string): Promise<OcrModel> {
    return this.load(name, 'ocr', (dir) => OcrModel.load(dir, { provider: this.provider, logger: this.log })) as Promise<OcrModel>;
  }

  defaultDetector(kind: DetectorRegionMethod['kind']): string {
    return kind === 'yolox' ? this.defaults.yolox : this.defaults.dino;
  }

  owl(name: string): Promise<OwlModel> {
    return this.load(name, 'owl', (dir) => OwlModel.load(dir, { provider: this.provider, logger: this.log })) as Promise<OwlModel>;
  }

  yolox(name: string): Promise<YoloxModel> {
    return this.load(name, 'yolox', (dir) => YoloxModel.load(dir, { provider: this.provider, logger: this.log })) as Promise<YoloxModel>;
  }

  dino(name: string): Promise<DinoModel> {
    return this.load(name, 'dino', (dir) => DinoModel.load(dir, { provider: this.provider, logger: this.log })) as Promise<DinoModel>;
  }

  installed(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(this.dir, d.name, 'config.json')))
      .map((d) => d.name)
      .sort();
  }

  get(name: string): Promise<EmbeddingModel> {
    return this.load(name, 'clip', (dir) => loadClipModel(dir, { provider: this.provider, logger: this.log })) as Promise<ClipModel>;
  }

  private load(name: string, role: string, open: (dir: string) => Promise<Loaded>): Promise<Loaded> {
    if (typeof name !== 'string' || !MODEL_NAME.test(name) || name.includes('..')) return Promise.reject(invalidArgument('a model folder name', 'model', name));
    const key = `${role}:${name}`;
    const cached = this.loaded.get(key);
    if (cached) return cached;
    const folder = join(this.dir, name);
    if (!existsSync(join(folder, 'config.json')))
      // The message names the model, not the server's folders (LOUPE_MODELS_DIR is the operator's to know).
      return Promise.reject(new LoupeError('INVALID_INPUT', `Unknown model "${name}" (installed: ${this.installed().join(', ') || 'none'})`));
    const pending = open(folder).then((model) => this.instrument(model, name, role));
    pending.catch(() => this.loaded.delete(key));
    this.loaded.set(key, pending);
    return pending;
  }

  /** Times every inference call of a loaded model for the metrics (model folder, role, input kind). */
  private instrument(model: Loaded, name: string, role: string): Loaded {
    const metrics = this.metrics;
    if (!metrics) return model;
    const calls: Record<string, Record<string, string>> = {
      clip: { embedImages: 'image', embedTexts: 'text' },
      owl: { detect: 'image+text' },
      yolox: { run: 'image' },
      dino: { attentions: 'image' },
      ocr: { read: 'image' },
    };
    const target = model as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const [method, input] of Object.entries(calls[role] ?? {})) {
      const original = target[method];
      if (typeof original !== 'function') continue;
      target[method] = async (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return await original.apply(model, args);
        } finally {
          metrics.inference(name, role, input, (performance.now() - t0) / 1000);
        }
      };
    }
    return model;
  }

  async release(): Promise<void> {
    for (const pending of this.loaded.values()) {
      const model = await pending.catch(() => null);
      await model?.release();
    }
    this.loaded.clear();
  }
}
