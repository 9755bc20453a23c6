import type { UpdateDefinition } from '@temporalio/client';
import type { Response } from 'express';
import type { TurnResult } from '../../../models/conversation.schema';
import { conversationWorkflowId } from '../../../workflows/definitions';
import type { ApiDeps } from '../../deps';
import { conversationUpdateError, isWaitExpired } from '../../temporal-errors';

/**
 * Sends a turn (a visitor message, a confirmation) as a Temporal Update whose id is the message id, so
 * a retry is answered once, and answers 200 with the bot's replies; 202 pending when the bot takes longer
 * than REPLY_WAIT_MS (the turn still completes; retry with the same clientMessageId or read the transcript).
 */
export async function answerTurn<Args>(
  deps: Pick<ApiDeps, 'temporal' | 'config'>,
  res: Response,
  turn: { conversationId: string; messageId: string; update: UpdateDefinition<TurnResult, [Args]>; args: Args },
): Promise<void> {
  const { temporal, config } = deps;
  let result: TurnResult;
  try {
    result = await temporal.withDeadline(Date.now() + config.REPLY_WAIT_MS, () =>
      temporal.workflow.getHandle(conversationWorkflowId(turn.conversationId)).executeUpdate(turn.update, { args: [turn.args], updateId: turn.messageId }),
    );
  } catch (error) {
    if (isWaitExpired(error)) {
      res.status(202).json({ messageId: turn.messageId, status: 'pending', replies: [] });
      return;
    }
    throw conversationUpdateError(error) ?? error;
  }
  res.status(200).json({ messageId: result.messageId, replies: result.replies });
}
