/**
 * What the agents' routes share: opening and ending sessions, and telling the account's inbox dispatcher
 * that an agent changed.
 */
import type { AgentDoc } from '../../../models/agent.model';
import { newHexId } from '../../../models/agent.model';
import { AGENT_SESSION_TTL_SECONDS, newRefreshToken, type AgentTokenService } from '../../agent-tokens';
import type { ApiDeps } from '../../deps';
import { inboxAgentChanged } from '../../inbox-client';
import { agentView } from './schemas';

/** `{accessToken, refreshToken, expiresAt, agent}`: what a sign-in, an accepted invite and a refresh answer. */
export async function openSession(deps: Pick<ApiDeps, 'AgentSession'>, tokens: AgentTokenService, agent: AgentDoc, now = new Date()) {
  const sessionId = newHexId('ses');
  const refresh = newRefreshToken(sessionId);
  const expiresAt = new Date(now.getTime() + AGENT_SESSION_TTL_SECONDS * 1000);
  await deps.AgentSession.create({ _id: sessionId, accountId: agent.accountId, agentId: agent._id, refreshHash: refresh.hash, createdAt: now, expiresAt, revokedAt: null });
  return sessionAnswer(tokens, agent, sessionId, refresh.token, expiresAt, now);
}

export async function sessionAnswer(tokens: AgentTokenService, agent: AgentDoc, sessionId: string, refreshToken: string, refreshExpiresAt: Date, now = new Date()) {
  const access = await tokens.issue({ agentId: agent._id, accountId: agent.accountId, sessionId }, now);
  return {
    accessToken: access.token,
    tokenType: 'Bearer' as const,
    expiresAt: access.expiresAt.toISOString(),
    refreshToken,
    refreshExpiresAt: refreshExpiresAt.toISOString(),
    agent: agentView(agent),
  };
}

/** Ends every open session of an agent (deactivation, a new password): their tokens stop working at once. */
export async function endSessions(deps: Pick<ApiDeps, 'AgentSession'>, accountId: string, agentId: string, now = new Date()): Promise<void> {
  await deps.AgentSession.updateMany({ accountId, agentId, revokedAt: null }, { $set: { revokedAt: now } });
}

/**
 * Tells the account's inbox dispatcher (a workflow) to reload an agent. The change is already in MongoDB,
 * which the dispatcher reads as the truth; a dispatcher that cannot be told now catches up on its next
 * load, so a failure is logged, never the request's.
 */
export async function notifyDispatcher(deps: Pick<ApiDeps, 'temporal' | 'config' | 'log'>, accountId: string, agentId: string): Promise<void> {
  try {
    await inboxAgentChanged(deps.temporal, deps.config.TASK_QUEUE, accountId, agentId);
  } catch (error) {
    deps.log(`inbox dispatcher not told that agent ${agentId} changed`, error);
  }
}
