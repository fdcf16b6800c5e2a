// The HTTP behaviour of the official Python client (py-marqo 3.x: marqo/_httprequests.py, client.py, index.py),
// replayed request for request so that the contract tests send exactly what `marqo.Client(url=...)` sends: the same
// URL paths and query strings (`?&device=cuda0` on search, `?refresh=false&device=...` on client-batched adds,
// `?expose_facets=True`), the same JSON bodies (json.dumps separators, ensure_ascii, None → null, the add-documents
// base body, None-valued search keys dropped), the same Content-Type rules (POST always application/json, GET and
// PUT only with a body, DELETE never), `x-api-key` for the key, and the same error conversion (MarqoWebError with
// `code` and `type` read from the body, or unhandled_error).

import { request as httpRequest } from 'node:http';

/** What py-marqo raises for a non-2xx answer. */
export class MarqoWebError extends Error {
  constructor(
    readonly body: unknown,
    readonly status: number,
    readonly code: string,
    readonly type: string,
  ) {
    super(`MarqoWebError ${status} ${code} ${type}: ${typeof body === 'string' ? body : JSON.stringify(body)}`);
  }
}

export interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** Python's json.dumps(value): ", " and ": " separators, non-ASCII as \uXXXX (ensure_ascii=True). */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object')
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`)
      .join(', ')}}`;
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) throw new Error('unsafe integer');
  if (typeof value === 'number' && !Number.isInteger(value)) return String(value);
  return JSON.stringify(value);
}

/** One request as `requests` sends it (node:http: fetch cannot send a GET with a body, which py-marqo does). */
function httpSend(method: string, url: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const all: Record<string, string | number> = { ...headers, accept: '*/*', 'user-agent': 'python-requests/2.32.3' };
    if (body !== undefined) all['content-length'] = Buffer.byteLength(body);
    const req = httpRequest(url, { method, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** utils.translate_device_string_for_url */
const device = (d: string) => d.toLowerCase().replace(/:/g, '');

/** Python's str(bool) in an f-string. */
const pyBool = (b: boolean) => (b ? 'True' : 'False');

const dropNone = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));

export class PyMarqoClient {
  /** Every request sent, for tests that assert the exact shapes. */
  readonly sent: SentRequest[] = [];
  private readonly base: string;

  constructor(
    url: string,
    private readonly apiKey?: string,
  ) {
    // DefaultInstanceMappings lower-cases the URL.
    this.base = url.toLowerCase();
  }

  async send(method: 'get' | 'post' | 'put' | 'delete', path: string, body?: unknown, contentType?: string | null): Promise<any> {
    const headers: Record<string, string> = this.apiKey ? { 'x-api-key': this.apiKey } : {};
    // HttpRequests.get/put set application/json only with a body; post always; delete never.
    const type =
      contentType !== undefined ? contentType : method === 'post' ? 'application/json' : body !== undefined && body !== null ? 'application/json' : null;
    if (type) headers['Content-Type'] = type;
    const data = body === undefined || body === null ? undefined : typeof body === 'string' ? body : pythonJsonDumps(body);
    const url = `${this.base}/${path}`;
    this.sent.push({ method: method.toUpperCase(), url, headers, body: data });
    const res = await httpSend(method.toUpperCase(), url, headers, data);
    const text = res.text;
    if (res.status >= 400) {
      let parsed: any;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new MarqoWebError(text, res.status, 'unhandled_error', 'unhandled_error_type');
      }
      if (parsed === null || typeof parsed !== 'object' || !('code' in parsed) || !('type' in parsed))
        throw new MarqoWebError(text, res.status, 'unhandled_error', 'unhandled_error_type');
      throw new MarqoWebError(parsed, res.status, parsed.code, parsed.type);
    }
    return text === '' ? null : JSON.parse(text);
  }

  getMarqo() {
    return this.send('get', '');
  }

  health() {
    return this.send('get', 'health');
  }

  /** Client.create_index → Index.create: IndexSettings(...).generate_request_body() (exclude_none), or settings_dict. */
  createIndex(name: string, settings: Record<string, unknown> = {}, settingsDict?: Record<string, unknown>) {
    return this.send('post', `indexes/${name}`, settingsDict ?? dropNone(settings));
  }

  /** Client.delete_index returns the error's message instead of raising. */
  async deleteIndex(name: string) {
    try {
      return await this.send('delete', `indexes/${name}`);
    } catch (e) {
      if (e instanceof MarqoWebError) return e.body;
      throw e;
    }
  }

  /** Client.get_indexes keeps only indexName. */
  async getIndexes() {
    const response = await this.send('get', 'indexes');
    return { results: response.results.map((i: any) => ({ indexName: i.indexName })) };
  }

  /** Client.get_index: verifies by GET stats. */
  async getIndex(name: string) {
    await this.send('get', `indexes/${name}/stats`);
    return this.index(name);
  }

  index(name: string) {
    return new PyMarqoIndex(this, name);
  }
}

