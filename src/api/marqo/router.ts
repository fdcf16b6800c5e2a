// The Marqo-compatible REST API under /marqo, on the same HTTP server as GraphQL: `marqo.Client(url=".../marqo")`
// works unchanged. The front door (http-guard.ts) gives these routes their request id, access-log line, metrics and
// the Host rule; here they get the same keys, roles, rate limits, origin rule and body cap as GraphQL, then the same
// services do the work. Every failure is answered in Marqo's error shape (errors.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http-errors.js';
import { allows, type Role } from '../../domain/access.js';
import { internalMessage, LoupeError, RequestError } from '../../domain/errors.js';
import { jsonDepth, MAX_JSON_DEPTH, preview } from '../../domain/text.js';
import type { Logger } from '../../log.js';
import type { Loupe } from '../../services/loupe.js';
import { checkOrigin } from '../guard-plugins.js';
import { noteRequest } from '../request-notes.js';
import { addDocuments, deleteDocuments, getDocument, getDocuments } from './document-routes.js';
import { marqoErrorBody, marqoShapeOf, methodNotAllowed, notFound } from './errors.js';
import { createIndex, deleteIndex, health, indexSettings, indexStats, listIndexes } from './index-routes.js';
import type { MarqoReply } from './reply.js';
import { search } from './search-route.js';

export const MARQO_PREFIX = '/marqo';

/** The Marqo 2.x API level these routes answer as (py-marqo 3.x checks `GET /` against its minimum). */
export const MARQO_API_VERSION = '2.13.0';

export function isMarqoPath(pathname: string): boolean {
  return pathname === MARQO_PREFIX || pathname.startsWith(`${MARQO_PREFIX}/`);
}

interface Call {
  name: string;
  index: string | null;
  id: string | null;
  query: URLSearchParams;
  body: unknown;
  signal: AbortSignal;
  requestId: string;
}

interface Route {
  /** A fixed name for the metrics and the access log (no index names). */
  name: string;
  role: Role;
  /** Whether the route reads a JSON body (GET documents reads one when it is sent). */
  body: 'none' | 'optional' | 'required';
  run(call: Call, loupe: Loupe): Promise<MarqoReply>;
}

type Methods = Partial<Record<'GET' | 'POST' | 'DELETE', Route>>;

const DEVICE = /^(cpu|cuda\d*)$/;

/** Route table: path segments (after /marqo) → methods. */
function routesFor(segments: string[]): { methods: Methods; index: string | null; id: string | null } | null {
  const [a, index, c, id, ...rest] = segments;
  if (rest.length) return null;
  if (segments.length === 0)
    return { methods: { GET: { name: 'root', role: 'read', body: 'none', run: async () => ({ body: root() }) } }, index: null, id: null };
  if (a === 'health' && segments.length === 1)
    return { methods: { GET: { name: 'health', role: 'read', body: 'none', run: (_c, l) => health(null, l) } }, index: null, id: null };
  if (a !== 'indexes') return null;
  if (index === undefined)
    return { methods: { GET: { name: 'indexes.list', role: 'read', body: 'none', run: (_c, l) => listIndexes(l) } }, index: null, id: null };
  const at = { index, id: id ?? null };
  if (c === undefined)
    return {
      ...at,
      methods: {
        POST: { name: 'indexes.create', role: 'admin', body: 'optional', run: (k, l) => createIndex(k.index!, k.body, l) },
        DELETE: { name: 'indexes.delete', role: 'admin', body: 'none', run: (k, l) => deleteIndex(k.index!, l) },
      },
    };
  if (id === undefined) {
    if (c === 'settings')
      return { ...at, methods: { GET: { name: 'indexes.settings', role: 'read', body: 'none', run: (k, l) => indexSettings(k.index!, l) } } };
    if (c === 'stats') return { ...at, methods: { GET: { name: 'indexes.stats', role: 'read', body: 'none', run: (k, l) => indexStats(k.index!, l) } } };
    if (c === 'health') return { ...at, methods: { GET: { name: 'indexes.health', role: 'read', body: 'none', run: (k, l) => health(k.index!, l) } } };
    if (c === 'search') return { ...at, methods: { POST: { name: 'search', role: 'read', body: 'required', run: (k, l) => search(k.index!, k.body, l) } } };
    if (c === 'documents')
      return {
        ...at,
        methods: {
          POST: { name: 'documents.add', role: 'admin', body: 'required', run: (k, l) => addDocuments(k.index!, k.body, l, k) },
          GET: { name: 'documents.get', role: 'read', body: 'optional', run: (k, l) => getDocuments(k.index!, k.body, k.query, l) },
        },
      };
    return null;
  }
  if (c !== 'documents') return null;
  const one: Methods = { GET: { name: 'documents.getOne', role: 'read', body: 'none', run: (k, l) => getDocument(k.index!, k.id!, k.query, l) } };
  if (id === 'delete-batch') one.POST = { name: 'documents.deleteBatch', role: 'admin', body: 'required', run: (k, l) => deleteDocuments(k.index!, k.body, l) };
  return { ...at, methods: one };
}

