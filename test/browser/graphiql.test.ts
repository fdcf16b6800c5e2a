// GraphiQL at /graphql works offline: Debian's Chromium opens it with every request that would leave this machine
// aborted and recorded, and the editor must render with Loupe's example operations and load the schema from /graphql.
// (yoga's default page loads its scripts, styles and editor workers from unpkg, so offline it stays blank.)
import { join } from 'node:path';
import type { Locator, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium, startPageServer, type Browser, type PageServer } from './harness.js';

let s: PageServer;
let browser: Browser;
let page: Page;
const offsite: string[] = [];
const graphqlPosts: Request[] = [];
const pageErrors: string[] = [];

/** Whether a request stays on this machine: the test server, or data/blob URLs the page builds itself. */
function local(url: string): boolean {
  const u = new URL(url);
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

/** Monaco draws spaces as no-break spaces and lines as blocks without newlines: compare with whitespace collapsed. */
async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ');
}

beforeAll(async () => {
  s = await startPageServer();
  browser = await launchChromium();
  // Every request of the context (page and workers) passes here: off-machine ones are recorded and aborted, as they
  // would fail on an offline machine.
  await browser.context.route('**/*', (route) => {
    const url = route.request().url();
    if (local(url)) return route.continue();
    offsite.push(url);
    return route.abort('internetdisconnected');
  });
  browser.context.on('request', (r) => {
    if (!local(r.url())) offsite.push(r.url());
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/graphql') graphqlPosts.push(r);
  });
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

describe('GraphiQL', () => {
  it('is served without a CDN and renders the editor with the example operations', async () => {
    const res = await page.goto(`${s.url}/graphql`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toMatch(/^text\/html/);
    expect(await page.title()).toBe('Loupe GraphiQL');
    expect(offsite, 'requests that would leave this machine').toEqual([]);
    // The editor (Monaco, inside GraphiQL) shows the first lines of the example operations.
    const editor = page.locator('.graphiql-container .graphiql-query-editor .view-lines');
    await editor.waitFor({ state: 'visible', timeout: 30_000 });
    await expect
      .poll(() => textOf(editor), { timeout: 30_000 })
      .toMatch(/Loupe: which images match, and where\.# 1\. Create an index.*mutation CreateIndex \{/);
    // GraphiQL's script ran far enough to ask the server for the schema (introspection) and got it.
    await expect.poll(() => graphqlPosts.length, { timeout: 30_000 }).toBeGreaterThan(0);
    const introspection = graphqlPosts.find((r) => (r.postData() ?? '').includes('__schema'));
    expect(introspection, 'an introspection POST to /graphql').toBeDefined();
    const answer = await introspection!.response();
    expect(answer?.status()).toBe(200);
    expect(((await answer!.json()) as { data?: { __schema?: unknown } }).data?.__schema).toBeDefined();
    await page.screenshot({ path: join(ARTIFACTS, 'graphiql.png') });
    expect(offsite).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('runs the example Search operation against this server and shows its typed error', async () => {
    // GraphiQL runs the operation under the cursor: put it on the `query Search` line, then Ctrl+Enter.
    await page.locator('.graphiql-query-editor .view-line', { hasText: /query\sSearch/ }).click();
    await page.keyboard.press('ControlOrMeta+Enter');
    const result = page.locator('.graphiql-response .view-lines');
    // No index "photos" here: the answer is the typed LoupeError, which proves the request went through the key and
    // origin checks and reached the resolver.
    await expect.poll(() => textOf(result), { timeout: 30_000 }).toMatch(/"search": \{ "__typename": "LoupeError", "code": "INDEX_NOT_FOUND"/);
    await page.screenshot({ path: join(ARTIFACTS, 'graphiql-search.png') });
    expect(offsite).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
