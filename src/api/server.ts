// Listens on HTTP and shuts down gracefully: stop accepting, finish in-flight requests, flush snapshots.
// Routes: `/` the web page (built by `npm run build:web` into dist/public), `/assets/*` its files, `/media/*` document
// images, `/marqo/*` the Marqo-compatible REST API (api/marqo), and everything else to yoga (`/graphql` with
// GraphiQL, `/ready`).
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join } from 'node:path';
import { repoRoot } from '../config.js';
import type { Logger } from '../log.js';
import type { Loupe } from '../services/loupe.js';
import { sendJsonError } from './http-errors.js';
import { handleMediaRequest, MEDIA_PREFIX } from './media-route.js';
import { createHttpGuard } from './http-guard.js';
import { handleMarqoRequest, isMarqoPath } from './marqo/router.js';
import { createApi } from './yoga.js';

export interface RunningServer {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Folder holding the built page (index.html + assets); default dist/public under the repository. */
  webDir?: string;
}

export const DEFAULT_WEB_DIR = join(repoRoot, 'dist', 'public');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

// The page talks only to this origin; images may come from wherever documents point (redirects from /media/).
const PAGE_CSP = [
  "default-src 'self'",
  "img-src 'self' http: https: data: blob:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface StaticFile {
  type: string;
  body: Buffer;
}

/** Reads the built page once at start: a fixed set of files, so no request path ever reaches the file system. */
function loadWebAssets(dir: string, log: Logger): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    log.warn('the web page is not built; `/` will say so', { webDir: dir, fix: 'npm run build:web' });
    return files;
  }
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (type) files.set(name, { type, body: readFileSync(join(dir, name)) });
  }
  return files;
}

function sendStatic(method: string | undefined, res: import('node:http').ServerResponse, file: StaticFile, page: boolean): void {
  res.writeHead(200, {
    'content-type': file.type,
    'content-length': file.body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    ...(page ? { 'content-security-policy': PAGE_CSP, 'referrer-policy': 'no-referrer' } : {}),
  });
  res.end(method === 'HEAD' ? undefined : file.body);
}

export async function startServer(loupe: Loupe, log: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const yoga = createApi(loupe, log);
  const guard = await createHttpGuard(loupe, log); // keys, request ids, access log, /metrics, shutdown drain
  const webDir = options.webDir ?? DEFAULT_WEB_DIR;
  const assets = loadWebAssets(webDir, log);
  const server = createServer(
    guard.wrap(async (req, res) => {
      const pathname = (req.url ?? '/').split('?')[0] ?? '/';
      const read = req.method === 'GET' || req.method === 'HEAD';
      if (read && (pathname === '/' || pathname === '/index.html')) {
        const page = assets.get('index.html');
        if (page) return sendStatic(req.method, res, page, true);
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`The Loupe web page is not built (no ${join(webDir, 'index.html')}): run \`npm run build:web\`. GraphiQL is at /graphql.\n`);
        return;
      }
      if (pathname.startsWith('/assets/')) {
        const file = read ? assets.get(pathname.slice('/assets/'.length)) : undefined;
        if (file && !pathname.slice('/assets/'.length).includes('/') && pathname !== '/assets/index.html') return sendStatic(req.method, res, file, false);
        return sendJsonError(res, 404, 'NOT_FOUND', `No such asset: ${pathname.slice(0, 200)}`);
      }
      if (pathname.startsWith(MEDIA_PREFIX)) return handleMediaRequest(req, res, pathname, loupe.media, log);
      if (isMarqoPath(pathname)) return handleMarqoRequest(req, res, loupe, log.child({ component: 'marqo' }));
      await yoga.handle(req, res);
    }),
  );
  server.requestTimeout = 10 * 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(loupe.config.port, loupe.config.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : loupe.config.port;
  const url = `http://${loupe.config.host.includes(':') ? `[${loupe.config.host}]` : loupe.config.host}:${port}`;
  let stopping: Promise<void> | null = null;
  return {
    url,
    server,
    stop() {
      stopping ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Let in-flight requests finish (new ones get 503); then end progress streams (server-sent events) and idle sockets.
          void guard.drain(loupe.config.shutdownTimeoutMs).then(() => server.closeAllConnections());
        });
        await loupe.close();
      })();
      return stopping;
    },
  };
}
