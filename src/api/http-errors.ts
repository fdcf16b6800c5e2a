// The one way the HTTP layer answers a refusal or failure outside GraphQL execution: a JSON body with a stable code,
// `{"errors":[{"message","extensions":{"code"}}]}` on /graphql (what GraphQL clients read) and
// `{"error":{"code","message"}}` everywhere else.
import type { ServerResponse } from 'node:http';

export function sendJsonError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}, graphql = false): void {
  const body = JSON.stringify(graphql ? { errors: [{ message, extensions: { code } }] } : { error: { code, message } });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}
