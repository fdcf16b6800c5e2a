// What the GraphQL layer learned about a request (its key, its operation) for the front door's access log, keyed
// by the Node request object.
import type { IncomingMessage } from 'node:http';

export interface RequestNotes {
  key?: string;
  operation?: string;
}

export const requestNotes = new WeakMap<IncomingMessage, RequestNotes>();

/** Adds notes to a Node request when there is one (yoga.fetch in tests has none). */
export function noteRequest(req: unknown, notes: RequestNotes): void {
  if (!req || typeof req !== 'object') return;
  const nodeReq = req as IncomingMessage;
  requestNotes.set(nodeReq, { ...requestNotes.get(nodeReq), ...notes });
}