export interface SearchArgs {
  q?: unknown;
  searchableAttributes?: string[];
  limit?: number;
  offset?: number;
  searchMethod?: string;
  device?: string;
  filterString?: string;
  showHighlights?: boolean;
  reranker?: string;
  attributesToRetrieve?: string[];
  efSearch?: number;
  approximate?: boolean;
  hybridParameters?: Record<string, unknown>;
}

export class PyMarqoIndex {
  constructor(
    private readonly client: PyMarqoClient,
    readonly name: string,
  ) {}

  /** Index.search: the body with None-valued keys dropped; `?&device=` only when a device is given. */
  search(a: SearchArgs) {
    const path = `indexes/${this.name}/search${a.device !== undefined ? `?&device=${device(a.device)}` : ''}`;
    const body = dropNone({
      q: a.q,
      attributesToRetrieve: a.attributesToRetrieve,
      filter: a.filterString,
      image_download_headers: undefined,
      context: undefined,
      scoreModifiers: undefined,
      modelAuth: undefined,
      efSearch: a.efSearch,
      approximate: a.approximate,
      searchableAttributes: a.searchableAttributes,
      limit: a.limit ?? 10,
      offset: a.offset ?? 0,
      searchMethod: a.searchMethod ?? 'TENSOR',
      showHighlights: a.showHighlights ?? true,
      reRanker: a.reranker,
      boost: undefined,
      hybridParameters: a.hybridParameters,
      textQueryPrefix: undefined,
    });
    return this.client.send('post', path, body);
  }

  /**
   * Index.add_documents → _add_docs_organiser: the base body, then either one POST (`?device=` when given) or, with
   * client_batch_size, one POST per batch to `?refresh=false[&device=...]`, answered as the list of responses.
   */
  async addDocuments(documents: Record<string, unknown>[], opts: { clientBatchSize?: number; device?: string; tensorFields?: string[] } = {}) {
    const base = `indexes/${this.name}/documents`;
    const query = opts.device !== undefined ? `device=${device(opts.device)}` : '';
    const baseBody: Record<string, unknown> = { useExistingTensors: false, imageDownloadHeaders: {}, mappings: null, modelAuth: null };
    if (opts.tensorFields !== undefined) baseBody.tensorFields = opts.tensorFields;
    if (opts.clientBatchSize !== undefined) {
      if (opts.clientBatchSize <= 0) throw new Error("InvalidArgError: Batch size can't be less than 1!");
      const path = `${base}?refresh=false${query ? `&${query}` : ''}`;
      const results = [];
      for (let i = 0; i < documents.length; i += opts.clientBatchSize) {
        results.push(await this.client.send('post', path, { documents: documents.slice(i, i + opts.clientBatchSize), ...baseBody }));
      }
      return results;
    }
    return this.client.send('post', `${base}${query ? `?${query}` : ''}`, { documents, ...baseBody });
  }

  getDocument(id: string, exposeFacets?: boolean) {
    return this.client.send('get', `indexes/${this.name}/documents/${id}${exposeFacets !== undefined ? `?expose_facets=${pyBool(exposeFacets)}` : ''}`);
  }

  /** Index.get_documents: a GET with the ids as a JSON list body. */
  getDocuments(ids: string[], exposeFacets?: boolean) {
    return this.client.send('get', `indexes/${this.name}/documents${exposeFacets !== undefined ? `?expose_facets=${pyBool(exposeFacets)}` : ''}`, ids);
  }

  deleteDocuments(ids: string[]) {
    return this.client.send('post', `indexes/${this.name}/documents/delete-batch`, ids);
  }

  getStats() {
    return this.client.send('get', `indexes/${this.name}/stats`);
  }

  getSettings() {
    return this.client.send('get', `indexes/${this.name}/settings`);
  }

  health() {
    return this.client.send('get', `indexes/${this.name}/health`);
  }

  delete() {
    return this.client.send('delete', `indexes/${this.name}`);
  }
}