function root() {
  return { message: 'Welcome to Marqo', version: MARQO_API_VERSION, loupe: 'Loupe serves the Marqo 2.x REST API here (see the README, "Coming from Marqo")' };
}

function segmentsOf(pathname: string): string[] {
  const rest = pathname.slice(MARQO_PREFIX.length).replace(/^\/+/, '').replace(/\/+$/, '');
  if (rest === '') return [];
  return rest.split('/').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new LoupeError('INVALID_INPUT', `Malformed percent-encoding in the path segment ${preview(s)}`);
    }
  });
}

/** The request body as JSON, at most `max` bytes; undefined when there is none. */
async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const length = req.headers['content-length'];
  if (length !== undefined && !/^\d+$/.test(length)) throw new RequestError('BAD_REQUEST', 'Content-Length must be one non-negative integer');
  if (length !== undefined && Number(length) > max)
    throw new RequestError('PAYLOAD_TOO_LARGE', `Request body of ${length} bytes is over ${max} (LOUPE_MAX_JSON_BYTES)`);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new RequestError('PAYLOAD_TOO_LARGE', `Request body over ${max} bytes (LOUPE_MAX_JSON_BYTES)`);
    parts.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  // A browser can post text/plain across sites without asking first; JSON needs a preflight it does not get.
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/json'))
    throw new RequestError('BAD_REQUEST', `Expected Content-Type application/json for a request body but received ${preview(type || '(none)')}`);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new RequestError('BAD_REQUEST', 'The request body is not valid JSON');
  }
  if (jsonDepth(body, MAX_JSON_DEPTH + 2) > MAX_JSON_DEPTH + 1)
    throw new LoupeError('INVALID_INPUT', `The request body is nested more than ${MAX_JSON_DEPTH} levels deep`);
  return body;
}

const headerSource = (req: IncomingMessage) => ({
  get: (name: string) => {
    const v = req.headers[name.toLowerCase()];
    return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
  },
});

export async function handleMarqoRequest(req: IncomingMessage, res: ServerResponse, loupe: Loupe, log: Logger): Promise<void> {
  const requestId = String(req.headers['x-request-id'] ?? '');
  const url = new URL(req.url ?? '/', 'http://marqo.invalid');
  const cancel = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) cancel.abort();
  });
  let routeName = 'unknown';
  try {
    const segments = segmentsOf(url.pathname);
    const found = routesFor(segments);
    if (!found) throw notFound(`No Marqo route ${req.method} ${preview(url.pathname)}`);
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const route = found.methods[method as keyof Methods];
    if (!route)
      throw methodNotAllowed(
        Object.keys(found.methods),
        `${req.method} is not allowed on ${preview(url.pathname)}; use ${Object.keys(found.methods).join(' or ')}`,
      );
    routeName = route.name;
    checkOrigin(headerSource(req).get('origin'), headerSource(req).get('host'), loupe.config.corsOrigins);
    const principal = await loupe.access.authenticate(headerSource(req), req.socket.remoteAddress);
    noteRequest(req, { key: principal.name, operation: `marqo ${route.name}` });
    if (!allows(principal.role, route.role))
      throw new RequestError('FORBIDDEN', `Key ${principal.name} has role ${principal.role}; ${route.name} needs the ${route.role} role`);
    const device = url.searchParams.get('device');
    if (device !== null && device !== '' && !DEVICE.test(device))
      throw new LoupeError('INVALID_INPUT', `Expected a device such as cpu, cuda or cuda0 for device but received ${preview(device)}`);
    const body = route.body === 'none' ? undefined : await readJson(req, loupe.config.maxJsonBytes);
    if (route.body === 'required' && body === undefined) throw new LoupeError('INVALID_INPUT', `${route.name} needs a JSON body`);
    loupe.metrics.operation('marqo', route.name);
    const reply = await route.run(
      { name: route.name, index: found.index, id: found.id, query: url.searchParams, body, signal: cancel.signal, requestId },
      loupe,
    );
    const notes = reply.notes ?? [];
    if (notes.length) log.info('marqo request mapped', { requestId, route: route.name, notes });
    // Header values are Latin-1: notes are ASCII-safe after encoding anything else.
    sendJson(res, reply.status ?? 200, JSON.stringify(reply.body), notes.length ? { 'x-loupe-note': notes.map((n) => encodeURI(n)) } : {});
  } catch (e) {
    const known = marqoShapeOf(e);
    if (known) {
      if (e instanceof RequestError) loupe.metrics.rejected(e.code);
      if (!res.headersSent) sendJson(res, known.shape.status, marqoErrorBody(known.shape, (e as Error).message), known.headers);
      return;
    }
    log.error('marqo request failed', { requestId, route: routeName, error: (e as Error)?.stack ?? String(e) });
    if (!res.headersSent) sendJson(res, 500, marqoErrorBody({ status: 500, code: 'internal', type: 'internal' }, internalMessage(requestId || undefined)));
    else res.destroy();
  }
}
