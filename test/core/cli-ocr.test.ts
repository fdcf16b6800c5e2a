// "A new user indexes a folder of screenshots with OCR and finds a word with its box from the CLI."
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';
import { textSvg } from '../helpers/text-images.js';

const run = promisify(execFile);
const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: process.env, timeout: 120_000 });

let t: TestLoupe;
let server: RunningServer;
let folder: string;

beforeAll(async () => {
  t = await createTestLoupe({ port: 0 });
  server = await startServer(t.loupe, (await import('../../src/log.js')).createLogger({}, 'error'));
  folder = mkdtempSync(join(tmpdir(), 'loupe-cli-ocr-'));
  const shot = (lines: Parameters<typeof textSvg>[2]) =>
    sharp(textSvg(1280, 720, lines))
      .png()
      .toBuffer();
  writeFileSync(
    join(folder, 'checkout.png'),
    await shot([
      { text: 'Checkout', x: 60, y: 100, size: 48, weight: 'bold' },
      { text: 'Shipping address', x: 60, y: 220, size: 28 },
      { text: 'Order total 84.20', x: 760, y: 640, size: 32 },
    ]),
  );
  writeFileSync(join(folder, 'login.png'), await shot([{ text: 'Sign in to continue', x: 400, y: 360, size: 40 }]));
}, 180_000);

afterAll(async () => {
  await server?.server.close();
  await t?.close();
});

describe('loupe CLI with OCR', () => {
  it('indexes screenshots with --ocr and prints the matched word with its box', async () => {
    const { stderr } = await cli(['index', folder, '--index', 'shots', '--method', 'none', '--ocr', '--url', server.url]);
    expect(stderr).toMatch(/created index "shots" \(none, flat, text in images read by pp-ocrv4\)/);
    expect(stderr).toMatch(/indexed 2 of 2 into "shots"/);
    const { stdout } = await cli(['search', '--index', 'shots', 'total', '--method', 'lexical', '--url', server.url]);
    expect(stdout).toMatch(/^ 1\. \d\.\d{4} {2}checkout\.png {2}image \[/);
    const box = stdout.match(/image \[(\d+),(\d+),(\d+),(\d+)\] "total" in "Order total 84.20"/);
    expect(box, stdout).not.toBeNull();
    const [x1, y1, x2, y2] = box!.slice(1).map(Number) as [number, number, number, number];
    // "total" is the middle word of the line at (760, 640): right of "Order", inside the line's height.
    expect(x1).toBeGreaterThan(840);
    expect(x2).toBeLessThan(1010);
    expect(y1).toBeGreaterThan(600);
    expect(y2).toBeLessThan(660);
    const json = JSON.parse(
      (await cli(['search', '--index', 'shots', 'sign', '--method', 'hybrid', '--highlights', '3', '--json', '--url', server.url])).stdout,
    );
    const login = json.hits.find((h: any) => h.id === 'login.png');
    expect(login.highlights.find((x: any) => x.matched)).toMatchObject({ field: 'image', text: 'Sign in to continue', matched: ['Sign'] });
    await expect(cli(['search', '--index', 'shots', 'x', '--highlights', '40', '--url', server.url])).rejects.toMatchObject({
      stderr: expect.stringMatching(/--highlights takes an integer from 1 to 16, not 40/),
    });
  });
});
