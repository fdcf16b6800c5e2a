// The body of a GraphQL request as the CLI and the web page send it: JSON, or a GraphQL multipart request
// (github.com/jaydenseric/graphql-multipart-request-spec: operations + map + one part per file) when files go with it.
// The server side of the spec is src/api/multipart.ts.

export interface GraphQLFilePart {
  /** Dotted path of the variable the file fills, e.g. "variables.documents.0.files.0.file". */
  path: string;
  file: Blob;
  /** The file name sent with the part. */
  name: string;
}

/** fetch() init for one GraphQL operation; `headers` are added to every request (an API key, say). */
export function graphqlRequestInit(
  query: string,
  variables: unknown,
  files: readonly GraphQLFilePart[] = [],
  headers: Record<string, string> = {},
): RequestInit {
  const operations = JSON.stringify({ query, variables });
  if (files.length === 0) {
    return { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: operations };
  }
  const form = new FormData();
  form.set('operations', operations);
  form.set('map', JSON.stringify(Object.fromEntries(files.map((f, i) => [String(i), [f.path]]))));
  files.forEach((f, i) => form.set(String(i), f.file, f.name));
  // No content-type: fetch sets multipart/form-data with its boundary.
  return { method: 'POST', headers: { accept: 'application/json', ...headers }, body: form };
}
