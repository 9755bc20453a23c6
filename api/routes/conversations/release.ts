import type { RequestHandler } from 'express';
import { conversationWorkflowId, releaseUpdate } from '../../../workflows/definitions';
import { conversationOf } from '../../agent-access';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { conversationUpdateError } from '../../temporal-errors';
import { ConversationParams, parsePath } from '../../path-params';

/** `POST /v1/conversations/:id/release`: a human hands the conversation back; the bot answers again. */
export function releaseConversation(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConversationParams, req.params);
    const conversation = await conversationOf(deps, res, id, { status: 1 });
    if (conversation.status === 'closed') throw new AppError(409, 'conversation_closed', 'the conversation is closed');
    try {
      const result = await deps.temporal.withDeadline(Date.now() + deps.config.REPLY_WAIT_MS, () =>
        deps.temporal.workflow.getHandle(conversationWorkflowId(id)).executeUpdate(releaseUpdate, { args: [] }),
      );
      res.json({ conversation: { id, status: result.status } });
    } catch (error) {
      throw conversationUpdateError(error) ?? error;
    }
  };
}
