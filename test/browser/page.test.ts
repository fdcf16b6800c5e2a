// The web page in Debian's Chromium: search by typing with the keyboard, the top hit's box drawn exactly where the
// API says (after scaling), every region on request, the fields dialog, a phone-sized viewport, and an upload through
// the index page whose progress bar (fed by the SSE subscription) reaches 100%. Screenshots go to test-artifacts/.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ops from '../../src/client/operations.js';
import { renderScene, type Scene } from '../../src/demo/scenes.js';
import { iou } from '../helpers/images.js';
import { ARTIFACTS, launchChromium, startPageServer, type Browser, type PageServer } from './harness.js';

const INDEXED_SEEDS = [1, 2, 4, 6, 7, 11, 12, 19]; // scenes 6 and 12 hold the red objects
const UPLOADED_SEEDS = [13, 14, 15];
type Rect = { x: number; y: number; width: number; height: number };

let s: PageServer;
let browser: Browser;
let page: Page;
const scenes = new Map<string, Scene>();

async function searchApi(q: string) {
  // The page's default: a tensor search over the image fields (captions would otherwise compete as text chunks).
  const res = await ops.execute(s.client, ops.SearchDocument, { index: 'scenes', input: { q, limit: 24, searchableAttributes: ['image'] } });
  if (res.search.__typename !== 'SearchResponse') throw new Error(res.search.message);
  return res.search.hits;
}

