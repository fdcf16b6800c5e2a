// The `loupe` CLI against a real server: index a folder with uploads, search with --json.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';
import { sceneImage } from '../helpers/images.js';

const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, ...env }, timeout: 60_000 });

let t: TestLoupe;
let server: RunningServer;
let folder: string;

beforeAll(async () => {
  t = await createTestLoupe({ port: 0 });
  server = await startServer(t.loupe, (await import('../../src/log.js')).createLogger({}, 'error'));
  folder = mkdtempSync(join(tmpdir(), 'loupe-cli-'));
  writeFileSync(join(folder, 'orange.png'), await sceneImage(300, 300, [255, 255, 255], [{ x1: 200, y1: 200, x2: 300, y2: 300, colour: [245, 140, 20] }]));
  writeFileSync(join(folder, 'cyan.jpg'), await sceneImage(300, 300, [255, 255, 255], [{ x1: 0, y1: 100, x2: 100, y2: 200, colour: [30, 200, 215] }], 'jpeg'));
  writeFileSync(join(folder, 'broken.png'), Buffer.from('not really a png'));
  writeFileSync(join(folder, 'notes.txt'), 'ignored: not an image');
}, 120_000);

afterAll(async () => {
  await server?.server.close();
  await t?.close();
});

describe('loupe CLI', () => {
  it('indexes a folder (creating the index), reporting the broken file and counting the rest', async () => {
    const { stderr } = await cli(['index', folder, '--index', 'cli', '--method', 'simple?hn=3&wn=3', '--url', server.url]);
    expect(stderr).toMatch(/created index "cli"/);
    expect(stderr).toMatch(/broken\.png: IMAGE_UNREADABLE/);
    expect(stderr).toMatch(/indexed 2 of 3 into "cli"/);
  });

  it('prints hits with boxes as JSON', async () => {
    const { stdout } = await cli(['search', '--index', 'cli', 'orange', '--json', '--url', server.url]);
    const out = JSON.parse(stdout) as {
      hits: { id: string; score: number; highlights: { field: string; box: { x1: number; y1: number; x2: number; y2: number } }[] }[];
    };
    expect(Object.keys(out)).toEqual(['hits']);
    expect(out.hits[0]!.id).toBe('orange.png');
    expect(Object.keys(out.hits[0]!)).toEqual(['id', 'score', 'highlights']);
    expect(out.hits[0]!.highlights[0]).toEqual({ field: 'image', box: { x1: 200, y1: 200, x2: 300, y2: 300 } });
  });

  it('prints a readable table and fails clearly on an unknown index or an unreachable server', async () => {
    const { stdout } = await cli(['search', '--index', 'cli', 'cyan', '--url', server.url]);
    expect(stdout).toMatch(/^ 1\. \d\.\d{4} {2}cyan\.jpg {2}image \[0,100,100,200\]/);
    await expect(cli(['search', '--index', 'nope', 'x', '--url', server.url])).rejects.toMatchObject({ stderr: expect.stringMatching(/INDEX_NOT_FOUND/) });
    await expect(cli(['search', '--index', 'cli', 'x', '--url', 'http://127.0.0.1:9'])).rejects.toMatchObject({
      stderr: expect.stringMatching(/Cannot reach Loupe/),
    });
  });
});
