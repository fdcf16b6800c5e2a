// A small GraphQL-over-HTTP client with multipart upload support, used by the CLI and the end-to-end tests.
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
    let res: Response;
    try {
      if (uploads.length === 0) {
        res = await fetch(this.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...this.headers },
          body: JSON.stringify({ query, variables }),
        });
      } else {
        // GraphQL multipart request spec: operations + map + one part per file.
        const form = new FormData();
        form.set('operations', JSON.stringify({ query, variables }));
        form.set('map', JSON.stringify(Object.fromEntries(uploads.map((u, i) => [String(i), [u.path]]))));
        uploads.forEach((u, i) => form.set(String(i), new Blob([u.bytes as Uint8Array<ArrayBuffer>], { type: u.type ?? 'application/octet-stream' }), u.name));
        res = await fetch(this.endpoint, { method: 'POST', headers: { accept: 'application/json', ...this.headers }, body: form });
      }
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
