// `loupe models list`: every model folder under the models directory, loaded once on the CPU and checked against its
// contract (folder files, then each ONNX file's input and output names and element types).
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve, basename } from 'node:path';
import * as ort from 'onnxruntime-node';
import { invalidArgument } from '../domain/errors.js';
import { checkSessionIo, MODEL_CONTRACTS, type ModelKind } from './contract.js';
import { loadModelFolder } from './folder.js';

export interface OnnxIo {
  /** Path inside the folder. */
  file: string;
  inputs: string[];
  outputs: string[];
}

export interface ModelReport {
  name: string;
  dir: string;
  /** config.json model_type when it could be read. */
  kind: ModelKind | null;
  ok: boolean;
  /** Why the folder violates the contract (a MODEL_INVALID message). */
  error?: string;
  onnx: OnnxIo[];
}

/** Loads one folder and reports whether it meets its contract; never throws for a bad folder. */
export async function inspectModelFolder(dir: string): Promise<ModelReport> {
  if (typeof dir !== 'string' || dir === '') throw invalidArgument('a model folder path', 'dir', dir);
  const abs = resolve(dir);
  const report: ModelReport = { name: basename(abs), dir: abs, kind: null, ok: false, onnx: [] };
  try {
    const folder = await loadModelFolder(abs);
    report.kind = folder.kind;
    for (const [role, contract] of Object.entries(MODEL_CONTRACTS[folder.kind].onnx)) {
      const session = await ort.InferenceSession.create(folder.onnx[role]!, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
      try {
        report.onnx.push({ file: contract.file, inputs: [...session.inputNames], outputs: [...session.outputNames] });
        checkSessionIo(folder.dir, contract, session);
      } finally {
        await session.release();
      }
    }
    report.ok = true;
  } catch (e) {
    report.error = e instanceof Error ? e.message : String(e);
  }
  return report;
}

/** Reports for every folder with a config.json under `modelsDir` (hidden staging folders skipped), by name. */
export async function listModels(modelsDir: string): Promise<ModelReport[]> {
  if (typeof modelsDir !== 'string' || modelsDir === '') throw invalidArgument('a folder path', 'modelsDir', modelsDir);
  if (!existsSync(modelsDir)) return [];
  const names = readdirSync(modelsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && existsSync(join(modelsDir, d.name, 'config.json')))
    .map((d) => d.name)
    .sort();
  const out: ModelReport[] = [];
  for (const name of names) out.push(await inspectModelFolder(join(modelsDir, name)));
  return out;
}
