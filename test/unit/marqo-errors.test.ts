// Marqo's error shape for every kind of failure: Loupe's typed codes, request refusals, route errors, and the front
// door's own refusals on /marqo paths (Host rule, shutting down).
import { describe, expect, it } from 'vitest';
import { marqoShapeOf, notFound, sendMarqoError } from '../../src/api/marqo/errors.js';
import { ERROR_CODES, LoupeError, RequestError } from '../../src/domain/errors.js';

function fakeResponse() {
  const out: { status?: number; headers?: Record<string, unknown>; body?: string } = {};
  const res = {
    writeHead(status: number, headers: Record<string, unknown>) {
      out.status = status;
      out.headers = headers;
      return res;
    },
    end(body: string) {
      out.body = body;
    },
  };
  return { res: res as never, out };
}

describe('Marqo error shapes', () => {
  it("maps Loupe's codes to Marqo's", () => {
    const shape = (code: (typeof ERROR_CODES)[number]) => marqoShapeOf(new LoupeError(code, 'x'))!.shape;
    expect(shape('INDEX_NOT_FOUND')).toEqual({ status: 404, code: 'index_not_found', type: 'invalid_request' });
    expect(shape('INDEX_EXISTS')).toEqual({ status: 409, code: 'index_already_exists', type: 'invalid_request' });
    expect(shape('DOCUMENT_NOT_FOUND')).toEqual({ status: 404, code: 'document_not_found', type: 'invalid_request' });
    expect(shape('INVALID_INPUT')).toEqual({ status: 400, code: 'invalid_argument', type: 'invalid_request' });
    expect(shape('INTERNAL')).toEqual({ status: 500, code: 'internal', type: 'internal' });
    for (const code of ERROR_CODES) expect(shape(code).status, code).toBeGreaterThanOrEqual(400);
  });

  it('maps request refusals with their headers, route errors, and nothing for an unexpected error', () => {
    const limited = marqoShapeOf(new RequestError('RATE_LIMITED', 'slow down', 3))!;
    expect(limited).toEqual({ shape: { status: 429, code: 'too_many_requests', type: 'invalid_request' }, headers: { 'retry-after': '3' } });
    expect(marqoShapeOf(new RequestError('UNAUTHENTICATED', 'key'))!.headers['www-authenticate']).toMatch(/Bearer/);
    expect(marqoShapeOf(notFound('no'))!.shape).toEqual({ status: 404, code: 'not_found', type: 'invalid_request' });
    expect(marqoShapeOf(new Error('boom'))).toBeNull();
  });

  it("answers the front door's refusals on /marqo in Marqo's shape", () => {
    const host = fakeResponse();
    sendMarqoError(host.res, 403, 'FORBIDDEN', 'Host evil.example is not a loopback name');
    expect(host.out.status).toBe(403);
    expect(JSON.parse(host.out.body!)).toEqual({ message: 'Host evil.example is not a loopback name', code: 'forbidden', type: 'invalid_request', link: '' });
    const draining = fakeResponse();
    sendMarqoError(draining.res, 503, 'SHUTTING_DOWN', 'Loupe is shutting down', { 'retry-after': '5' });
    expect(JSON.parse(draining.out.body!)).toMatchObject({ code: 'shutting_down', type: 'internal' });
    expect(draining.out.headers!['retry-after']).toBe('5');
  });
});
