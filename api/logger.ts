/**
 * One log line and one metrics sample per HTTP request: method, route pattern, status, duration, request
 * id and (once authenticated) the account id. Never a body, a query string or a header value: those hold
 * visitor text, API keys and tenant credentials.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { StructuredLogger } from '../models/logger';
import type { Caller } from './auth';
import { methodLabel, type ApiMetrics } from './metrics';
import { routePattern } from './openapi/route-pattern';

/** A caller's own request id is kept when it is short and plain; anything else is replaced. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;
/** Probes answered every few seconds: logged at debug so they do not drown the rest. */
const QUIET_ROUTES = new Set(['/healthz', '/ready', '/metrics']);

/**
 * Gives every request an id (a sane `X-Request-Id` from the caller or a new UUID, echoed in the response
 * header and in `res.locals.requestId`) and, when the response is done or the client went away, logs it
 * and counts it. Mounted first, so requests refused early (415, 401, 429) are seen too.
 */
export function observeRequests(deps: { logger: StructuredLogger; metrics: ApiMetrics }): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const incoming = req.get('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    // req.path, not req.url: the query string may hold a key or an email.
    const method = methodLabel(req.method);
    const route = routePattern(req.method, req.path);

    let seen = false;
    const done = (): void => {
      if (seen) return;
      seen = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const aborted = !res.writableFinished;
      // 499 (nginx's "client closed request") when the client left before an answer was sent.
      const status = aborted && !res.headersSent ? 499 : res.statusCode;
      const labels = { method, route, status: String(status) };
      deps.metrics.httpRequests.inc(labels);
      deps.metrics.httpDuration.observe(labels, seconds);
      const caller = res.locals.caller as Caller | undefined;
      const fields = {
        requestId,
        method: req.method,
        route,
        status,
        durationMs: Math.round(seconds * 1e4) / 10,
        ...(caller ? { accountId: caller.accountId } : {}),
        ...(aborted ? { aborted: true } : {}),
      };
      const message = `${req.method} ${route} ${status}`;
      if (status >= 500) deps.logger.error(fields, message);
      else if (QUIET_ROUTES.has(route)) deps.logger.debug(fields, message);
      else deps.logger.info(fields, message);
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}
