import type { Request, RequestHandler, Response } from 'express';
import type { Model } from 'mongoose';
import type { AccountDoc, ApiKeyDoc } from '../models/account.model';
import type { AgentDoc, AgentSessionDoc } from '../models/agent.model';
import type { AgentRole } from '../models/agent.schema';
import { API_PERMISSIONS, type ApiPermission } from '../models/account.schema';
import { AppError } from './errors';
import { hashApiKey } from './passwords';
import type { TokenService } from './tokens';
import type { AgentTokenService } from './agent-tokens';
import { acrossAccounts, findOwned } from '../models/tenancy';

/** The authenticated caller, set by `authenticate`. */
export interface Caller {
  accountId: string;
  /** The API key's id, or `login:<accountId>` for a login token. Rate limits count per this id. */
  apiKeyId: string;
  permissions: readonly ApiPermission[];
  /**
   * Set for a human agent's access token (then `permissions` is empty and `apiKeyId` is `agent:<agentId>`):
   * what it may reach is api/access.ts `agentMayReach`.
   */
  agent?: { agentId: string; role: AgentRole; teams: string[]; sessionId: string };
}

/** What the authenticator needs to accept agents' access tokens (api/agent-tokens.ts). */
export interface AgentAuth {
  tokens: AgentTokenService;
  Agent: Model<AgentDoc>;
  AgentSession: Model<AgentSessionDoc>;
}

export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  if (!caller) throw new AppError(401, 'unauthorized', 'missing API key');
  return caller;
}

// Keys are looked up on every request; a short cache keeps that off the hot path. A revoked key is
// dropped from this process's cache at once and stops working everywhere within CACHE_MS.
const CACHE_MS = 10_000;
const CACHE_MAX = 10_000;

export interface Authenticator {
  middleware: RequestHandler;
  forget(hash: string): void;
}

/** A key stored before permissions existed (no list) may do everything, as it could before. */
export const permissionsOf = (doc: Pick<ApiKeyDoc, 'permissions'>): ApiPermission[] =>
  doc.permissions && doc.permissions.length > 0 ? [...doc.permissions] : [...API_PERMISSIONS];

const JWT = /^Bearer\s+([A-Za-z0-9_-]{10,2000}\.[A-Za-z0-9_-]{10,4000}\.[A-Za-z0-9_-]{10,200})\s*$/;

export function createAuthenticator(ApiKey: Model<ApiKeyDoc>, tokens?: TokenService, Account?: Model<AccountDoc>, agents?: AgentAuth): Authenticator {
  const cache = new Map<string, { caller: Caller; until: number }>();

  const lookup = async (key: string): Promise<Caller | undefined> => {
    const hash = hashApiKey(key);
    const hit = cache.get(hash);
    if (hit && hit.until > Date.now()) return hit.caller;
    // Across accounts by design: the key's hash is what says which account is calling.
    const doc = await acrossAccounts('authentication: an API key is found by its hash before its account is known', () => ApiKey.findOne({ hash, revokedAt: null }, { accountId: 1, permissions: 1 }).lean().exec());
    if (!doc) {
      cache.delete(hash);
      return undefined;
    }
    const caller: Caller = { accountId: doc.accountId, apiKeyId: doc._id, permissions: permissionsOf(doc) };
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(hash, { caller, until: Date.now() + CACHE_MS });
    return caller;
  };

  /** A login token carries every permission of the account's owner. */
  const fromToken = async (token: string): Promise<Caller | undefined> => {
    if (!tokens) return undefined;
    const accountId = await tokens.verify(token);
    if (!accountId) return undefined;
    if (Account && !(await Account.exists({ _id: accountId }))) return undefined;
    return { accountId, apiKeyId: `login:${accountId}`, permissions: [...API_PERMISSIONS] };
  };

  /**
   * An agent's access token: its session and its agent are read on every request (by `_id`, no cache),
   * so a logout, a reused refresh token or a deactivation ends access at once.
   */
  const fromAgentToken = async (token: string): Promise<Caller | undefined> => {
    if (!agents) return undefined;
    const claims = await agents.tokens.verify(token);
    if (!claims) return undefined;
    const [session, agent] = await Promise.all([
      findOwned(agents.AgentSession, claims.sessionId, claims.accountId, { agentId: 1, expiresAt: 1, revokedAt: 1 }),
      findOwned(agents.Agent, claims.agentId, claims.accountId, { status: 1, role: 1, teams: 1 }),
    ]);
    if (!session || session.agentId !== claims.agentId || session.revokedAt || session.expiresAt.getTime() <= Date.now()) return undefined;
    if (!agent || agent.status !== 'active') return undefined;
    return {
      accountId: claims.accountId,
      apiKeyId: `agent:${claims.agentId}`,
      permissions: [],
      agent: { agentId: claims.agentId, role: agent.role, teams: [...(agent.teams ?? [])], sessionId: claims.sessionId },
    };
  };

  const middleware: RequestHandler = async (req: Request, res: Response, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(pk_[A-Za-z0-9_-]{20,100})\s*$/.exec(header);
    const jwt = match ? undefined : JWT.exec(header)?.[1];
    if (!match?.[1] && !jwt) {
      next(new AppError(401, 'unauthorized', 'send your API key as "Authorization: Bearer pk_..." (or a login token)'));
      return;
    }
    const caller = match?.[1] ? await lookup(match[1]) : ((await fromToken(jwt!)) ?? (await fromAgentToken(jwt!)));
    if (!caller) {
      next(new AppError(401, 'unauthorized', match ? 'the API key is not valid' : 'the login or agent token is not valid, has expired, or its session has ended'));
      return;
    }
    res.locals.caller = caller;
    next();
  };

  return { middleware, forget: (hash) => cache.delete(hash) };
}
