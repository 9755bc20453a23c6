/**
 * Agents' sign-in: accept an invite (set a password), log in, refresh, log out.
 *
 * Sessions: a 15-minute access token (api/agent-tokens.ts) and a refresh token `rt_<sessionId>.<secret>`
 * that each refresh replaces. A refresh token used a second time means two holders (a stolen copy, or a
 * replay): the session ends, and both must sign in again.
 */
import { Router } from 'express';
import type { AgentDoc } from '../../../models/agent.model';
import { acrossAccounts } from '../../../models/tenancy';
import { AGENT_SESSION_TTL_SECONDS, newRefreshToken, parseSecretToken, sameHash, type AgentTokenService } from '../../agent-tokens';
import { callerOf } from '../../auth';
import { addressLimitKey } from '../../client-address';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { hashPassword, verifyPassword } from '../../passwords';
import { applyLimits, type SharedLimiters } from '../../rate-limit';
import { parse } from '../../validate';
import { AcceptInviteBody, AgentLoginBody, RefreshBody } from './schemas';
import { endSessions, notifyDispatcher, openSession, sessionAnswer } from './sessions';

/** Agents a login by email checks (one person may be an agent of several accounts; past this many, give `accountId`). */
export const AGENT_LOGIN_CANDIDATES = 8;

// Verified in place of missing candidates, so every login costs the same checks and answers alike.
let dummyHash: Promise<string> | undefined;
const dummy = (): Promise<string> => (dummyHash ??= hashPassword('parley-dummy-agent-password-never-matches'));

const badCredentials = () => new AppError(401, 'invalid_credentials', 'the email or the password is wrong');
const badInvite = () => new AppError(401, 'invalid_invite', 'this invite is not valid: it was used, replaced by a newer one, or has expired; ask an admin for a new one');
const badRefresh = () => new AppError(401, 'invalid_refresh_token', 'the refresh token is not valid or its session has ended: sign in again');

