import type { RequestHandler } from 'express';
import { AgentMessageBody } from '../../../models/conversation.schema';
import { agentMessageUpdate, conversationWorkflowId } from '../../../workflows/definitions';
import { conversationOf } from '../../agent-access';
import { callerOf } from '../../auth';
import { assignThrough } from '../inbox';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { conversationUpdateError } from '../../temporal-errors';
import { parse } from '../../validate';
import { ConversationParams, parsePath } from '../../path-params';

/**
 * `POST /v1/conversations/:id/agent-messages`: a person answers the visitor while the conversation is
 * handed off (409 `not_in_handoff` otherwise). The message joins the transcript in order.
 */
export function sendAgentMessage(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConversationParams, req.params);
    const body = parse(AgentMessageBody, req.body);
    const { agent } = callerOf(res);
    const conversation = await conversationOf(deps, res, id, { status: 1, botId: 1, handoffAt: 1 });
    if (conversation.status === 'closed') throw new AppError(409, 'conversation_closed', 'the conversation is closed');
    // An agent who answers a waiting conversation takes it (as in a support inbox): the dispatcher records it first.
    if (agent && conversation.status === 'handoff' && conversation.inbox === 'waiting') await assignThrough(deps, res, conversation, agent.agentId, false);
    try {
      const message = await deps.temporal.withDeadline(Date.now() + deps.config.REPLY_WAIT_MS, () =>
        deps.temporal.workflow.getHandle(conversationWorkflowId(id)).executeUpdate(agentMessageUpdate, { args: [{ text: body.message.text, agentId: agent?.agentId ?? null }] }),
      );
      res.status(201).json({ message });
    } catch (error) {
      throw conversationUpdateError(error) ?? error;
    }
  };
}
