/**
 * Prometheus metrics of a worker (prom-client): every activity's outcome and duration, and the outcome
 * of every tenant API call (`callEndpoint`), counted by an activity interceptor (worker/interceptors.ts)
 * so activity code stays as it is. Served by a small node:http server on METRICS_PORT. Each worker has
 * a Registry of its own (not prom-client's global one), so tests can run several and read each.
 */
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { bearerMatches } from '../models/secret-box';

export interface WorkerMetrics {
  registry: Registry;
  /** Activity executions (attempts) by activity type and outcome: `ok`, `error` (thrown; retried unless non-retryable), `cancelled`. */
  activities: Counter<'activity' | 'outcome'>;
  activityDuration: Histogram<'activity'>;
  /**
   * Tenant API calls (`callEndpoint` attempts) by kind (`conversation`, `endpoint_test`) and outcome: `ok`;
   * `failed` (an answer that is a failure: 4xx, validation, blocked address...); `error` (thrown: 5xx, 429,
   * timeout, network — Temporal retries); `cancelled`.
   */
  actions: Counter<'kind' | 'outcome'>;
  /** Failed and errored tenant API calls by kind and code (`http_4xx`, `validation_failed`, ..., `error`). */
  actionFailures: Counter<'kind' | 'code'>;
  /** Webhook endpoints a delivery disabled, by reason: `gone` (a 410) or `failing` (the schedule ran out). */
  webhookEndpointsDisabled: Counter<'reason'>;
  /** Workers of this process running (polling or draining): worker/create-worker.ts counts them; `GET /ready` is 200 while one is. */
  workersRunning: Gauge;
}

/** The gauge `GET /ready` reads. */
const WORKERS_RUNNING = 'parley_workers_running';

/** Builds a worker's metrics on a registry of their own; `processMetrics` adds Node's (CPU, memory, event loop). */
export function createWorkerMetrics(options: { processMetrics?: boolean } = {}): WorkerMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    activities: new Counter({ name: 'parley_activity_total', help: 'Activity attempts by activity type and outcome', labelNames: ['activity', 'outcome'], registers }),
    activityDuration: new Histogram({
      name: 'parley_activity_duration_seconds',
      help: 'Time an activity attempt took (tenant API calls, LLM calls, database writes)',
      labelNames: ['activity'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    actions: new Counter({ name: 'parley_actions_total', help: 'Tenant API calls (callEndpoint attempts) by kind and outcome', labelNames: ['kind', 'outcome'], registers }),
    actionFailures: new Counter({ name: 'parley_action_failures_total', help: 'Tenant API calls that failed, by kind and failure code', labelNames: ['kind', 'code'], registers }),
    webhookEndpointsDisabled: new Counter({ name: 'parley_webhook_endpoints_disabled_total', help: 'Webhook endpoints disabled by a delivery, by reason (gone: a 410; failing: the retry schedule ran out)', labelNames: ['reason'], registers }),
    workersRunning: new Gauge({ name: WORKERS_RUNNING, help: 'Temporal workers of this process running (polling, or draining after SIGTERM)', registers }),
  };
}

export interface MetricsServerOptions {
  registry: Registry;
  /** 0 picks a free port (tests); worker/main.ts does not start the server at all for METRICS_PORT=0. */
  port: number;
  host: string;
  /** When set, `Authorization: Bearer <token>` is required (401 otherwise). */
  token?: string;
}

/**
 * Serves `GET /metrics` from `registry`, and the probes (no token: the kubelet sends none, and they tell
 * nothing but up or down): `GET /healthz` is 200 while the process answers (liveness), `GET /ready` is
 * 200 while a worker runs (the registry's parley_workers_running > 0), 503 before it polls. Everything else
 * is 404. Errors have the API's shape `{ message, code, details }`. Resolves once listening; the caller
 * closes the server.
 */
export async function serveMetrics(options: MetricsServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const answer = (status: number, code: string, message: string): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message, code, details: null }));
    };
    const path = (req.url ?? '/').split('?')[0];
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (read && path === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
    if (read && path === '/ready') {
      void workersRunning(options.registry).then((running) => {
        if (running > 0) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', workers: running }));
        else answer(503, 'not_ready', 'no worker of this process is polling yet');
      });
      return;
    }
    if (path !== '/metrics' || !read) return answer(404, 'route_not_found', `no route for ${req.method} ${path}`);
    if (options.token) {
      if (!bearerMatches(req.headers.authorization, options.token)) {
        return answer(401, 'unauthorized', 'send the metrics token as "Authorization: Bearer <METRICS_AUTH_TOKEN>"');
      }
    }
    options.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
      () => answer(500, 'internal_error', 'the metrics could not be collected'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** The parley_workers_running gauge of `registry` (0 when it has none). */
async function workersRunning(registry: Registry): Promise<number> {
  const metric = registry.getSingleMetric(WORKERS_RUNNING);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}
