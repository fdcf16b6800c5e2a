// Reading a model folder (HF / transformers.js layout) and checking it against the contract before any session loads.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { invalidArgument } from '../domain/errors.js';
import { MODEL_CONTRACTS, MODEL_KINDS, modelInvalid, type ModelKind } from './contract.js';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export interface ModelFolder {
  /** Absolute path of the folder. */
  dir: string;
  /** Folder name: the model's name in Loupe. */
  name: string;
  kind: ModelKind;
  config: JsonObject;
  /** preprocessor_config.json; null for kinds that do not need one (YOLOX) when absent. */
  preprocessorConfig: JsonObject | null;
  /** tokenizer.json and tokenizer_config.json; null for kinds without text. */
  tokenizer: { json: JsonObject; config: JsonObject } | null;
  /** Absolute paths of the contract's ONNX files, by role (clip: vision, text; others: model). */
  onnx: Record<string, string>;
}

export const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

async function readJsonObject(dir: string, file: string, required: true): Promise<JsonObject>;
async function readJsonObject(dir: string, file: string, required: boolean): Promise<JsonObject | null>;
async function readJsonObject(dir: string, file: string, required: boolean): Promise<JsonObject | null> {
  const path = join(dir, file);
  if (!existsSync(path)) {
    if (required) throw modelInvalid(dir, `${file} is missing`);
    return null;
  }
  let parsed: Json;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Json;
  } catch (e) {
    throw modelInvalid(dir, `${file} is not valid JSON (${e instanceof Error ? e.message : String(e)})`, e);
  }
  if (!isObject(parsed)) throw modelInvalid(dir, `${file} must hold a JSON object`);
  return parsed;
}

/**
 * Reads and validates a model folder: config.json (model_type one of clip | owlvit | yolox | dino | ppocr), the
 * preprocessor and tokenizer files that kind needs, and the presence of its ONNX files. Rejects with
 * LoupeError('MODEL_INVALID') naming the folder and the missing or violating piece. Session input/output names are
 * checked when sessions are created (checkSessionIo). With `expected`, a folder of another kind is refused first.
 */
export async function loadModelFolder(dir: string, expected?: ModelKind): Promise<ModelFolder> {
  if (typeof dir !== 'string' || dir === '') throw invalidArgument('a model folder path', 'dir', dir);
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw modelInvalid(abs, 'no such folder');
  const config = await readJsonObject(abs, 'config.json', true);
  const type = config.model_type;
  const kind = MODEL_KINDS.find((k) => k === type);
  if (!kind) throw modelInvalid(abs, `config.json model_type must be one of ${MODEL_KINDS.join(', ')} (found ${JSON.stringify(type ?? null)})`);
  if (expected !== undefined && kind !== expected) throw modelInvalid(abs, `config.json model_type is "${kind}", expected "${expected}"`);
  const contract = MODEL_CONTRACTS[kind];
  const preprocessorConfig = await readJsonObject(abs, 'preprocessor_config.json', contract.preprocessor);
  let tokenizer: ModelFolder['tokenizer'] = null;
  if (contract.tokenizer) {
    const json = await readJsonObject(abs, 'tokenizer.json', true);
    if (!isObject(json.model) || typeof json.model.type !== 'string') throw modelInvalid(abs, 'tokenizer.json has no "model" with a "type"');
    tokenizer = { json, config: await readJsonObject(abs, 'tokenizer_config.json', true) };
  }
  const onnx: Record<string, string> = {};
  for (const [role, c] of Object.entries(contract.onnx)) {
    const path = join(abs, c.file);
    if (!existsSync(path) || !statSync(path).isFile()) throw modelInvalid(abs, `${c.file} is missing`);
    onnx[role] = path;
  }
  return { dir: abs, name: basename(abs), kind, config, preprocessorConfig, tokenizer, onnx };
}

/** A positive integer field, or undefined when absent; anything else is a contract violation. */
export function positiveInt(dir: string, where: string, v: Json | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw modelInvalid(dir, `${where} must be a positive integer (found ${JSON.stringify(v)})`);
  return v;
}
