/**
 * What a limit answers (api/rate-limit.ts `applyLimits`): 429 with a jittered Retry-After when a limit
 * refused; on a store failure, 503 on the routes that spend money or run models and nothing elsewhere;
 * and which routes those are, kept equal to the routes the OpenAPI document gives a 503.
 */
import type { Request, Response } from 'express';
import { registry } from '../../api/openapi/routes';
import { applyLimits, failsClosed, RETRY_AFTER_JITTER_SECONDS, STORE_RETRY_AFTER_SECONDS, withJitter, withoutCredentials, type LimitOutcome } from '../../api/rate-limit';

function exchange(method: string, path: string): { req: Request; res: Response; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  const res = { setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value) } as unknown as Response;
  return { req: { method, baseUrl: '', path } as Request, res, headers };
}

const counted = (remaining: number, resetSeconds = 30, limit = 10): LimitOutcome => ({ allowed: true, limit, remaining, resetSeconds });
const refused = (resetSeconds: number, limit = 10): LimitOutcome => ({ allowed: false, limit, remaining: 0, resetSeconds });
const down: LimitOutcome = { unavailable: true, limiter: 'key' };

describe('failsClosed', () => {
  it('is true exactly for the routes the OpenAPI document gives a 503 rate_limit_unavailable', () => {
    const closed: string[] = [];
    for (const route of registry.list()) {
      const path = route.path.replace(/:[A-Za-z0-9_]+/g, 'x1');
      if (failsClosed(route.method.toUpperCase(), path)) closed.push(`${route.method.toUpperCase()} ${route.path}`);
      const answer = route.responses?.[503];
      const limiterDown = (typeof answer === 'string' ? answer : answer?.description)?.includes('`rate_limit_unavailable`') ?? false;
      expect([route.path, failsClosed(route.method.toUpperCase(), path)]).toEqual([route.path, limiterDown]);
    }
    expect(closed.sort()).toEqual([
      'POST /v1/accounts',
      'POST /v1/conversations',
      'POST /v1/conversations/:id/confirm',
      'POST /v1/conversations/:id/messages',
      'POST /v1/knowledge/analyze',
      'POST /widget/v1/:token/conversations',
      'POST /widget/v1/:token/conversations/:id/messages',
    ]);
  });

  it('matches as Express routes: any letter case, a trailing slash', () => {
    expect(failsClosed('POST', '/V1/Conversations/conv_1/MESSAGES')).toBe(true);
    expect(failsClosed('POST', '/v1/accounts/')).toBe(true);
    expect(failsClosed('POST', '/v1/knowledge/ANALYZE/')).toBe(true);
  });

  it('lets reads, preflights and the other channel routes fail open', () => {
    expect(failsClosed('GET', '/v1/conversations')).toBe(false);
    expect(failsClosed('OPTIONS', '/widget/v1/wt_1/conversations')).toBe(false);
    expect(failsClosed('GET', '/widget/v1/wt_1/conversations/conv_1/messages')).toBe(false);
    expect(failsClosed('POST', '/v1/conversations/conv_1/close')).toBe(false);
    expect(failsClosed('POST', '/v1/auth/login')).toBe(false);
  });
});

describe('applyLimits', () => {
  it('sets X-RateLimit-* from the limit nearest to refusing and lets the request through', () => {
    const { req, res, headers } = exchange('GET', '/v1/bots');
    expect(applyLimits(req, res, [counted(7, 40, 100), counted(2, 12, 10), undefined])).toBeUndefined();
    expect(headers).toEqual({ 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '2', 'x-ratelimit-reset': '12' });
  });

  it('answers 429 with Retry-After = the reset plus 0..N s of jitter, the same number in details, and the exact reset in X-RateLimit-Reset', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const { req, res, headers } = exchange('GET', '/v1/bots');
      const error = applyLimits(req, res, [counted(5), refused(20)])!;
      expect([error.status, error.code]).toEqual([429, 'rate_limited']);
      const retryAfter = Number(headers['retry-after']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(20);
      expect(retryAfter).toBeLessThanOrEqual(20 + RETRY_AFTER_JITTER_SECONDS);
      expect(error.details).toEqual({ limit: 10, retryAfterSeconds: retryAfter });
      expect(headers['x-ratelimit-reset']).toBe('20');
      expect(headers['x-ratelimit-remaining']).toBe('0');
      seen.add(retryAfter);
    }
    // Every value of the spread comes up (200 draws of 6 values: missing one has odds of about 1e-15).
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: RETRY_AFTER_JITTER_SECONDS + 1 }, (_, i) => 20 + i));
  });

  it('answers 503 rate_limit_unavailable with a jittered Retry-After when a store failed on a route that fails closed', () => {
    const { req, res, headers } = exchange('POST', '/v1/conversations/conv_1/messages');
    const error = applyLimits(req, res, [counted(5), down])!;
    expect([error.status, error.code]).toEqual([503, 'rate_limit_unavailable']);
    const retryAfter = Number(headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(STORE_RETRY_AFTER_SECONDS);
    expect(retryAfter).toBeLessThanOrEqual(STORE_RETRY_AFTER_SECONDS + RETRY_AFTER_JITTER_SECONDS);
    expect(error.details).toEqual({ retryAfterSeconds: retryAfter });
    // What was counted is still shown.
    expect(headers['x-ratelimit-remaining']).toBe('5');
  });

  it('lets the request through on a store failure elsewhere, with no rate-limit headers when nothing was counted', () => {
    const { req, res, headers } = exchange('GET', '/v1/bots');
    expect(applyLimits(req, res, [down])).toBeUndefined();
    expect(headers).toEqual({});
  });

  it('prefers a 429 over a 503 when one limit refused and another store failed', () => {
    const { req, res } = exchange('POST', '/v1/accounts');
    expect(applyLimits(req, res, [refused(9), down])?.status).toBe(429);
  });

  it('reads the mount point too (a middleware under /v1 sees the rest of the path)', () => {
    const { res } = exchange('POST', '');
    expect(applyLimits({ method: 'POST', baseUrl: '/v1', path: '/conversations' } as Request, res, [down])?.status).toBe(503);
  });
});

describe('withJitter', () => {
  it('is a whole number of seconds, at least 1, at most the wait plus the jitter', () => {
    for (let i = 0; i < 100; i++) {
      const zero = withJitter(0);
      expect(Number.isInteger(zero) && zero >= 1 && zero <= 1 + RETRY_AFTER_JITTER_SECONDS).toBe(true);
      const fraction = withJitter(2.2);
      expect(fraction >= 3 && fraction <= 3 + RETRY_AFTER_JITTER_SECONDS).toBe(true);
    }
  });
});

describe('withoutCredentials', () => {
  it('keeps the name and the message of a store error, without the credentials of a connection string', () => {
    const error = new Error('failed to connect to mongodb://parley:s3cret@db.internal:27017/parley?authSource=admin');
    error.name = 'MongoServerSelectionError';
    const logged = withoutCredentials(error);
    expect([logged.name, logged.message]).toEqual(['MongoServerSelectionError', 'failed to connect to mongodb://[redacted]@db.internal:27017/parley?authSource=admin']);
    expect(withoutCredentials('timeout').message).toBe('timeout');
  });
});
