import type { UpdateDefinition } from '@temporalio/client';
import type { Response } from 'express';
import type { TurnResult } from '../../../models/conversation.schema';
import { conversationWorkflowId } from '../../../workflows/definitions';
import type { ApiDeps } from '../../deps';
import { startTurn } from '../../metrics';
import { conversationUpdateError, isWaitExpired } from '../../temporal-errors';

/**
 * Sends a turn (a visitor message, a confirmation) as a Temporal Update whose id is the message id, so
 * a retry is answered once, and answers 200 with the bot's replies; 202 pending when the bot takes longer
 * than REPLY_WAIT_MS (the turn still completes; retry with the same clientMessageId or read the transcript).
 */
export async function answerTurn<Args>(
  deps: Pick<ApiDeps, 'temporal' | 'config' | 'metrics'>,
  res: Response,
  turn: { conversationId: string; messageId: string; update: UpdateDefinition<TurnResult, [Args]>; args: Args },
): Promise<void> {
  const { temporal, config } = deps;
  const done = startTurn(deps.metrics, turn.update.name === 'confirm' ? 'confirm' : 'message');
  let result: TurnResult;
  try {
    result = await temporal.withDeadline(Date.now() + config.REPLY_WAIT_MS, () =>
      temporal.workflow.getHandle(conversationWorkflowId(turn.conversationId)).executeUpdate(turn.update, { args: [turn.args], updateId: turn.messageId }),
    );
  } catch (error) {
    if (isWaitExpired(error)) {
      done('pending');
      res.status(202).json({ messageId: turn.messageId, status: 'pending', replies: [] });
      return;
    }
    done('error');
    throw conversationUpdateError(error) ?? error;
  }
  done('ok');
  res.status(200).json({ messageId: result.messageId, replies: result.replies });
}
