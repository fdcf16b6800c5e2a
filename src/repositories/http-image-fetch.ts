// Downloads an image over http(s) without becoming a way into the network Loupe runs in: every hop's host is resolved
// once, checked, and that exact address is pinned into the connection (custom `lookup`), so DNS rebinding between the
// check and the connect cannot happen; the connected socket's address is checked again. Redirects are followed by
// hand, one checked hop at a time. Time (connect per hop, total for everything) and bytes are capped.
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { LookupFunction, Socket } from 'node:net';
import { LoupeError, isLoupeError } from '../domain/errors.js';
import { preview } from '../domain/text.js';
import { addressRefusal, resolveCheckedAddress } from './address-policy.js';
import type { ImageSourcePolicy, ResolvedAddress } from './image-source-policy.js';
import { mediaTypeOf, sniffImageType } from './media-type.js';

export interface FetchedImage {
  bytes: Buffer;
  contentType?: string;
  /** The final URL, after redirects. */
  origin: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const REQUEST_HEADERS = {
  'user-agent': 'Loupe/0.1 (image indexer)',
  accept: 'image/*, application/octet-stream;q=0.5',
  // We never decompress, so a compressed body could not exceed the byte cap unnoticed.
  'accept-encoding': 'identity',
};

function fetchFailed(message: string, cause?: unknown, transient = false): LoupeError {
  return new LoupeError('IMAGE_FETCH_FAILED', message, { cause, transient });
}

/** Parses and checks a URL of any hop: http(s) only, no credentials. */
export function parseImageUrl(value: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    throw new LoupeError('INVALID_INPUT', `Expected an http(s) URL for image but received ${preview(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LoupeError(base ? 'FORBIDDEN_ADDRESS' : 'INVALID_INPUT', `Only http and https image URLs are fetched, not ${url.protocol} (${redact(url)})`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new LoupeError(base ? 'IMAGE_FETCH_FAILED' : 'INVALID_INPUT', `Image URLs with credentials are not supported (${redact(url)})`);
  }
  return url;
}

/** A URL for messages: no credentials, no query string (which may carry tokens). */
function redact(url: URL): string {
  const path = url.pathname.length > 200 ? `${url.pathname.slice(0, 200)}…` : url.pathname;
  return `${url.protocol}//${url.host}${path}`;
}

function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** A lookup that answers with the already-checked address, whatever name it is asked for. */
function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  }) as unknown as LookupFunction;
}

function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address.toLowerCase();
}

