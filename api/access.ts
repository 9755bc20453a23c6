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

/** Every agent's token reaches these (method, path); the conversation ones are then checked per conversation (api/agent-access.ts). */
const AGENT_ROUTES: ReadonlyArray<readonly [string, RegExp]> = [
  ['GET', /^\/v1\/inbox\/?$/i],
  ['GET', /^\/v1\/agents\/?$/i],
  ['GET', /^\/v1\/agents\/me\/?$/i],
  ['PATCH', /^\/v1\/agents\/me\/?$/i],
  ['POST', /^\/v1\/agents\/me\/heartbeat\/?$/i],
  ['POST', /^\/v1\/agent-auth\/logout\/?$/i],
  ['GET', /^\/v1\/conversations\/[^/]+(?:\/(?:messages|events))?\/?$/i],
  ['POST', /^\/v1\/conversations\/[^/]+\/(?:agent-messages|notes|release|close|claim)\/?$/i],
];
/** An admin agent's token reaches these too: assignment, managing agents, the SLA overview. */
const ADMIN_ROUTES: ReadonlyArray<readonly [string, RegExp]> = [
  ['POST', /^\/v1\/conversations\/[^/]+\/assign\/?$/i],
  ['POST', /^\/v1\/agents\/?$/i],
  ['GET', /^\/v1\/agents\/[^/]+\/?$/i],
  ['PATCH', /^\/v1\/agents\/[^/]+\/?$/i],
  ['POST', /^\/v1\/agents\/[^/]+\/(?:invite|deactivate)\/?$/i],
  ['GET', /^\/v1\/sla\/status\/?$/i],
];

/**
 * Whether a human agent's token may reach a route: an allow-list (the inbox, their own profile, the
 * conversation routes an agent works with; admins also assignment, agents and the SLA overview). Nothing
 * else: no keys, bots, connections, knowledge, webhooks or settings. HEAD is GET's.
 */
export function agentMayReach(role: 'agent' | 'admin', method: string, path: string): boolean {
  const m = method === 'HEAD' ? 'GET' : method;
  const allowed = (routes: ReadonlyArray<readonly [string, RegExp]>): boolean => routes.some(([rm, re]) => rm === m && re.test(path));
  return allowed(AGENT_ROUTES) || (role === 'admin' && allowed(ADMIN_ROUTES));
}

export const requirePermission: RequestHandler = (req, res, next) => {
  const caller = callerOf(res);
  if (caller.agent) {
    if (agentMayReach(caller.agent.role, req.method, fullPath(req))) return next();
    const what = caller.agent.role === 'admin' ? "an admin agent's token reaches the inbox, conversations, agents and the SLA overview" : "an agent's token reaches only the inbox, its conversations and its own profile";
    next(new AppError(403, 'forbidden', `${what}: use an API key for ${req.method} ${fullPath(req)}`, { agentRole: caller.agent.role }));
    return;
  }
  const required = requiredPermissions(req.method, fullPath(req));
  const { permissions } = caller;
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
