// The server's front door, around every HTTP request: a request id, one structured access-log line, request
// metrics, `/metrics` (Prometheus), keys for the routes yoga does not serve (`/media/*`, `/metrics`), the
// Content-Length rule for uploads, and draining on shutdown (new requests get 503, in-flight ones finish).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { internalMessage, RequestError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import { routeOf } from '../metrics.js';
import { presentedKey } from '../services/access-service.js';
import type { Loupe } from '../services/loupe.js';
import { sendJsonError } from './http-errors.js';
import { sendMarqoError } from './marqo/errors.js';
import { requestNotes } from './request-notes.js';
import { requestIdOf } from './yoga.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface HttpGuard {
  wrap(handler: Handler): (req: IncomingMessage, res: ServerResponse) => void;
  /** Refuses new requests from now on and resolves once in-flight ones (not event streams) finish, or after timeoutMs. */
  drain(timeoutMs: number): Promise<void>;
  /** Requests being answered now, event streams excluded. */
  readonly inFlight: number;
}

function headerSource(req: IncomingMessage): { get(name: string): string | null } {
  return {
    get: (name) => {
      const v = req.headers[name.toLowerCase()];
      return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
    },
  };
}

/** Builds the front door; refuses (rejects) when the server would be reachable from other machines without keys. */
export async function createHttpGuard(loupe: Loupe, log: Logger): Promise<HttpGuard> {
  await loupe.access.assertServable();
  const { metrics, access, config } = loupe;
  const accessLog = log.child({ component: 'http' });
  let inFlight = 0;
  let draining = false;
  const idle: (() => void)[] = [];
  const settle = () => {
    if (inFlight === 0) for (const resolve of idle.splice(0)) resolve();
  };

  const wrap = (handler: Handler) => (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const requestId = requestIdOf(headerSource(req).get('x-request-id'));
    req.headers['x-request-id'] = requestId;
    res.setHeader('x-request-id', requestId);
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routeOf(pathname);
    const method = req.method ?? 'GET';
    const stream = (req.headers.accept ?? '').includes('text/event-stream');
    const finish = metrics.requestStarted(route, method);
    if (!stream) inFlight++;
    res.once('close', () => {
      finish(res.statusCode);
      if (!stream) inFlight--;
      const notes = requestNotes.get(req);
      const line = {
        requestId,
        method,
        path: pathname.slice(0, 200),
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ...(notes?.key ? { key: notes.key } : {}),
        ...(notes?.operation ? { operation: notes.operation } : {}),
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (route === 'metrics' || route === 'ready') accessLog.debug('request', line);
      else if (res.statusCode >= 500) accessLog.warn('request', line);
      else accessLog.info('request', line);
      settle();
    });
    const sendError = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
      route === 'marqo' ? sendMarqoError(res, status, code, message, headers) : sendJsonError(res, status, code, message, headers, route === 'graphql');
    if (draining) {
      sendError(503, 'SHUTTING_DOWN', 'Loupe is shutting down', { connection: 'close', 'retry-after': '5' });
      return;
    }
    void (async () => {
      try {
        // Every route, before anything else: a keyless loopback server answers loopback Host names only.
        access.checkHost(req.headers.host, presentedKey(headerSource(req)) !== null);
        const multipart = (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');
        if (method === 'POST' && multipart && req.headers['content-length'] === undefined)
          throw new RequestError('LENGTH_REQUIRED', 'Multipart requests need a Content-Length');
        if (route === 'metrics' || route === 'media') {
          const principal = await access.authenticate(headerSource(req), req.socket.remoteAddress);
          requestNotes.set(req, { key: principal.name });
        }
        if (route === 'metrics') {
          if (method !== 'GET' && method !== 'HEAD') return sendError(405, 'METHOD_NOT_ALLOWED', 'GET /metrics');
          const { contentType, body } = await metrics.exposition();
          res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
          res.end(method === 'HEAD' ? undefined : body);
          return;
        }
        await handler(req, res);
      } catch (e) {
        if (e instanceof RequestError) {
          metrics.rejected(e.code);
          const headers: Record<string, string> = e.retryAfterSeconds !== undefined ? { 'retry-after': String(e.retryAfterSeconds) } : {};
          if (e.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer realm="loupe"';
          if (!res.headersSent) sendError(e.status, e.code, e.message, headers);
          return;
        }
        accessLog.error('request failed', { requestId, error: (e as Error)?.stack ?? String(e) });
        if (!res.headersSent) sendError(500, 'INTERNAL', internalMessage(requestId));
        else res.destroy();
      }
    })();
  };

  return {
    wrap,
    get inFlight() {
      return inFlight;
    },
    drain(timeoutMs) {
      draining = true;
      if (config.shutdownTimeoutMs === 0 || inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          accessLog.warn('shutdown: requests still running after the drain timeout; closing their connections', { inFlight, timeoutMs });
          resolve();
        }, timeoutMs);
        timer.unref();
        idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
