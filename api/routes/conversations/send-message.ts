import type { RequestHandler, Response } from 'express';
import { SendMessageBody, type TurnResult } from '../../../models/conversation.schema';
import { visitorMessageUpdate } from '../../../workflows/definitions';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { randomClientMessageId, visitorMessageId } from '../../ids';
import { parse } from '../../validate';
import { admitVisitorMessage } from '../../plans';
import { ConversationParams, parsePath } from '../../path-params';
import { answerTurn } from './turn-update';
import { messageView } from './views';
import { withOwnedId } from '../../../models/tenancy';

/**
 * `POST /v1/conversations/:id/messages`: delivers the message as a Temporal Update and answers with
 * the bot's replies. The Update id is derived from `clientMessageId`, so a retry is answered once.
 */
export function sendMessage(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConversationParams, req.params);
    const body = parse(SendMessageBody, req.body);
    await deliverVisitorMessage(deps, res, callerOf(res).accountId, id, body);
  };
}

/** Delivers a visitor message to a conversation of `accountId` and answers with the bot's replies (API channel and widget). */
export async function deliverVisitorMessage(deps: ApiDeps, res: Response, accountId: string, id: string, body: SendMessageBody): Promise<void> {
  const { Conversation, conversationOwners } = deps;
  // Known owner: skip the read (a closed conversation is then refused by its workflow, also as 409).
  let status: string | undefined;
  if (conversationOwners.get(id) !== accountId) {
    const conversation = await Conversation.findOne({ _id: id, accountId }, { status: 1 }).lean();
    if (!conversation) throw AppError.notFound('conversation');
    conversationOwners.set(id, accountId);
    status = conversation.status;
  }
  const messageId = visitorMessageId(id, body.clientMessageId ?? randomClientMessageId());

  // A retry of a message already answered (even on a closed conversation) gets the stored answer.
  if (body.clientMessageId) {
    const stored = await storedTurn(deps, id, messageId);
    if (stored) {
      res.status(200).json(stored);
      return;
    }
  }
  if (status === 'closed') throw new AppError(409, 'conversation_closed', 'the conversation is closed; start a new one');

  // Past the plan's monthly message cap: a polite reply (200, a normal turn) and the message goes no further.
  const unavailable = await admitVisitorMessage(deps, accountId, messageId);
  if (unavailable) {
    res.status(200).json(unavailable);
    return;
  }
  await answerTurn(deps, res, { conversationId: id, messageId, update: visitorMessageUpdate, args: { messageId, text: body.message.text } });
}

async function storedTurn(deps: ApiDeps, conversationId: string, messageId: string): Promise<TurnResult | undefined> {
  const visitor = await withOwnedId('a message of a conversation whose owner the route checked', () => deps.Message.findOne({ _id: messageId, conversationId }, { _id: 1, seq: 1, pending: 1 }).lean().exec());
  // A pending message's turn is still running (an interim reply was written): the Update answers it.
  if (!visitor || visitor.pending) return undefined;
  // Replies always come after the message they answer (the workflow numbers them after it), so the read
  // starts there on the (conversationId, seq) index instead of at the start of the transcript.
  const replies = await withOwnedId('the replies to a message of a conversation whose owner the route checked', () =>
    deps.Message.find({ conversationId, seq: { $gt: visitor.seq }, inReplyTo: messageId }).sort({ seq: 1 }).lean().exec(),
  );
  return { messageId, replies: replies.map((r) => ({ ...messageView(r), role: 'bot' as const })) };
}
