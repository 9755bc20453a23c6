import type { RequestHandler } from 'express';
import { z } from 'zod';
import { CONVERSATION_STATUSES, type MessageView } from '../../../models/conversation.schema';
import { conversationOf } from '../../agent-access';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { page, PageQuery } from '../../pagination';
import { parse } from '../../validate';
import { ConversationParams, parsePath } from '../../path-params';
import { conversationView, messageView } from './views';

// Everything here reads MongoDB only, so transcripts stay readable with no worker running.

/** `GET /v1/conversations/:id` */
export function getConversation(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConversationParams, req.params);
    const conversation = await conversationOf(deps, res, id);
    res.json({ conversation: conversationView(conversation) });
  };
}

export const TranscriptQuery = z.strictObject({
  limit: PageQuery.limit,
  after: z.string().regex(/^msg_[a-f0-9]{32}$/, 'must be a message id').optional(),
  /** `notes`: include the team's internal notes (never for a visitor's eyes). */
  include: z.enum(['notes']).optional(),
});

/** The widget's transcript: the visitor's own, so notes cannot even be asked for. */
export const VisitorTranscriptQuery = TranscriptQuery.omit({ include: true });

/** `GET /v1/conversations/:id/messages?after=<messageId>&limit=` — oldest first. */
export function listMessages(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConversationParams, req.params);
    const query = parse(TranscriptQuery, req.query, 'query');
    await conversationOf(deps, res, id, { _id: 1 });
    res.json(await transcriptPage(deps, callerOf(res).accountId, id, query, query.include === 'notes'));
  };
}

/** A page of a conversation's transcript (whose owner the caller has checked), oldest first. */
export async function transcriptPage(deps: ApiDeps, accountId: string, conversationId: string, query: z.infer<typeof TranscriptQuery>, includeNotes = false): Promise<ReturnType<typeof page<MessageView>>> {
  let afterSeq = -1;
  if (query.after) {
    const cursor = await deps.Message.findOne({ _id: query.after, accountId, conversationId }, { seq: 1 }).lean();
    if (!cursor) throw new AppError(400, 'invalid_cursor', 'after must be the id of a message in this conversation', { after: query.after });
    afterSeq = cursor.seq;
  }
  // Notes are left out unless asked for: the widget and a developer's own chat show what this returns.
  const messages = await deps.Message.find({ accountId, conversationId, seq: { $gt: afterSeq }, ...(includeNotes ? {} : { role: { $ne: 'note' } }) })
    .sort({ seq: 1 })
    .limit(query.limit + 1)
    .lean();
  return page(messages.map(messageView), query.limit);
}

export const ConversationListQuery = z.strictObject({
  ...PageQuery,
  botId: z.string().min(1).max(64).optional(),
  status: z.enum(CONVERSATION_STATUSES).optional(),
});

/** `GET /v1/conversations?botId=&status=&after=&limit=` — newest first. */
export function listConversations(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const query = parse(ConversationListQuery, req.query, 'query');
    const filter: Record<string, unknown> = { accountId: callerOf(res).accountId };
    if (query.botId) filter.botId = query.botId;
    if (query.status) filter.status = query.status;
    if (query.after) filter._id = { $lt: query.after };
    const conversations = await deps.Conversation.find(filter).sort({ _id: -1 }).limit(query.limit + 1).lean();
    res.json(page(conversations.map(conversationView), query.limit));
  };
}
