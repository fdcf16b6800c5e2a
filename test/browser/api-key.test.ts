// The web page against a server that requires API keys (LOUPE_AUTH=on), in Debian's Chromium: without a key it says
// one is needed and offers the key dialog; a read key typed there (keyboard only) makes search work, images included
// (stored ones fetched with the key, URL ones loaded from their URL without it); a read key may not add images and the
// page says an admin key is needed; with an admin key an upload runs with live progress over the keyed SSE stream.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoupeClient } from '../../src/client/client.js';
import * as ops from '../../src/client/operations.js';
import { renderScene, type Scene } from '../../src/demo/scenes.js';
import { sceneImage, serveImages, type ImageServer } from '../helpers/images.js';
import { ARTIFACTS, launchChromium, startPageServer, type Browser, type PageServer } from './harness.js';

let s: PageServer;
let browser: Browser;
let page: Page;
let images: ImageServer;
let admin: LoupeClient;
const keys = { admin: '', read: '' };
let scenes: Scene[] = [];
/** Every request the browser made: URL, method, the key it carried, and whether it asked for an event stream. */
const requests: { url: string; method: string; key: string | undefined; stream: boolean }[] = [];

/** Presses Tab until `selector` has focus (keyboard-only navigation), failing after `max` presses. */
async function tabTo(selector: string, max = 30): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} never received focus after ${max} Tab presses`);
}

/** Opens the key dialog from the focused button with Enter, types `key` and saves it with Enter. */
async function enterKey(opener: string, key: string): Promise<void> {
  await tabTo(opener);
  await page.keyboard.press('Enter');
  await page.locator('#api-key-dialog').waitFor({ state: 'visible' });
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('api-key-input');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
  await page.locator('#api-key-dialog').waitFor({ state: 'hidden' });
}

beforeAll(async () => {
  s = await startPageServer({
    config: { auth: 'on' },
    beforeStart: async (t) => {
      keys.admin = (await t.loupe.access.createKey({ role: 'admin', name: 'page-admin' })).key;
      keys.read = (await t.loupe.access.createKey({ role: 'read', name: 'page-read' })).key;
    },
  });
  admin = new LoupeClient(`${s.url}/graphql`, { 'x-api-key': keys.admin });
  images = await serveImages({
    '/green.png': { body: await sceneImage(160, 120, [255, 255, 255], [{ x1: 40, y1: 30, x2: 120, y2: 90, colour: [40, 170, 70] }]), type: 'image/png' },
  });
  browser = await launchChromium();
  browser.context.on('request', (r) => {
    const headers = r.headers();
    requests.push({ url: r.url(), method: r.method(), key: headers['x-api-key'], stream: (headers.accept ?? '').includes('text/event-stream') });
  });
  page = await browser.context.newPage();
  const created = await ops.execute(admin, ops.CreateIndexDocument, { input: { name: 'scenes', regionMethodSpec: 'simple?hn=2&wn=2' } });
  expect(created.createIndex.__typename).toBe('Index');
  scenes = await Promise.all([6, 12, 13, 14].map((seed) => renderScene(seed)));
  const indexed = scenes.slice(0, 2);
  const res = await ops.execute(
    admin,
    ops.AddDocumentsDocument,
    {
      index: 'scenes',
      documents: [
        ...indexed.map((x) => ({ id: x.id, fields: { caption: x.caption }, files: [{ field: 'image', file: null as unknown as File }] })),
        { id: 'from-url', fields: { image: images.url('/green.png') } },
      ],
    },
    indexed.map((x, i) => ({ path: `variables.documents.${i}.files.0.file`, name: `${x.id}.png`, bytes: x.png, type: 'image/png' })),
  );
  if (res.addDocuments.__typename !== 'AddDocumentsPayload') throw new Error(res.addDocuments.message);
  expect(res.addDocuments.results.filter((r) => !r.ok)).toEqual([]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await images?.close();
  await s?.close();
});

describe('a server that requires API keys', () => {
  it('refuses the page without a key, and the page asks for one', async () => {
    await page.goto(`${s.url}/#/?index=scenes`);
    const prompt = page.locator('.key-prompt');
    await prompt.waitFor();
    expect(await prompt.getAttribute('role')).toBe('alert');
    expect(await prompt.locator('p').textContent()).toMatch(/^This server requires an API key\. Enter one to continue/);
    expect(await prompt.locator('button').textContent()).toBe('Enter API key');
    expect(await page.locator('#hits').count()).toBe(0);
    expect(await page.locator('#api-key-button').textContent()).toBe('API key');
    // The page asked, without a key, and was refused.
    const asked = requests.filter((r) => r.method === 'POST' && r.url.endsWith('/graphql'));
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((r) => r.key === undefined)).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'key-needed.png'), fullPage: true });
  });

  it('says when the saved key is refused', async () => {
    await enterKey('.key-prompt-open', `lp_${'x'.repeat(43)}`);
    await page.waitForFunction(() => /was refused/.test(document.querySelector('.key-prompt p')?.textContent ?? ''));
    expect(await page.locator('.key-prompt p').textContent()).toMatch(
      /^The API key saved in this browser was refused \(Unknown or revoked API key\)\. Enter another key\.$/,
    );
    expect(await page.locator('.key-prompt button').textContent()).toBe('Change API key');
  });

  it('searches with a read key entered by keyboard, images included, and keeps the key across reloads', async () => {
    await enterKey('.key-prompt-open', keys.read);
    expect(await page.evaluate(() => localStorage.getItem('loupe.apiKey'))).toBe(keys.read);
    await page.waitForSelector('#q:focus');
    expect(await page.locator('#api-key-button').textContent()).toBe('API key (saved)');
    await page.keyboard.type('red');
    await page.waitForFunction(() => /hits? for “red”/.test(document.getElementById('search-status')?.textContent ?? ''));
    const api = await ops.execute(admin, ops.SearchDocument, { index: 'scenes', input: { q: 'red', limit: 24, searchableAttributes: ['image'] } });
    if (api.search.__typename !== 'SearchResponse') throw new Error(api.search.message);
    const ids = await page.$$eval('#hits > li', (lis) => lis.map((li) => li.getAttribute('data-id')));
    expect(ids).toEqual(api.search.hits.map((x) => x.id));
    expect(ids).toContain('from-url');
    // Every image shows: uploads through /media with the key (blob: URLs), the URL document from its own server.
    await page.waitForFunction(
      () => [...document.querySelectorAll<HTMLImageElement>('#hits img')].every((img) => img.complete && img.naturalWidth > 0),
      undefined,
      { timeout: 20_000 },
    );
    const sizes = await page.$$eval('#hits > li', (lis) =>
      lis.map((li) => [li.getAttribute('data-id'), li.querySelector('img')!.naturalWidth, li.querySelector('img')!.src.slice(0, 5)]),
    );
    for (const [id, width, scheme] of sizes) {
      if (id === 'from-url') expect([width, scheme]).toEqual([160, 'http:']);
      else expect([width, scheme]).toEqual([480, 'blob:']);
    }
    const media = requests.filter((r) => r.url.includes('/media/'));
    expect(media.length).toBeGreaterThanOrEqual(2);
    expect(media.every((r) => r.key === keys.read)).toBe(true);
    // The key never goes to another site.
    const offsite = requests.filter((r) => r.url.startsWith(images.url('/')));
    expect(offsite.length).toBeGreaterThan(0);
    expect(offsite.every((r) => r.key === undefined)).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'key-search.png'), fullPage: true });

    await page.reload();
    await page.waitForSelector('#q:focus');
    await page.keyboard.type('red');
    await page.waitForFunction(() => /hits? for “red”/.test(document.getElementById('search-status')?.textContent ?? ''));
  });

  it('tells a read key that adding images needs an admin key; with an admin key the upload streams its progress', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'loupe-upload-'));
    const paths = scenes.slice(2).map((x) => {
      const path = join(folder, `${x.id}.png`);
      writeFileSync(path, x.png);
      return path;
    });
    await page.goto(`${s.url}/#/index/scenes`);
    await page.locator('#index-details').waitFor();
    await page.locator('#files').setInputFiles(paths);
    await tabTo('.add-form button[type="submit"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('section.progress[data-done="true"]', { timeout: 60_000 });
    const refused = page.locator('#item-errors .key-prompt');
    expect(await refused.locator('p').textContent()).toMatch(
      /^Key lp_.{8} has role read; mutation operations need the admin role\. Enter an API key that allows this/,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'key-forbidden.png'), fullPage: true });

    const before = requests.length;
    await enterKey('#api-key-button', keys.admin);
    // Saving the key renders the page again: wait for the fresh form (the old one still shows its finished upload).
    await page.waitForSelector('section.progress[data-done="true"]', { state: 'detached' });
    await page.locator('#index-details').waitFor();
    await page.locator('#files').setInputFiles(paths);
    await tabTo('.add-form button[type="submit"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('section.progress[data-done="true"]', { timeout: 60_000 });
    expect(await page.locator('#progress-label').textContent()).toBe('2 of 2 processed (100%), 0 failed — done.');
    expect(Number(await page.locator('section.progress').getAttribute('data-events'))).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#item-errors li').count()).toBe(0);
    // The progress stream was a keyed request (EventSource could not have sent the header).
    const streams = requests.slice(before).filter((r) => r.stream);
    expect(streams.length).toBe(1);
    expect(streams[0]!.key).toBe(keys.admin);
    await page.waitForFunction(() => document.querySelector('[data-key="Documents"]')?.textContent === '5');
  });
});
