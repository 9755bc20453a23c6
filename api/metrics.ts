/**
 * Prometheus metrics of the API (prom-client), served on `GET /metrics`. Each app has its own Registry,
 * not prom-client's global one, so several apps in one process (tests, scale-out checks) keep their own
 * counts. Labels are bounded and never name an account, a conversation or a visitor: a route is its
 * pattern (`/v1/conversations/:id/messages`), never the raw URL.
 */
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { bearerMatches } from '../models/secret-box';
import type { ApiConfig } from './config';
import { AppError } from './errors';

export type TurnKind = 'start' | 'message' | 'confirm';
/** `ok`: the bot answered; `pending`: no answer within REPLY_WAIT_MS (202); `error`: refused or failed. */
export type TurnOutcome = 'ok' | 'pending' | 'error';

export interface ApiMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  turns: Counter<'kind' | 'outcome'>;
  turnDuration: Histogram<'kind'>;
  /** Requests refused by a rate limiter, by limiter name (`key`, `key-messages`, `login-email`...). */
  rateLimited: Counter<'limiter'>;
  /** Counts the rate-limit store could not make (unreachable, failing, too slow), by limiter name. */
  rateLimitStoreErrors: Counter<'limiter'>;
}

/** Builds the API's metrics on a registry of their own; `processMetrics` adds Node's (CPU, memory, event loop). */
export function createApiMetrics(options: { processMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({ name: 'parley_http_requests_total', help: 'HTTP requests answered, by route pattern and status', labelNames: ['method', 'route', 'status'], registers }),
    httpDuration: new Histogram({
      name: 'parley_http_request_duration_seconds',
      help: 'Time to answer an HTTP request',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    turns: new Counter({ name: 'parley_turns_total', help: 'Visitor turns sent through the API channel (start, message, confirm), by outcome', labelNames: ['kind', 'outcome'], registers }),
    turnDuration: new Histogram({
      name: 'parley_turn_duration_seconds',
      help: "Time from a visitor turn to the bot's replies (or to giving up waiting)",
      labelNames: ['kind'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30],
      registers,
    }),
    rateLimited: new Counter({ name: 'parley_rate_limited_total', help: 'Requests refused with 429 by a rate limiter', labelNames: ['limiter'], registers }),
    rateLimitStoreErrors: new Counter({
      name: 'parley_rate_limit_store_errors_total',
      help: 'Rate-limit counts that failed in the store (unreachable, error, timeout): 503 on routes that fail closed, let through elsewhere',
      labelNames: ['limiter'],
      registers,
    }),
  };
}

/** Starts timing one turn; call the result once with its outcome. */
export function startTurn(metrics: ApiMetrics, kind: TurnKind): (outcome: TurnOutcome) => void {
  const end = metrics.turnDuration.startTimer({ kind });
  let done = false;
  return (outcome) => {
    if (done) return;
    done = true;
    end();
    metrics.turns.inc({ kind, outcome });
  };
}

/** Times a turn that answers with an HTTP status: 202 is `pending`, a throw is `error`. */
export async function timeTurn<T extends { status: number }>(metrics: ApiMetrics, kind: TurnKind, run: () => Promise<T>): Promise<T> {
  const done = startTurn(metrics, kind);
  try {
    const answer = await run();
    done(answer.status === 202 ? 'pending' : 'ok');
    return answer;
  } catch (error) {
    done('error');
    throw error;
  }
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The method as a label: one of the usual seven, or `other`. */
export const methodLabel = (method: string): string => (METHODS.has(method) ? method : 'other');

/**
 * `GET /metrics` in Prometheus' text format. With METRICS_AUTH_TOKEN it takes `Authorization: Bearer
 * <token>` (a deployment secret for the scraper, never a tenant's key); unset, it is open and the
 * deployment should keep it off the public network.
 */
export function metricsRoute(deps: { config: Pick<ApiConfig, 'METRICS_AUTH_TOKEN'>; metrics: ApiMetrics }): RequestHandler {
  const token = deps.config.METRICS_AUTH_TOKEN;
  return async (req, res, next) => {
    if (token) {
      if (!bearerMatches(req.get('authorization'), token)) {
        next(new AppError(401, 'unauthorized', 'send the metrics token as "Authorization: Bearer <METRICS_AUTH_TOKEN>"'));
        return;
      }
    }
    res.set('Content-Type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  };
}
