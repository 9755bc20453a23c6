/**
 * Which conversations a human agent's token may touch (issue 20). An admin: any of the account's. An
 * agent: the ones assigned to them, and the ones waiting in one of their teams (an agent without a team:
 * any waiting conversation without a team). Everything else answers 404, as another account's ids do:
 * an agent learns nothing of conversations they cannot handle. API keys and login tokens are unaffected.
 */
import type { Response } from 'express';
import type { ConversationDoc } from '../models/conversation.model';
import { callerOf, type Caller } from './auth';
import type { ApiDeps } from './deps';
import { AppError } from './errors';

type Fields = Partial<Record<keyof ConversationDoc, 0 | 1>>;

/** Whether `caller` (an agent) may handle a conversation with these inbox fields. */
export function agentMayHandle(agent: NonNullable<Caller['agent']>, c: Pick<ConversationDoc, 'inbox' | 'inboxTeam' | 'assignedAgentId'>): boolean {
  if (agent.role === 'admin') return true;
  if (c.inbox === 'assigned') return c.assignedAgentId === agent.agentId;
  if (c.inbox === 'waiting') return agent.teams.length === 0 ? !c.inboxTeam : agent.teams.includes(c.inboxTeam ?? '');
  return false;
}

/**
 * The caller's conversation by id (account-scoped; for an agent, one they may handle), with `fields`
 * (the inbox fields are always read), or 404.
 */
export async function conversationOf(deps: ApiDeps, res: Response, id: string, fields?: Fields): Promise<ConversationDoc> {
  const caller = callerOf(res);
  const projection = fields ? { ...fields, inbox: 1, inboxTeam: 1, assignedAgentId: 1, accountId: 1 } : undefined;
  const conversation = await deps.Conversation.findOne({ _id: id, accountId: caller.accountId }, projection).lean();
  if (!conversation || (caller.agent && !agentMayHandle(caller.agent, conversation))) throw AppError.notFound('conversation');
  return conversation as ConversationDoc;
}
