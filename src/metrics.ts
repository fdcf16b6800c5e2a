// Prometheus metrics (prom-client), one registry per Loupe so that several in one process (tests) do not collide.
// Label values come from fixed sets (routes, schema root fields, error codes, model folder names), never from
// free request text, so the number of series stays bounded.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type Route = 'graphql' | 'marqo' | 'media' | 'metrics' | 'ready' | 'page' | 'assets' | 'other';

export function routeOf(pathname: string): Route {
  if (pathname === '/graphql') return 'graphql';
  if (pathname === '/marqo' || pathname.startsWith('/marqo/')) return 'marqo';
  if (pathname.startsWith('/media/')) return 'media';
  if (pathname === '/metrics') return 'metrics';
  if (pathname === '/ready' || pathname === '/health') return 'ready';
  if (pathname === '/' || pathname === '/index.html') return 'page';
  if (pathname.startsWith('/assets/')) return 'assets';
  return 'other';
}

/** What the indexing path reports (the services see only this interface). */
export interface IndexingMetrics {
  documentStarted(): void;
  documentFinished(outcome: string, chunks: number): void;
}

/** What model wrappers report: one observation per inference call. */
export interface InferenceMetrics {
  inference(model: string, role: string, input: string, seconds: number): void;
}

export class LoupeMetrics implements IndexingMetrics, InferenceMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly duration: Histogram<'route' | 'method'>;
  private readonly inFlight: Gauge<'route'>;
  private readonly operations: Counter<'type' | 'field'>;
  private readonly rejections: Counter<'code'>;
  private readonly documents: Counter<'outcome'>;
  private readonly chunks: Counter;
  private readonly queue: Gauge;
  private readonly inferenceSeconds: Histogram<'model' | 'role' | 'input'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'loupe_http_requests_total',
      help: 'HTTP requests answered, by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'loupe_http_request_duration_seconds',
      help: 'HTTP request latency (until the response is finished), by route and method',
      labelNames: ['route', 'method'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.inFlight = new Gauge({ name: 'loupe_http_requests_in_flight', help: 'HTTP requests being answered', labelNames: ['route'], registers });
    this.operations = new Counter({
      name: 'loupe_graphql_operations_total',
      help: 'API operations executed: GraphQL by type and root field, the Marqo REST API (type marqo) by route',
      labelNames: ['type', 'field'],
      registers,
    });
    this.rejections = new Counter({
      name: 'loupe_request_rejections_total',
      help: 'Requests refused before execution (keys, rate limits, size and complexity limits)',
      labelNames: ['code'],
      registers,
    });
    this.documents = new Counter({
      name: 'loupe_documents_indexed_total',
      help: 'Documents processed by addDocuments: ok or the error code',
      labelNames: ['outcome'],
      registers,
    });
    this.chunks = new Counter({ name: 'loupe_chunks_indexed_total', help: 'Chunks (image regions and text fields) committed to Postgres', registers });
    this.queue = new Gauge({
      name: 'loupe_indexing_documents_in_flight',
      help: 'Indexing queue depth: documents accepted by addDocuments and not yet finished',
      registers,
    });
    this.inferenceSeconds = new Histogram({
      name: 'loupe_model_inference_seconds',
      help: 'Model inference time per call, by model folder, role (clip, owl, yolox, dino) and input kind',
      labelNames: ['model', 'role', 'input'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
  }

  /** Starts timing a request; call the result with the status once the response is finished. */
  requestStarted(route: Route, method: string): (status: number) => void {
    const m = ['GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'].includes(method) ? method : 'other';
    this.inFlight.inc({ route });
    const end = this.duration.startTimer({ route, method: m });
    let done = false;
    return (status) => {
      if (done) return;
      done = true;
      end();
      this.inFlight.dec({ route });
      this.requests.inc({ route, method: m, status: String(status) });
    };
  }

  operation(type: string, field: string): void {
    this.operations.inc({ type, field });
  }

  rejected(code: string): void {
    this.rejections.inc({ code });
  }

  documentStarted(): void {
    this.queue.inc();
  }

  documentFinished(outcome: string, chunks: number): void {
    this.queue.dec();
    this.documents.inc({ outcome });
    if (chunks > 0) this.chunks.inc(chunks);
  }

  inference(model: string, role: string, input: string, seconds: number): void {
    this.inferenceSeconds.observe({ model, role, input }, seconds);
  }

  /** The Prometheus text exposition. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