/** One request to one hop; resolves with the response headers, body not yet read. */
async function requestHop(url: URL, policy: ImageSourcePolicy, signal: AbortSignal): Promise<IncomingMessage> {
  const host = hostOf(url);
  const trusted = policy.trustedHosts.includes(host.toLowerCase());
  const pinned = await abortable(resolveCheckedAddress(host, policy), signal);
  const client = url.protocol === 'https:' ? https : http;

  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = client.request({
      protocol: url.protocol,
      hostname: host,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: REQUEST_HEADERS,
      agent: false, // a fresh socket per hop: no pooled connection to an address checked for another name
      lookup: pinnedLookup(pinned),
    });
    const onAbort = (): void => {
      req.destroy(signal.reason as Error);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    const connectTimer = setTimeout(() => {
      req.destroy(fetchFailed(`Could not connect to ${url.host} within ${policy.connectTimeoutMs} ms`, undefined, true));
    }, policy.connectTimeoutMs);
    req.on('socket', (socket: Socket) => {
      const onConnect = (): void => {
        clearTimeout(connectTimer);
        // Defence in depth: the address actually connected must be the pinned one, and allowed.
        const remote = socket.remoteAddress ?? '';
        const refusal = trusted ? null : addressRefusal(remote, policy);
        if (refusal !== null || normalizeIp(remote) !== normalizeIp(pinned.address)) {
          req.destroy(new LoupeError('FORBIDDEN_ADDRESS', `Refusing to fetch from ${host}: connected to ${remote}, ${refusal ?? 'not the checked address'}`));
        }
      };
      if (socket.connecting) socket.once('connect', onConnect);
      else onConnect();
    });
    req.once('response', (res) => {
      clearTimeout(connectTimer);
      signal.removeEventListener('abort', onAbort);
      // Later aborts (the total deadline while reading the body) destroy the response.
      const onBodyAbort = (): void => {
        res.destroy(signal.reason as Error);
      };
      signal.addEventListener('abort', onBodyAbort, { once: true });
      res.once('close', () => signal.removeEventListener('abort', onBodyAbort));
      resolve(res);
    });
    // `on`, not `once`: a late socket error after the response must not become an unhandled 'error' event.
    req.on('error', (e) => {
      clearTimeout(connectTimer);
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) return reject(signal.reason);
      if (isLoupeError(e)) return reject(e);
      const code = (e as NodeJS.ErrnoException).code;
      reject(fetchFailed(`Could not fetch ${redact(url)}: ${code ? `${code} ` : ''}${e.message}`, e, true));
    });
    req.end();
  });
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function readCappedBody(res: IncomingMessage, url: URL, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        res.destroy();
        throw new LoupeError('IMAGE_TOO_LARGE', `The image at ${redact(url)} is larger than the limit of ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    if (isLoupeError(e)) throw e;
    throw fetchFailed(`The connection to ${url.host} failed while reading the image: ${(e as Error).message}`, e, true);
  }
  if (!res.complete) {
    throw fetchFailed(`The connection to ${url.host} closed before the image was complete (${total} bytes received)`, undefined, true);
  }
  return Buffer.concat(chunks, total);
}

/**
 * `signal` (optional) cancels the download from outside, e.g. when the client that asked for it has gone away: the
 * socket is destroyed at once and the promise rejects with the signal's reason.
 */
export async function fetchImageOverHttp(value: string, policy: ImageSourcePolicy, signal?: AbortSignal): Promise<FetchedImage> {
  let url = parseImageUrl(value);
  if (signal?.aborted) throw signal.reason;
  const deadline = new AbortController();
  const timer = setTimeout(() => {
    deadline.abort(fetchFailed(`Fetching ${redact(url)} timed out after ${policy.totalTimeoutMs} ms`, undefined, true));
  }, policy.totalTimeoutMs);
  const onCancel = (): void => deadline.abort(signal!.reason);
  signal?.addEventListener('abort', onCancel, { once: true });
  try {
    for (let hop = 0; ; hop++) {
      const res = await requestHop(url, policy, deadline.signal);
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status)) {
        res.destroy();
        const location = res.headers.location;
        if (location === undefined) throw fetchFailed(`HTTP ${status} without a Location header from ${redact(url)}`);
        if (hop >= policy.maxRedirects) {
          throw fetchFailed(`Too many redirects (more than ${policy.maxRedirects}) fetching ${value.slice(0, 200)}`);
        }
        url = parseImageUrl(location, url);
        continue;
      }
      if (status < 200 || status > 299) {
        res.destroy();
        throw fetchFailed(
          `HTTP ${status} ${res.statusMessage ?? ''}`.trimEnd() + ` from ${redact(url)}`,
          undefined,
          status >= 500 || status === 429 || status === 408,
        );
      }
      return await readImageResponse(res, url, policy);
    }
  } catch (e) {
    // Whatever broke once the deadline fired (a destroyed socket, a cut body), the cause is the timeout.
    if (deadline.signal.aborted) throw deadline.signal.reason;
    throw e;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCancel);
  }
}

async function readImageResponse(res: IncomingMessage, url: URL, policy: ImageSourcePolicy): Promise<FetchedImage> {
  const encoding = res.headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    res.destroy();
    throw fetchFailed(`Unsupported Content-Encoding "${encoding}" from ${redact(url)}`);
  }
  const declaredType = mediaTypeOf(res.headers['content-type']);
  const mustSniff = declaredType === undefined || declaredType === 'application/octet-stream';
  if (!mustSniff && !declaredType.startsWith('image/')) {
    res.destroy();
    throw new LoupeError('UNSUPPORTED_MEDIA_TYPE', `Expected an image from ${redact(url)} but the server sent Content-Type "${declaredType}"`);
  }
  const declaredLength = Number(res.headers['content-length']);
  if (Number.isFinite(declaredLength) && declaredLength > policy.maxBytes) {
    res.destroy();
    throw new LoupeError('IMAGE_TOO_LARGE', `The image at ${redact(url)} declares ${declaredLength} bytes, over the limit of ${policy.maxBytes} bytes`);
  }
  const bytes = await readCappedBody(res, url, policy.maxBytes);
  let contentType = declaredType;
  if (mustSniff) {
    const sniffed = sniffImageType(bytes);
    if (sniffed === null) {
      throw new LoupeError(
        'UNSUPPORTED_MEDIA_TYPE',
        `The body from ${redact(url)} (Content-Type ${declaredType ?? 'missing'}) is not a recognised image format`,
      );
    }
    contentType = sniffed;
  }
  return { bytes, contentType, origin: url.href };
}