/** Presses Tab until `selector` has focus (keyboard-only navigation), failing after `max` presses. */
async function tabTo(selector: string, max = 30): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} never received focus after ${max} Tab presses`);
}

beforeAll(async () => {
  s = await startPageServer();
  browser = await launchChromium();
  page = await browser.context.newPage();
  const created = await ops.execute(s.client, ops.CreateIndexDocument, { input: { name: 'scenes', regionMethodSpec: 'simple?hn=3&wn=3' } });
  expect(created.createIndex.__typename).toBe('Index');
  const rendered = await Promise.all([...INDEXED_SEEDS, ...UPLOADED_SEEDS].map((seed) => renderScene(seed)));
  for (const scene of rendered) scenes.set(scene.id, scene);
  const indexed = rendered.filter((x) => INDEXED_SEEDS.includes(Number(x.id.slice(-4))));
  const res = await ops.execute(
    s.client,
    ops.AddDocumentsDocument,
    {
      index: 'scenes',
      documents: indexed.map((x) => ({ id: x.id, fields: { caption: x.caption }, files: [{ field: 'image', file: null as unknown as File }] })),
    },
    indexed.map((x, i) => ({ path: `variables.documents.${i}.files.0.file`, name: `${x.id}.png`, bytes: x.png, type: 'image/png' })),
  );
  if (res.addDocuments.__typename !== 'AddDocumentsPayload') throw new Error(res.addDocuments.message);
  expect(res.addDocuments.succeeded).toBe(indexed.length);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

describe('search page', () => {
  it('finds the red scenes by typing and draws the top hit box where the API puts it', async () => {
    const api = await searchApi('red');
    const top = api[0]!;
    const apiBox = top.highlights.find((x) => x.box)!.box!;
    // The API itself is right: the top hit is a red scene and its box is on the red object.
    const redObject = scenes.get(top.id)!.objects.find((o) => o.colour === 'red');
    expect(redObject, `top hit ${top.id} has a red object`).toBeDefined();
    expect(iou(apiBox, redObject!.box)).toBeGreaterThan(0.2);

    await page.goto(`${s.url}/#/?index=scenes`);
    await page.waitForSelector('#q:focus');
    await page.keyboard.type('red');
    await page.waitForFunction(() => /hits? for “red”/.test(document.getElementById('search-status')?.textContent ?? ''));
    const ids = await page.$$eval('#hits > li', (lis) => lis.map((li) => li.getAttribute('data-id')));
    expect(ids).toEqual(api.map((h) => h.id));

    const first = page.locator('#hits > li').first();
    await first
      .locator('img')
      .evaluate((img: HTMLImageElement) => (img.complete && img.naturalWidth > 0) || new Promise((r, j) => ((img.onload = r), (img.onerror = j))));
    const natural = await first.locator('img').evaluate((img: HTMLImageElement) => ({ w: img.naturalWidth, h: img.naturalHeight }));
    expect(natural).toEqual({ w: 480, h: 360 }); // streamed from /media/scenes/<id>/image
    const img = (await first.locator('img').boundingBox()) as Rect;
    const drawn = (await first.locator('.box.highlight').boundingBox()) as Rect;
    const sx = img.width / 480;
    const sy = img.height / 360;
    expect(img.width).toBeLessThan(480); // scaled down in the grid, so the scaling is really tested
    expect(Math.abs(drawn.x - (img.x + apiBox.x1 * sx))).toBeLessThanOrEqual(1);
    expect(Math.abs(drawn.y - (img.y + apiBox.y1 * sy))).toBeLessThanOrEqual(1);
    expect(Math.abs(drawn.width - (apiBox.x2 - apiBox.x1) * sx)).toBeLessThanOrEqual(1);
    expect(Math.abs(drawn.height - (apiBox.y2 - apiBox.y1) * sy)).toBeLessThanOrEqual(1);
    await page.screenshot({ path: join(ARTIFACTS, 'search-red.png'), fullPage: true });
  });

  it('shows every region of each hit when asked, by keyboard', async () => {
    expect(await page.locator('#hits > li').first().locator('.box.region').count()).toBe(0);
    await tabTo('#regions');
    await page.keyboard.press('Space');
    await page.waitForFunction(() => document.querySelectorAll('#hits > li:first-child .box.region').length > 0);
    expect(await page.locator('#hits > li').first().locator('.box.region').count()).toBe(9); // the 3 × 3 grid
    await page.screenshot({ path: join(ARTIFACTS, 'search-regions.png'), fullPage: true });
  });

  it("opens a hit's fields from the keyboard and closes them with Escape", async () => {
    await tabTo('#hits > li:first-child .hit-open');
    await page.keyboard.press('Enter');
    const dialog = page.locator('#hit-dialog');
    await dialog.waitFor({ state: 'visible' });
    const topId = await page.locator('#hits > li').first().getAttribute('data-id');
    expect(await dialog.locator('h2').textContent()).toBe(topId);
    expect(await dialog.locator('.fields').textContent()).toContain(scenes.get(topId!)!.caption);
    await page.screenshot({ path: join(ARTIFACTS, 'hit-dialog.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  it('fits a phone-sized viewport without sideways scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.waitForTimeout(100);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const card = (await page.locator('#hits > li').first().boundingBox()) as Rect;
    expect(card.width).toBeGreaterThan(300); // one hit per row
    await page.screenshot({ path: join(ARTIFACTS, 'search-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});

describe('index page', () => {
  it('shows the index and uploads images with live progress to 100%, listing the broken one', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'loupe-upload-'));
    const paths = UPLOADED_SEEDS.map((seed) => {
      const scene = [...scenes.values()].find((x) => x.id.endsWith(String(seed).padStart(4, '0')))!;
      const path = join(folder, `${scene.id}.png`);
      writeFileSync(path, scene.png);
      return path;
    });
    writeFileSync(join(folder, 'broken.png'), 'not an image at all');
    await page.goto(`${s.url}/#/index/scenes`);
    const details = page.locator('#index-details');
    await details.waitFor();
    expect(await details.locator('[data-key="Documents"]').textContent()).toBe(String(INDEXED_SEEDS.length));
    expect(await details.locator('[data-key="Region method"]').textContent()).toBe('simple?hn=3&wn=3');
    expect(await details.locator('[data-key="Model"]').textContent()).toMatch(/^color-clip /);

    await page.locator('#files').setInputFiles([...paths, join(folder, 'broken.png')]);
    await tabTo('.add-form button[type="submit"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('section.progress[data-done="true"]', { timeout: 60_000 });
    const bar = await page.locator('#progress').evaluate((p: HTMLProgressElement) => ({ value: p.value, max: p.max }));
    expect(bar).toEqual({ value: 4, max: 4 });
    const section = page.locator('section.progress');
    expect(await section.getAttribute('data-percent')).toBe('100');
    expect(Number(await section.getAttribute('data-events'))).toBeGreaterThanOrEqual(2); // fed by the subscription
    const label = await page.locator('#progress-label').textContent();
    expect(label).toMatch(/^4 of 4 processed \(100%\), 1 failed — done\.$/);
    expect(await page.locator('#item-errors li').allTextContents()).toEqual([expect.stringMatching(/^broken\.png: IMAGE_UNREADABLE /)]);
    await page.waitForFunction(
      (n) => document.querySelector('[data-key="Documents"]')?.textContent === String(n),
      INDEXED_SEEDS.length + UPLOADED_SEEDS.length,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'index-upload.png'), fullPage: true });
  });

  it('searches by an uploaded image chosen on the search page', async () => {
    const scene = [...scenes.values()].find((x) => x.id.endsWith('0013'))!;
    const file = join(mkdtempSync(join(tmpdir(), 'loupe-query-')), 'query.png');
    writeFileSync(file, scene.png);
    await page.goto(`${s.url}/#/?index=scenes`);
    await page.waitForSelector('#q:focus');
    await page.locator('#image').setInputFiles(file);
    await page.waitForFunction(() => /hits? for image query\.png/.test(document.getElementById('search-status')?.textContent ?? ''));
    expect(await page.locator('#hits > li').first().getAttribute('data-id')).toBe(`${scene.id}.png`);
  });
});
