// `models pull` and `models list` against a local hub fixture: progress, resume after a cut connection, checksum
// refusal, config completion, and the contract check of installed folders. No test contacts the internet.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pullModel, type PullProgress } from '../../src/models/pull.js';
import { listModels } from '../../src/models/inspect.js';
import { startHubFixture, type HubFixture } from './hub-fixture.js';
import { fileURLToPath } from 'node:url';

const COLOR_CLIP = fileURLToPath(new URL('../../models/color-clip', import.meta.url));
const REPO = 'Xenova/clip-vit-base-patch32';
const NAME = 'clip-vit-base-patch32';
let work: string;
let repoRoot: string;
let modelsDir: string;
let hub: HubFixture;

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

beforeEach(async () => {
  work = mkdtempSync(join(tmpdir(), 'loupe-pull-'));
  repoRoot = join(work, 'repo');
  modelsDir = join(work, 'models');
  cpSync(COLOR_CLIP, repoRoot, { recursive: true });
  rmSync(join(repoRoot, 'MODEL_CARD.md'));
  // A public repo that lacks the processor type: pull must add it.
  const pre = JSON.parse(readFileSync(join(repoRoot, 'preprocessor_config.json'), 'utf8')) as Record<string, unknown>;
  delete pre.image_processor_type;
  writeFileSync(join(repoRoot, 'preprocessor_config.json'), JSON.stringify(pre));
  hub = await startHubFixture(REPO, repoRoot);
});

afterEach(async () => {
  await hub.close();
  rmSync(work, { recursive: true, force: true });
});

