// Models by folder name under the models directory, loaded once and shared.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionProvider } from '../config.js';
import { invalidArgument, LoupeError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import { loadClipModel, type ClipModel } from '../models/clip-model.js';
import type { EmbeddingModel, ModelProvider } from './ports.js';

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class FolderModelProvider implements ModelProvider {
  private readonly loaded = new Map<string, Promise<ClipModel>>();

  constructor(
    private readonly dir: string,
    readonly defaultModel: string,
    private readonly provider: ExecutionProvider,
    private readonly log: Logger,
  ) {}

  installed(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(this.dir, d.name, 'config.json')))
      .map((d) => d.name)
      .sort();
  }

  get(name: string): Promise<EmbeddingModel> {
    if (typeof name !== 'string' || !MODEL_NAME.test(name) || name.includes('..')) throw invalidArgument('a model folder name', 'model', name);
    const cached = this.loaded.get(name);
    if (cached) return cached;
    {
      const folder = join(this.dir, name);
      if (!existsSync(join(folder, 'config.json')))
        return Promise.reject(new LoupeError('INVALID_INPUT', `Unknown model "${name}": no model folder at ${folder} (installed: ${this.installed().join(', ') || 'none'})`));
      const pending = loadClipModel(folder, { provider: this.provider, logger: this.log });
      pending.catch(() => this.loaded.delete(name));
      this.loaded.set(name, pending);
      return pending;
    }
  }

  async release(): Promise<void> {
    for (const pending of this.loaded.values()) {
      const model = await pending.catch(() => null);
      await model?.release();
    }
    this.loaded.clear();
  }
}
