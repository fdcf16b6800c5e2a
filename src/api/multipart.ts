// GraphQL multipart requests (the spec at github.com/jaydenseric/graphql-multipart-request-spec), parsed here rather
// than by yoga so that every limit and every malformed part gets a documented code: the whole body is capped at
// LOUPE_MAX_REQUEST_BYTES while it streams (413 PAYLOAD_TOO_LARGE), as are each file (LOUPE_MAX_IMAGE_BYTES) and the
// number of files (LOUPE_MAX_UPLOAD_FILES); a body that does not follow the spec is a 400 BAD_REQUEST naming what is
// wrong. A file may only go where the operations hold a null placeholder, and it prints as `[file "name"]` in any
// message (never its internals).
import { RequestError } from '../domain/errors.js';
import { preview } from '../domain/text.js';

export interface MultipartLimits {
  maxRequestBytes: number;
  maxFileBytes: number;
  maxFiles: number;
}

type FetchApi = { Request: typeof Request; TransformStream: typeof TransformStream };

/** Paths like `variables.d.0.files.0.file`: at most this many segments. */
const MAX_PATH_SEGMENTS = 32;

function badRequest(message: string): RequestError {
  return new RequestError('BAD_REQUEST', `Malformed multipart request: ${message}`);
}

/** The request with its body cut off (an error, not a truncation) past `max` bytes. */
function capped(request: Request, max: number, fetchAPI: FetchApi): Request {
  const body = request.body;
  if (!body) return request;
  let read = 0;
  const Transform = body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  const limited = body.pipeThrough(
    new Transform({
      transform(chunk: Uint8Array, controller) {
        read += chunk.byteLength;
        if (read > max) controller.error(new RequestError('PAYLOAD_TOO_LARGE', `Multipart request body over ${max} bytes (LOUPE_MAX_REQUEST_BYTES)`));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body: limited,
    duplex: 'half',
  } as RequestInit);
}

function refusalOf(e: unknown, limits: MultipartLimits): RequestError {
  if (e instanceof RequestError) return e;
  const cause = (e as { cause?: unknown })?.cause;
  if (cause instanceof RequestError) return cause;
  const message = e instanceof Error ? e.message : String(e);
  if (message.includes('LOUPE_MAX_REQUEST_BYTES'))
    return new RequestError('PAYLOAD_TOO_LARGE', `Multipart request body over ${limits.maxRequestBytes} bytes (LOUPE_MAX_REQUEST_BYTES)`);
  if (message.startsWith('File size limit exceeded'))
    return new RequestError('PAYLOAD_TOO_LARGE', `An uploaded file is over ${limits.maxFileBytes} bytes (LOUPE_MAX_IMAGE_BYTES)`);
  if (message.startsWith('Files limit exceeded'))
    return new RequestError('PAYLOAD_TOO_LARGE', `More than ${limits.maxFiles} files in one request (LOUPE_MAX_UPLOAD_FILES)`);
  return badRequest(`the body could not be read as multipart/form-data (${preview(message, 120)})`);
}

function isFile(v: unknown): v is File {
  return typeof v === 'object' && v !== null && typeof (v as File).arrayBuffer === 'function' && typeof (v as File).name === 'string';
}

/** Puts `file` at `path` of `operations`, which must hold null there (own properties and array indexes only). */
function place(operations: Record<string, unknown>, path: string, file: File, fileKey: string): void {
  const segments = path.split('.');
  if (segments.length < 2 || segments.length > MAX_PATH_SEGMENTS || segments[0] !== 'variables')
    throw badRequest(`map entry ${preview(fileKey)} has path ${preview(path)}; expected "variables.<name>…"`);
  let current: unknown = operations;
  for (let i = 0; i < segments.length - 1; i++) {
    const key = segments[i]!;
    current = current !== null && typeof current === 'object' && Object.hasOwn(current, key) ? (current as Record<string, unknown>)[key] : undefined;
    if (current === null || typeof current !== 'object') throw badRequest(`map path ${preview(path)} does not lead to a value in operations`);
  }
  const last = segments[segments.length - 1]!;
  const target = current as Record<string, unknown>;
  if (!Object.hasOwn(target, last) || target[last] !== null) throw badRequest(`map path ${preview(path)} must point at a null placeholder in operations`);
  target[last] = file;
}

/** Parses a multipart GraphQL request into { query, variables, operationName, extensions } with the files in place. */
export async function parseMultipart(request: Request, limits: MultipartLimits, fetchAPI: FetchApi): Promise<Record<string, unknown>> {
  let form: FormData;
  try {
    form = await capped(request, limits.maxRequestBytes, fetchAPI).formData();
  } catch (e) {
    throw refusalOf(e, limits);
  }
  const operationsText = form.get('operations');
  if (typeof operationsText !== 'string') throw badRequest('expected a text field "operations" holding the GraphQL request as JSON');
  let operations: unknown;
  try {
    operations = JSON.parse(operationsText);
  } catch {
    throw badRequest('the field "operations" is not valid JSON');
  }
  if (operations === null || typeof operations !== 'object' || Array.isArray(operations))
    throw badRequest('the field "operations" must be a JSON object (batched operations are not supported)');
  const mapText = form.get('map');
  if (mapText === null) return operations as Record<string, unknown>;
  if (typeof mapText !== 'string') throw badRequest('the field "map" must be text');
  let map: unknown;
  try {
    map = JSON.parse(mapText);
  } catch {
    throw badRequest('the field "map" is not valid JSON');
  }
  if (map === null || typeof map !== 'object' || Array.isArray(map))
    throw badRequest('the field "map" must be a JSON object of file field name → list of paths');
  for (const [fileKey, paths] of Object.entries(map as Record<string, unknown>)) {
    if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === 'string'))
      throw badRequest(`map entry ${preview(fileKey)} must be a non-empty list of paths, not ${preview(paths)}`);
    const file = form.get(fileKey);
    if (!isFile(file)) throw badRequest(`map names ${preview(fileKey)} but the request has no file part of that name`);
    // Messages that show a file (a value in the wrong place) show its name, not its internals.
    Object.defineProperty(file, 'toJSON', { value: () => `[file ${JSON.stringify(file.name.slice(0, 80))}]`, enumerable: false });
    for (const path of paths as string[]) place(operations as Record<string, unknown>, path, file, fileKey);
  }
  return operations as Record<string, unknown>;
}
