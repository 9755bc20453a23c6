import type { RequestHandler } from 'express';
import { conversationWorkflowId, closeSignal } from '../../../workflows/definitions';
import { conversationOf } from '../../agent-access';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { conversationUpdateError } from '../../temporal-errors';
import { ConversationParams, parsePath } from '../../path-params';

/** `POST /v1/conversations/:id/close`: turns in flight finish, then the workflow records the closing. */
export function closeConversation(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConversationParams, req.params);
    const conversation = await conversationOf(deps, res, id, { status: 1 });
    if (conversation.status === 'closed') throw new AppError(409, 'conversation_closed', 'the conversation is already closed');
    try {
      await deps.temporal.workflow.getHandle(conversationWorkflowId(id)).signal(closeSignal, { reason: callerOf(res).agent ? 'closed_by_agent' : 'closed_by_api' });
    } catch (error) {
      throw conversationUpdateError(error) ?? error;
    }
    res.status(202).json({ conversation: { id, status: 'closing' } });
  };
}
