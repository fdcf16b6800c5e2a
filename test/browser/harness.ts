// Shared pieces of the browser and HTTP tests: a real Loupe behind a real HTTP server serving a fresh build of the
// page, the typed client, and Debian's Chromium driven by playwright-core (never a downloaded browser).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { LoupeClient } from '../../src/client/client.js';
import type { LoupeConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { buildWebPage } from '../../src/web/build.js';
import { createTestLoupe, type TestLoupe } from '../helpers/loupe.js';

export const CHROMIUM = process.env.LOUPE_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = resolve('test-artifacts', 'browser');

export interface PageServer {
  t: TestLoupe;
  server: RunningServer;
  client: LoupeClient;
  url: string;
  close(): Promise<void>;
}

export interface PageServerOptions {
  /** Config overrides, e.g. `{ auth: 'on' }` for a server that requires API keys. */
  config?: Partial<LoupeConfig>;
  /** Runs on the Loupe before the server starts (a server requiring keys refuses to start without one). */
  beforeStart?: (t: TestLoupe) => Promise<void>;
}

export async function startPageServer(options: PageServerOptions = {}): Promise<PageServer> {
  const webDir = mkdtempSync(join(tmpdir(), 'loupe-web-'));
  await buildWebPage(webDir);
  const t = await createTestLoupe({ port: 0, ...options.config });
  await options.beforeStart?.(t);
  const server = await startServer(t.loupe, createLogger({ test: true }, 'error'), { webDir });
  return {
    t,
    server,
    url: server.url,
    client: new LoupeClient(`${server.url}/graphql`),
    async close() {
      await server.stop();
      rmSync(t.config.dataDir, { recursive: true, force: true });
      rmSync(t.imageRoot, { recursive: true, force: true });
      rmSync(webDir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile; fails (never skips) when Debian's chromium is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the browser tests need Debian's chromium ` +
        '(`apt-get install -y chromium`, which scripts/install.sh does), or LOUPE_CHROMIUM pointing at a Chromium binary',
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'loupe-chromium-'));
  // playwright passes --user-data-dir=<profile> itself for a persistent context (a fresh folder per run).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
