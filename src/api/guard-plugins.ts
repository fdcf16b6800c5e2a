// Yoga plugins that refuse a GraphQL request before any resolver runs: API keys and roles, browser origins, body
// and query sizes (JSON and multipart bodies are parsed here, with their caps), and depth / alias / cost / rerank
// limits. Every refusal is a GraphQL error with a stable `extensions.code` (see RequestErrorCode) and the matching
// HTTP status. (The Host rule against DNS rebinding is the front door's, http-guard.ts: it covers every route.)
import { getOperationAST, parse, type DocumentNode, type GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Principal } from '../domain/access.js';
import { allows } from '../domain/access.js';
import { RequestError } from '../domain/errors.js';
import type { LoupeMetrics } from '../metrics.js';
import type { AccessService } from '../services/access-service.js';
import { parseMultipart } from './multipart.js';
import { noteRequest } from './request-notes.js';
import { estimateCost, listFieldNames, measureDocument, type QueryLimits } from './query-limits.js';

export interface GuardOptions extends QueryLimits {
  corsOrigins: string[];
  maxQueryBytes: number;
  maxJsonBytes: number;
  maxRequestBytes: number;
  maxUploadFiles: number;
  maxImageBytes: number;
}

/** Tokens a query document may hold (graphql-js stops parsing beyond; a 100 KB query has far fewer). */
const MAX_TOKENS = 20_000;
/** Fields a document may select after fragment expansion, checked before validation: graphql-js's
 * OverlappingFieldsCanBeMerged rule compares fields pairwise, so thousands of them cost seconds of CPU. */
export const MAX_FIELDS = 2_000;

export function requestGraphQLError(e: RequestError): GraphQLError {
  return createGraphQLError(e.message, {
    extensions: {
      code: e.code,
      http: { status: e.status, ...(e.retryAfterSeconds !== undefined ? { headers: { 'retry-after': String(e.retryAfterSeconds) } } : {}) },
    },
  });
}

function errorResponse(e: RequestError, ResponseCtor: typeof Response): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (e.retryAfterSeconds !== undefined) headers['retry-after'] = String(e.retryAfterSeconds);
  if (e.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer realm="loupe"';
  const body = JSON.stringify({ errors: [{ message: e.message, extensions: { code: e.code } }] });
  return new ResponseCtor(body, { status: e.status, headers });
}