describe('loupe models pull', () => {
  it('installs every file verified, reports progress to the total, completes the config and passes the contract check', async () => {
    const events: PullProgress[] = [];
    const result = await pullModel(NAME, { modelsDir, endpoint: hub.endpoint, onProgress: (p) => events.push(p) });
    const dir = join(modelsDir, NAME);
    expect(result.dir).toBe(dir);
    expect(result.report).toMatchObject({ ok: true, kind: 'clip' });
    for (const f of ['onnx/vision_model.onnx', 'onnx/text_model.onnx', 'tokenizer.json', 'config.json']) {
      expect(sha256(join(dir, f))).toBe(sha256(join(repoRoot, f)));
      expect(result.files.find((x) => x.path === f)?.sha256).toBe(sha256(join(repoRoot, f)));
    }
    const pre = JSON.parse(readFileSync(join(dir, 'preprocessor_config.json'), 'utf8')) as Record<string, unknown>;
    expect(pre.image_processor_type).toBe('CLIPImageProcessor');
    expect(pre.size).toEqual({ shortest_edge: 64 });
    const total = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx']
      .map((f) => statSync(join(repoRoot, f)).size)
      .reduce((a, b) => a + b, 0);
    expect(events.length).toBeGreaterThan(6);
    expect(events.every((e) => e.allTotal === total)).toBe(true);
    expect(events.at(-1)!.allReceived).toBe(total);
    for (let i = 1; i < events.length; i++) expect(events[i]!.allReceived).toBeGreaterThanOrEqual(events[i - 1]!.allReceived);
    expect(existsSync(join(modelsDir, `.${NAME}.pull`))).toBe(false);
    expect(hub.requests.every((r) => r.range === null)).toBe(true);
  });

  it('resumes a cut connection with a Range request from the bytes already on disk', async () => {
    hub.cut('onnx/vision_model.onnx', 2000);
    const result = await pullModel(NAME, { modelsDir, endpoint: hub.endpoint });
    expect(result.report.ok).toBe(true);
    const gets = hub.requests.filter((r) => r.url.endsWith('/onnx/vision_model.onnx'));
    expect(gets.map((r) => r.range)).toEqual([null, 'bytes=2000-']);
    expect(sha256(join(modelsDir, NAME, 'onnx/vision_model.onnx'))).toBe(sha256(join(repoRoot, 'onnx/vision_model.onnx')));
  });

  it('keeps the partial file when retries run out, and a second pull resumes it', async () => {
    hub.cut('onnx/text_model.onnx', 1500);
    await expect(pullModel(NAME, { modelsDir, endpoint: hub.endpoint, retries: 0 })).rejects.toThrow(/text_model\.onnx failed after 1 attempt\(s\) at 1500 of \d+ bytes.*run the pull again to resume/);
    expect(statSync(join(modelsDir, `.${NAME}.pull`, 'onnx/text_model.onnx.part')).size).toBe(1500);
    expect(existsSync(join(modelsDir, NAME))).toBe(false);
    const before = hub.requests.length;
    const result = await pullModel(NAME, { modelsDir, endpoint: hub.endpoint, retries: 0 });
    expect(result.report.ok).toBe(true);
    const again = hub.requests.slice(before).filter((r) => r.url.includes('/resolve/'));
    // Files verified by the first try are not fetched again; the cut one continues at byte 1500.
    expect(again).toEqual([{ url: `/${REPO}/resolve/main/onnx/text_model.onnx`, range: 'bytes=1500-' }]);
    expect(result.files.find((f) => f.path === 'onnx/text_model.onnx')?.resumedFrom).toBe(1500);
  });

  it('refuses a file whose sha256 differs from the hub listing and installs nothing', async () => {
    hub.corrupt('onnx/vision_model.onnx');
    await expect(pullModel(NAME, { modelsDir, endpoint: hub.endpoint })).rejects.toThrow(/Checksum mismatch for Xenova\/clip-vit-base-patch32\/onnx\/vision_model\.onnx: sha256 [0-9a-f]{64}, expected 0{64}; the download was discarded/);
    expect(existsSync(join(modelsDir, NAME))).toBe(false);
    expect(existsSync(join(modelsDir, `.${NAME}.pull`, 'onnx/vision_model.onnx.part'))).toBe(false);
  });

  it('rejects unknown names, a repo missing a file, and an existing folder without force', async () => {
    await expect(pullModel('gpt-7', { modelsDir, endpoint: hub.endpoint })).rejects.toThrow(/Unknown public model "gpt-7" \(known: clip-vit-base-patch32, /);
    rmSync(join(repoRoot, 'onnx/text_model.onnx'));
    const partial = await startHubFixture(REPO, repoRoot);
    await expect(pullModel(NAME, { modelsDir, endpoint: partial.endpoint })).rejects.toThrow(/has no file onnx\/text_model\.onnx/);
    await partial.close();
    cpSync(COLOR_CLIP, join(modelsDir, NAME), { recursive: true });
    await expect(pullModel(NAME, { modelsDir, endpoint: hub.endpoint })).rejects.toThrow(/clip-vit-base-patch32 already exists \(use --force to replace it\)/);
    await expect(pullModel(NAME, { modelsDir, endpoint: 'ftp://x' })).rejects.toThrow(/Expected an http\(s\) URL for opts.endpoint but received "ftp:\/\/x" of type string/);
  });
});

describe('loupe models list', () => {
  it('reports valid folders with their ONNX inputs/outputs and names the contract violation of a bad one', async () => {
    await pullModel(NAME, { modelsDir, endpoint: hub.endpoint });
    const bad = join(modelsDir, 'swapped-clip');
    cpSync(join(modelsDir, NAME), bad, { recursive: true });
    cpSync(join(bad, 'onnx/text_model.onnx'), join(bad, 'onnx/vision_model.onnx'));
    const reports = await listModels(modelsDir);
    expect(reports.map((r) => [r.name, r.ok])).toEqual([
      [NAME, true],
      ['swapped-clip', false],
    ]);
    expect(reports[0]!.onnx).toEqual([
      { file: 'onnx/vision_model.onnx', inputs: ['pixel_values'], outputs: ['image_embeds'] },
      { file: 'onnx/text_model.onnx', inputs: ['input_ids', 'attention_mask'], outputs: ['text_embeds'] },
    ]);
    expect(reports[1]!.error).toMatch(/"swapped-clip" violates the model contract \(MODELS\.md\): onnx\/vision_model\.onnx has no input "pixel_values" \(inputs: input_ids, attention_mask\)/);
  });
});
