// The page's GraphQL client: typed documents from codegen, JSON or multipart (file uploads) over fetch, and
// subscriptions over server-sent events (a fetch POST with `accept: text/event-stream`, read as a stream: unlike
// EventSource it can send the API key header). Every request carries the saved API key, if any.
import type { TypedDocumentString } from '../client/generated/graphql.js';
import { graphqlRequestInit } from '../client/multipart.js';
import { keyHeaders } from './api-key.js';

export class ApiError extends Error {
  constructor(
    message: string,
    /** The first error's `extensions.code` (UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED, ...), when the server gave one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface FilePart {
  /** Dotted path of the variable the file fills, e.g. "variables.documents.0.files.0.file". */
  path: string;
  file: Blob & { name?: string };
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: unknown } }[];
}

function bodyError(errors: NonNullable<GraphQLBody<unknown>['errors']>): ApiError {
  const code = errors[0]?.extensions?.code;
  return new ApiError(errors.map((e) => e.message).join('; '), typeof code === 'string' ? code : undefined);
}

const ENDPOINT = '/graphql';

export async function gql<R, V>(doc: TypedDocumentString<R, V>, variables: V, files: FilePart[] = []): Promise<R> {
  const init = graphqlRequestInit(
    doc.toString(),
    variables,
    files.map((f, i) => ({ path: f.path, file: f.file, name: f.file.name ?? `file-${i}` })),
    keyHeaders(),
  );
  let res: Response;
  try {
    res = await fetch(ENDPOINT, init);
  } catch (e) {
    throw new ApiError(`Cannot reach Loupe: ${(e as Error).message}`);
  }
  const body = (await res.json().catch(() => null)) as GraphQLBody<R> | null;
  if (!body) throw new ApiError(`Loupe answered HTTP ${res.status} without a GraphQL body`);
  if (body.errors?.length) throw bodyError(body.errors);
  if (!body.data) throw new ApiError('Loupe answered without data');
  return body.data;
}

export interface Subscription {
  close(): void;
}

/** Streams a subscription; `onData` gets each event, `onEnd` once when the server completes it or it fails. */
export function subscribe<R, V>(
  doc: TypedDocumentString<R, V>,
  variables: V,
  handlers: { onData(data: R): void; onEnd(error?: ApiError): void },
): Subscription {
  const abort = new AbortController();
  let ended = false;
  const end = (error?: ApiError) => {
    if (ended) return;
    ended = true;
    abort.abort();
    handlers.onEnd(error);
  };
  void (async () => {
    const res = await fetch(ENDPOINT, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...keyHeaders() },
      body: JSON.stringify({ query: doc.toString(), variables }),
      signal: abort.signal,
    });
    if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream') || !res.body) {
      // Refused before streaming (a missing key, a rate limit): the answer is a GraphQL error body.
      const body = (await res.json().catch(() => null)) as GraphQLBody<R> | null;
      return end(body?.errors?.length ? bodyError(body.errors) : new ApiError(`the progress stream was refused (HTTP ${res.status})`));
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return end(new ApiError('the progress stream was interrupted'));
      buffer += value.replace(/\r\n?/g, '\n');
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (event === 'complete') return end();
        if (event !== 'next' || !data.length) continue; // keep-alive comments, unknown events
        const body = JSON.parse(data.join('\n')) as GraphQLBody<R>;
        if (body.errors?.length) return end(bodyError(body.errors));
        if (body.data) handlers.onData(body.data);
      }
    }
  })().catch((e: unknown) => {
    if (!ended) end(new ApiError(`the progress stream was interrupted: ${(e as Error).message}`));
  });
  return { close: () => end() };
}

/** A random job id; works on plain http too, where crypto.randomUUID is unavailable. */
export function newJobId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `job-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Where the server streams a document's image (see src/api/media-route.ts). */
export function mediaUrl(index: string, id: string, field: string): string {
  return `/media/${[index, id, field].map(encodeURIComponent).join('/')}`;
}

/** Fills `img` with a document's image. An <img> sends no headers, so with a key saved: an uploaded or local image
 * is fetched with the key into a blob: URL, and an image from a URL is loaded from that URL (where /media would
 * redirect; never fetched with the key, which must not go to another site). Without a key: the /media route. */
export function showMedia(img: HTMLImageElement, index: string, id: string, media: { field: string; source: string; ref: string }): void {
  const headers = keyHeaders();
  if (!headers['x-api-key']) {
    img.src = mediaUrl(index, id, media.field);
    return;
  }
  if (media.source === 'url') {
    if (/^https?:\/\//i.test(media.ref)) img.src = media.ref;
    return;
  }
  void fetch(mediaUrl(index, id, media.field), { headers, redirect: 'error' })
    .then(async (res) => {
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const src = URL.createObjectURL(await res.blob());
      // Once decoded the image no longer needs its blob.
      img.addEventListener('load', () => URL.revokeObjectURL(src), { once: true });
      img.addEventListener('error', () => URL.revokeObjectURL(src), { once: true });
      img.src = src;
    })
    .catch(() => {
      img.alt = 'image unavailable';
    });
}
