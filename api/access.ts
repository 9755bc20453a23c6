/**
 * What an authenticated caller may do, and how often: the permission each route needs, and the
 * per-key rate limits (every authenticated route, plus a tighter one for message sends).
 */
import type { Request, RequestHandler } from 'express';
import type { ApiPermission } from '../models/account.schema';
import { callerOf } from './auth';
import type { ApiConfig } from './config';
import { AppError } from './errors';
import { applyLimits, type SharedLimiters } from './rate-limit';

/**
 * The API channel: starting a conversation and everything a visitor (or the agent relaying for one) sends.
 * Case-insensitive, as Express routes (`/V1/Conversations` reaches the same handler).
 */
const CHANNEL_ROUTE = /^\/v1\/conversations(?:\/[^/]+\/(?:messages|confirm|close|agent-messages|release|handoff))?\/?$/i;
/** The sends the tighter message limit counts. */
const MESSAGE_ROUTE = /^\/v1\/conversations(?:\/[^/]+\/(?:messages|confirm))?\/?$/i;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

const fullPath = (req: Request): string => `${req.baseUrl}${req.path}`;

/**
 * The permissions that allow a request (any one of them suffices): `read` for GET routes (reading
 * conversations and their transcripts takes `read` or `conversations`, so a channel-only key can read what
 * it wrote); `conversations` for the API channel; `write` for every other change.
 */
export function requiredPermissions(method: string, path: string): ApiPermission[] {
  if (READS.has(method)) return path === '/v1/conversations' || path.startsWith('/v1/conversations/') ? ['read', 'conversations'] : ['read'];
  if (method === 'POST' && CHANNEL_ROUTE.test(path)) return ['conversations'];
  return ['write'];
}

export const requirePermission: RequestHandler = (req, res, next) => {
  const required = requiredPermissions(req.method, fullPath(req));
  const { permissions } = callerOf(res);
  if (required.some((p) => permissions.includes(p))) {
    next();
    return;
  }
  next(new AppError(403, 'forbidden', `this API key lacks the ${required.join(' or ')} permission`, { required }));
};

/**
 * Counts every authenticated request per API key (and message sends again, tighter); sets X-RateLimit-*.
 * When the store fails, the routes that spend money or run models answer 503 (`failsClosed`), the others go on.
 */
export function keyRateLimit(limiters: SharedLimiters, config: ApiConfig): RequestHandler {
  const all = limiters.create('key', config.RATE_LIMIT_PER_MINUTE, 60);
  const messages = limiters.create('key-messages', config.MESSAGE_RATE_LIMIT_PER_MINUTE, 60);
  return async (req, res, next) => {
    const { apiKeyId } = callerOf(res);
    const isMessage = req.method === 'POST' && MESSAGE_ROUTE.test(fullPath(req));
    const results = await Promise.all([all.consume(apiKeyId), isMessage ? messages.consume(apiKeyId) : undefined]);
    next(applyLimits(req, res, results));
  };
}