function isMultipart(request: Request): boolean {
  return (request.headers.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');
}

/** A browser request from another site is refused unless its origin is allowed (CORS) — also against CSRF through
 * form posts. `host` is the request's Host. Shared by every route that changes state (GraphQL, /marqo). */
export function checkOrigin(origin: string | null, host: string | null, allowed: string[]): void {
  if (origin === null) return;
  if (allowed.includes('*') || allowed.includes(origin)) return;
  let sameOrigin = false;
  try {
    sameOrigin = new URL(origin).host === host;
  } catch {
    sameOrigin = false;
  }
  if (sameOrigin) return;
  throw new RequestError('FORBIDDEN', `Requests from origin ${origin.slice(0, 200)} are not allowed (LOUPE_CORS_ORIGINS)`);
}

/** Reads a body of at most `max` bytes, refusing it as soon as it grows past that. */
async function readCapped(request: Request, max: number): Promise<string> {
  const reader = request.body?.getReader();
  if (!reader) return '';
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw requestGraphQLError(new RequestError('PAYLOAD_TOO_LARGE', `Request body over ${max} bytes (LOUPE_MAX_JSON_BYTES)`));
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString('utf8');
}

export function useRequestGuard(access: AccessService, metrics: LoupeMetrics, options: GuardOptions): Plugin {
  const principals = new WeakMap<Request, Principal>();
  let lists: Set<string> | null = null;
  const refuse = (e: RequestError): GraphQLError => {
    metrics.rejected(e.code);
    return requestGraphQLError(e);
  };
  const checkRole = (args: {
    contextValue: unknown;
    document: DocumentNode;
    operationName?: string | null;
    variableValues?: unknown;
    schema: import('graphql').GraphQLSchema;
  }): GraphQLError | null => {
    const op = getOperationAST(args.document, args.operationName);
    const type = op?.operation ?? 'query';
    const request = (args.contextValue as { request?: Request }).request;
    const principal = (request && principals.get(request)) ?? null;
    const needed = type === 'mutation' ? 'admin' : 'read';
    if (principal && !allows(principal.role, needed))
      return refuse(new RequestError('FORBIDDEN', `Key ${principal.name} has role ${principal.role}; ${type} operations need the ${needed} role`));
    lists ??= listFieldNames(args.schema);
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const { cost, rerankImages } = estimateCost(args.document, args.operationName, variables, lists);
    if (cost > options.maxCost)
      return refuse(
        new RequestError(
          'QUERY_TOO_COMPLEX',
          `Query cost ${cost} is over the limit of ${options.maxCost} (lists multiply, reranked images and image queries count: lower limits or depths, or select fewer nested lists)`,
        ),
      );
    if (rerankImages > options.maxRerankImages)
      return refuse(
        new RequestError(
          'QUERY_TOO_COMPLEX',
          `The request reranks ${rerankImages} images, over the limit of ${options.maxRerankImages} per request (LOUPE_MAX_RERANK_IMAGES): lower rerank.depth or send fewer searches`,
        ),
      );
    const roots: string[] = [];
    for (const sel of op?.selectionSet.selections ?? []) if (sel.kind === 'Field') roots.push(sel.name.value);
    for (const root of new Set(roots)) metrics.operation(type, root);
    noteRequest((args.contextValue as { req?: unknown }).req, { operation: `${type} ${[...new Set(roots)].join(',')}`.slice(0, 200) });
    return null;
  };
  return {
    async onRequest({ request, url, endResponse, fetchAPI, serverContext }) {
      if (url.pathname !== '/graphql' || request.method === 'OPTIONS') return;
      // GraphiQL's page is static; its requests carry the key like any other.
      if (request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html')) return;
      try {
        checkOrigin(request.headers.get('origin'), request.headers.get('host') ?? url.host, options.corsOrigins);
        const nodeReq = (serverContext as { req?: { socket?: { remoteAddress?: string } } } | undefined)?.req;
        const principal = await access.authenticate(request.headers, nodeReq?.socket?.remoteAddress);
        principals.set(request, principal);
        noteRequest((serverContext as { req?: unknown } | undefined)?.req, { key: principal.name });
        // Over HTTP, a multipart request without Content-Length is refused by the server's front door (http-guard).
        const length = request.headers.get('content-length');
        if (length !== null && !/^\d+$/.test(length)) throw new RequestError('BAD_REQUEST', 'Content-Length must be one non-negative integer');
        const max = request.method === 'POST' && isMultipart(request) ? options.maxRequestBytes : options.maxJsonBytes;
        if (length !== null && Number(length) > max)
          throw new RequestError(
            'PAYLOAD_TOO_LARGE',
            `Request body of ${length} bytes is over ${max} (${max === options.maxJsonBytes ? 'LOUPE_MAX_JSON_BYTES' : 'LOUPE_MAX_REQUEST_BYTES'})`,
          );
      } catch (e) {
        if (!(e instanceof RequestError)) throw e;
        metrics.rejected(e.code);
        endResponse(errorResponse(e, fetchAPI.Response));
      }
    },
    onRequestParse({ request, setRequestParser, fetchAPI }) {
      const type = (request.headers.get('content-type') ?? '').toLowerCase();
      if (request.method === 'POST' && type.startsWith('multipart/form-data')) {
        const limits = { maxRequestBytes: options.maxRequestBytes, maxFileBytes: options.maxImageBytes, maxFiles: options.maxUploadFiles };
        setRequestParser(async (req) => {
          try {
            return (await parseMultipart(req, limits, fetchAPI)) as never;
          } catch (e) {
            throw e instanceof RequestError ? refuse(e) : e;
          }
        });
        return;
      }
      if (request.method !== 'POST' || !(type.startsWith('application/json') || type.startsWith('application/graphql+json'))) return;
      setRequestParser(async (req) => {
        const text = await readCapped(req, options.maxJsonBytes);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw createGraphQLError('POST body sent invalid JSON.', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
        }
        if (body === null || typeof body !== 'object')
          throw createGraphQLError('POST body is expected to be an object', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
        return body as never;
      });
    },
    onParams({ params }) {
      const query = params.query;
      if (typeof query === 'string' && Buffer.byteLength(query) > options.maxQueryBytes)
        throw refuse(
          new RequestError('PAYLOAD_TOO_LARGE', `Query document of ${Buffer.byteLength(query)} bytes is over ${options.maxQueryBytes} (LOUPE_MAX_QUERY_BYTES)`),
        );
    },
    onParse({ setParseFn }) {
      setParseFn((source, opts) => parse(source, { ...opts, maxTokens: MAX_TOKENS }));
      return ({ result }) => {
        // Thrown (not replaced) so that yoga answers with the error's HTTP status whatever the Accept header.
        if (result instanceof Error) throw createGraphQLError(result.message, { extensions: { code: 'GRAPHQL_PARSE_FAILED', http: { status: 400 } } });
        if (!result) return;
        const m = measureDocument(result as DocumentNode);
        const problem =
          m.depth > options.maxDepth
            ? `Query depth ${m.depth} is over the limit of ${options.maxDepth}`
            : m.aliases > options.maxAliases
              ? `Query uses ${m.aliases} aliases, over the limit of ${options.maxAliases}`
              : m.fields > MAX_FIELDS
                ? `Query selects ${m.fields} fields after fragment expansion, over the limit of ${MAX_FIELDS}`
                : null;
        if (problem) throw refuse(new RequestError('QUERY_TOO_COMPLEX', problem));
      };
    },
    onExecute({ args }) {
      const error = checkRole(args);
      if (error) throw error;
    },
    onSubscribe({ args }) {
      const error = checkRole(args);
      if (error) throw error;
    },
  };
}
