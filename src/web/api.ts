// The page's GraphQL client: typed documents from codegen, JSON or multipart (file uploads) over fetch, and
// subscriptions over server-sent events (EventSource on GET /graphql, which yoga answers as a stream).
import type { TypedDocumentString } from '../client/generated/graphql.js';

export class ApiError extends Error {}

export interface FilePart {
  /** Dotted path of the variable the file fills, e.g. "variables.documents.0.files.0.file". */
  path: string;
  file: Blob & { name?: string };
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string }[];
}

const ENDPOINT = '/graphql';

export async function gql<R, V>(doc: TypedDocumentString<R, V>, variables: V, files: FilePart[] = []): Promise<R> {
  const operations = JSON.stringify({ query: doc.toString(), variables });
  let init: RequestInit;
  if (files.length === 0) {
    init = { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: operations };
  } else {
    // GraphQL multipart request: operations + map + one part per file.
    const form = new FormData();
    form.set('operations', operations);
    form.set('map', JSON.stringify(Object.fromEntries(files.map((f, i) => [String(i), [f.path]]))));
    files.forEach((f, i) => form.set(String(i), f.file, f.file.name ?? `file-${i}`));
    init = { method: 'POST', headers: { accept: 'application/json' }, body: form };
  }
  let res: Response;
  try {
    res = await fetch(ENDPOINT, init);
  } catch (e) {
    throw new ApiError(`Cannot reach Loupe: ${(e as Error).message}`);
  }
  const body = (await res.json().catch(() => null)) as GraphQLBody<R> | null;
  if (!body) throw new ApiError(`Loupe answered HTTP ${res.status} without a GraphQL body`);
  if (body.errors?.length) throw new ApiError(body.errors.map((e) => e.message).join('; '));
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
  handlers: { onData(data: R): void; onEnd(error?: string): void },
): Subscription {
  const url = `${ENDPOINT}?query=${encodeURIComponent(doc.toString())}&variables=${encodeURIComponent(JSON.stringify(variables))}`;
  const source = new EventSource(url);
  let ended = false;
  const end = (error?: string) => {
    if (ended) return;
    ended = true;
    source.close();
    handlers.onEnd(error);
  };
  source.addEventListener('next', (e) => {
    const body = JSON.parse((e as MessageEvent<string>).data) as GraphQLBody<R>;
    if (body.errors?.length) return end(body.errors.map((x) => x.message).join('; '));
    if (body.data) handlers.onData(body.data);
  });
  source.addEventListener('complete', () => end());
  // EventSource would reconnect on its own; a dropped progress stream is reported instead.
  source.addEventListener('error', () => end('the progress stream was interrupted'));
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