/** `POST /v1/agent-auth/accept|login|refresh`: no credentials but the body's. */
export function agentAuthRouter(deps: ApiDeps, options: { limiters: SharedLimiters; tokens: AgentTokenService }): Router {
  const router = Router();
  const { Agent, AgentSession, Account } = deps;
  const perAddress = options.limiters.create('agent-login-address', deps.config.LOGIN_ATTEMPTS_PER_MINUTE_PER_ADDRESS, 60);
  const perEmail = options.limiters.create('agent-login-email', deps.config.LOGIN_ATTEMPTS_PER_HOUR_PER_EMAIL, 3600);
  void dummy();

  router.post('/v1/agent-auth/accept', async (req, res) => {
    const refused = applyLimits(req, res, [await perAddress.consume(addressLimitKey(req.ip))]);
    if (refused) throw refused;
    const body = parse(AcceptInviteBody, req.body);
    const parsed = parseSecretToken('inv', body.token);
    if (!parsed) throw badInvite();
    const now = new Date();
    const agent = await acrossAccounts('agent invite: the agent is found by the id its invite token carries', () => Agent.findOne({ _id: parsed.id }).lean().exec());
    if (!agent || agent.status === 'deactivated' || !agent.invite || agent.invite.expiresAt <= now || !sameHash(agent.invite.hash, parsed.hash)) throw badInvite();
    const passwordHash = await hashPassword(body.password);
    // Only this invite, once: a concurrent accept of the same token, or a re-issue meanwhile, finds nothing.
    const accepted = await Agent.findOneAndUpdate(
      { _id: agent._id, accountId: agent.accountId, 'invite.hash': agent.invite.hash, status: { $ne: 'deactivated' } },
      { $set: { passwordHash, status: 'active', invite: null, updatedAt: now } },
      { returnDocument: 'after' },
    ).lean();
    if (!accepted) throw badInvite();
    // A re-issued invite is how a forgotten password is reset: the sessions opened with the old one end.
    await endSessions(deps, accepted.accountId, accepted._id, now);
    if (agent.status === 'invited') await notifyDispatcher(deps, accepted.accountId, accepted._id);
    res.json(await openSession(deps, options.tokens, accepted, now));
  });

  router.post('/v1/agent-auth/login', async (req, res) => {
    const refusedByAddress = applyLimits(req, res, [await perAddress.consume(addressLimitKey(req.ip))]);
    if (refusedByAddress) throw refusedByAddress;
    const body = parse(AgentLoginBody, req.body);
    const refusedByEmail = applyLimits(req, res, [await perEmail.consume(`agent:${body.email}`)]);
    if (refusedByEmail) throw refusedByEmail;

    // The agents with this email (in one account when it is given); every candidate is checked, padded to
    // the same number of checks, in parallel: an unknown email answers like a wrong password, after the same work.
    const found: Array<Pick<AgentDoc, '_id' | 'accountId' | 'status' | 'passwordHash'>> = body.accountId
      ? await Agent.find({ accountId: body.accountId, email: body.email }, { accountId: 1, status: 1, passwordHash: 1 }).limit(1).lean()
      : await acrossAccounts('agent sign-in: agents are found by email before their account is known', () =>
          Agent.find({ email: body.email }, { accountId: 1, status: 1, passwordHash: 1 }).sort({ _id: 1 }).limit(AGENT_LOGIN_CANDIDATES).lean().exec(),
        );
    const candidates = found.filter((a) => a.status === 'active' && a.passwordHash);
    const padding = await dummy();
    const checks = await Promise.all(Array.from({ length: AGENT_LOGIN_CANDIDATES }, (_, i) => verifyPassword(body.password, candidates[i]?.passwordHash ?? padding)));
    const matched = candidates.filter((_, i) => checks[i]);
    if (matched.length === 0) throw badCredentials();
    if (matched.length > 1) {
      // Only someone who knows the password learns which accounts it opens.
      const accounts = (await Account.find({ _id: { $in: matched.map((a) => a.accountId) } }, { name: 1 }).lean()).sort((a, b) => a._id.localeCompare(b._id));
      throw new AppError(409, 'account_required', 'this email and password sign in to agents of several accounts: send `accountId` to choose one', {
        accounts: accounts.map((a) => ({ id: a._id, name: a.name })),
      });
    }
    const agent = await Agent.findOne({ _id: matched[0]!._id, accountId: matched[0]!.accountId }).lean();
    if (!agent || agent.status !== 'active') throw badCredentials();
    res.json(await openSession(deps, options.tokens, agent));
  });

  router.post('/v1/agent-auth/refresh', async (req, res) => {
    const body = parse(RefreshBody, req.body);
    const parsed = parseSecretToken('rt', body.refreshToken);
    if (!parsed) throw badRefresh();
    const now = new Date();
    const session = await acrossAccounts('agent refresh: the session is found by the id its refresh token carries', () => AgentSession.findOne({ _id: parsed.id }).lean().exec());
    if (!session || session.revokedAt || session.expiresAt <= now) throw badRefresh();
    const revoke = () => AgentSession.updateOne({ _id: session._id, accountId: session.accountId, revokedAt: null }, { $set: { revokedAt: now } });
    if (!sameHash(session.refreshHash, parsed.hash)) {
      // An old refresh token, used again: someone else holds this session's tokens. End it.
      await revoke();
      throw new AppError(401, 'refresh_token_reused', 'this refresh token was already used: the session has been ended for safety; sign in again');
    }
    const next = newRefreshToken(session._id);
    const expiresAt = new Date(now.getTime() + AGENT_SESSION_TTL_SECONDS * 1000);
    const rotated = await AgentSession.findOneAndUpdate(
      { _id: session._id, accountId: session.accountId, refreshHash: parsed.hash, revokedAt: null },
      { $set: { refreshHash: next.hash, expiresAt } },
      { returnDocument: 'after' },
    ).lean();
    if (!rotated) {
      // A concurrent refresh with the same token won: this one is the second use.
      await revoke();
      throw new AppError(401, 'refresh_token_reused', 'this refresh token was already used: the session has been ended for safety; sign in again');
    }
    const agent = await Agent.findOne({ _id: session.agentId, accountId: session.accountId }).lean();
    if (!agent || agent.status !== 'active') {
      await revoke();
      throw badRefresh();
    }
    res.json(await sessionAnswer(options.tokens, agent, session._id, next.token, expiresAt, now));
  });

  return router;
}

/** `POST /v1/agent-auth/logout` (an agent's access token): ends this session; the last one to end sets the agent offline. */
export function agentLogoutRouter(deps: ApiDeps): Router {
  const router = Router();
  const { Agent, AgentSession } = deps;
  router.post('/v1/agent-auth/logout', async (_req, res) => {
    const caller = callerOf(res);
    if (!caller.agent) throw new AppError(403, 'forbidden', "log out ends an agent's session: it takes an agent's access token");
    const { accountId } = caller;
    const { agentId, sessionId } = caller.agent;
    const now = new Date();
    await AgentSession.updateOne({ _id: sessionId, accountId, revokedAt: null }, { $set: { revokedAt: now } });
    // Signed out everywhere: the agent is not around to take conversations.
    const open = await AgentSession.exists({ accountId, agentId, revokedAt: null, expiresAt: { $gt: now } });
    if (!open) {
      const changed = await Agent.updateOne({ _id: agentId, accountId, availability: { $ne: 'offline' } }, { $set: { availability: 'offline', updatedAt: now } });
      if (changed.modifiedCount > 0) await notifyDispatcher(deps, accountId, agentId);
    }
    res.status(204).end();
  });
  return router;
}
