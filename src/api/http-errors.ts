// The one way the HTTP layer answers a refusal or failure outside GraphQL execution: a JSON body with a stable code,
// `{"errors":[{"message","extensions":{"code"}}]}` on /graphql (what GraphQL clients read) and
// `{"error":{"code","message"}}` everywhere else.
import type { ServerResponse } from 'node:http';

/** A JSON body (already serialized) with the headers every JSON answer outside yoga carries. */
export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

export function sendJsonError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}, graphql = false): void {
  sendJson(res, status, JSON.stringify(graphql ? { errors: [{ message, extensions: { code } }] } : { error: { code, message } }), headers);
}
