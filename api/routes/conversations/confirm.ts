import type { RequestHandler } from 'express';
import { ConfirmBody } from '../../../models/conversation.schema';
import { confirmUpdate } from '../../../workflows/definitions';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { randomClientMessageId, visitorMessageId } from '../../ids';
import { parse } from '../../validate';
import { ConversationParams, parsePath } from '../../path-params';
import { answerTurn } from './turn-update';

/**
 * `POST /v1/conversations/:id/confirm`: the visitor approves (or declines) the action Smart AI proposed,
 * naming its confirmation id and argsHash; a changed or stale confirmation is 409 `confirmation_mismatch`.
 * Answers with the bot's replies, like a message (a Temporal Update; same clientMessageId → same answer).
 */
export function confirmAction(deps: ApiDeps): RequestHandler {
  const { Conversation } = deps;
  return async (req, res) => {
    const { id } = parsePath(ConversationParams, req.params);
    const body = parse(ConfirmBody, req.body);
    const conversation = await Conversation.findOne({ _id: id, accountId: callerOf(res).accountId }, { status: 1 }).lean();
    if (!conversation) throw AppError.notFound('conversation');
    if (conversation.status === 'closed') throw new AppError(409, 'conversation_closed', 'the conversation is closed; start a new one');
    const messageId = visitorMessageId(id, body.clientMessageId ?? randomClientMessageId());
    await answerTurn(deps, res, {
      conversationId: id,
      messageId,
      update: confirmUpdate,
      args: { messageId, confirmationId: body.confirmationId, argsHash: body.argsHash, approved: body.approved },
    });
  };
}
