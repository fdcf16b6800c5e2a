// A small GraphQL-over-HTTP client with multipart upload support, used by the CLI and the end-to-end tests.
import { graphqlRequestInit } from './multipart.js';

export interface GraphQLResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export interface UploadPart {
  /** Dotted path of the variable the file fills, e.g. "variables.documents.0.files.0.file". */
  path: string;
  name: string;
  bytes: Uint8Array;
  type?: string;
}

export class GraphQLClientError extends Error {}

export class LoupeClient {
  constructor(
    readonly endpoint: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async request<T>(query: string, variables: Record<string, unknown> = {}, uploads: UploadPart[] = []): Promise<T> {
    const files = uploads.map((u) => ({
      path: u.path,
      name: u.name,
      file: new Blob([u.bytes as Uint8Array<ArrayBuffer>], { type: u.type ?? 'application/octet-stream' }),
    }));
    let res: Response;
    try {
      res = await fetch(this.endpoint, graphqlRequestInit(query, variables, files, this.headers));
    } catch (e) {
      throw new GraphQLClientError(`Cannot reach Loupe at ${this.endpoint}: ${(e as Error).message}. Is \`loupe serve\` running?`);
    }
    const body = (await res.json().catch(() => null)) as GraphQLResponse<T> | null;
    if (!body) throw new GraphQLClientError(`Loupe answered HTTP ${res.status} without a GraphQL body`);
    if (body.errors?.length) throw new GraphQLClientError(body.errors.map((e) => e.message).join('; '));
    if (!body.data) throw new GraphQLClientError('Loupe answered without data');
    return body.data;
  }
}
