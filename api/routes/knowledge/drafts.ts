import type { RequestHandler } from 'express';
import { z } from 'zod';
import { bumpKnowledgeRevision, type KnowledgeItemDoc } from '../../../models/knowledge.model';
import { ApproveDraftBody, DraftStatus, KnowledgeItemBody } from '../../../models/knowledge.schema';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { newId } from '../../ids';
import { page, PageQuery } from '../../pagination';
import { parse } from '../../validate';
import { withPlanSlot } from '../../plans';
import { DraftParams, parsePath } from '../../path-params';
import { ensureRoom } from './room';
import { knowledgeDraftView, knowledgeItemView } from './views';

export const DraftListQuery = z.strictObject({ ...PageQuery, status: DraftStatus.optional(), conversationId: z.string().min(1).max(64).optional() });

const notPending = (status: string) => new AppError(409, 'draft_not_pending', `the draft is already ${status}`, { status });

/** 404 for a draft the caller does not own, 409 for one already decided on. */
async function rejectUnclaimable(deps: ApiDeps, accountId: string, id: string): Promise<never> {
  const draft = await deps.KnowledgeDraft.findOne({ _id: id, accountId }, { status: 1 }).lean();
  if (!draft) throw AppError.notFound('knowledge_draft');
  throw notPending(draft.status);
}

/**
 * `GET /v1/knowledge/drafts?status=&conversationId=&after=&limit=` → a page of drafts. In id order, which
 * keeps each analysis's drafts together and in their order.
 */
export function listDrafts(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const query = parse(DraftListQuery, req.query, 'query');
    const filter: Record<string, unknown> = { accountId: callerOf(res).accountId };
    if (query.after) filter._id = { $gt: query.after };
    if (query.status) filter.status = query.status;
    if (query.conversationId) filter.conversationId = query.conversationId;
    const drafts = await deps.KnowledgeDraft.find(filter).sort({ _id: 1 }).limit(query.limit + 1).lean();
    res.json(page(drafts.map(knowledgeDraftView), query.limit));
  };
}

/**
 * `POST /v1/knowledge/drafts/:id/approve` (optional `{ question, answer, category, tags }` edits) → 201
 * `{ item, draft }`. The draft is claimed first (only one approval wins, the loser gets 409), then the
 * item is created; if that fails the claim is undone, so a draft is never approved without its item.
 */
export function approveDraft(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(DraftParams, req.params);
    const edits = parse(ApproveDraftBody, req.body ?? {});
    const accountId = callerOf(res).accountId;
    const draft = await deps.KnowledgeDraft.findOne({ _id: id, accountId }).lean();
    if (!draft) throw AppError.notFound('knowledge_draft');
    if (draft.status !== 'draft') throw notPending(draft.status);
    const body = parse(KnowledgeItemBody, {
      title: edits.question ?? draft.question,
      content: edits.answer ?? draft.answer,
      ...(edits.category !== undefined && { category: edits.category }),
      tags: edits.tags ?? [],
    });

    await ensureRoom(deps, accountId, 1);
    const now = new Date();
    const itemId = newId('kb');
    const claimed = await deps.KnowledgeDraft.findOneAndUpdate(
      { _id: id, accountId, status: 'draft' },
      { $set: { status: 'approved', itemId, updatedAt: now } },
      { returnDocument: 'after' },
    ).lean();
    if (!claimed) return rejectUnclaimable(deps, accountId, id);

    const item: KnowledgeItemDoc = {
      _id: itemId,
      accountId,
      title: body.title,
      content: body.content,
      category: body.category ?? null,
      tags: body.tags,
      source: { kind: 'draft', draftId: id, conversationId: draft.conversationId },
      createdAt: now,
      updatedAt: now,
    };
    try {
      await withPlanSlot(deps, accountId, 'knowledgeItems', 1, () => deps.KnowledgeItem.create(item));
    } catch (error) {
      await deps.KnowledgeDraft.updateOne({ _id: id, accountId, itemId }, { $set: { status: 'draft', itemId: null, updatedAt: new Date() } }).catch((undo: unknown) => {
        deps.log(`knowledge draft ${id}: could not undo the approval`, undo);
      });
      throw error;
    }
    await bumpKnowledgeRevision(deps, accountId);
    res.status(201).json({ item: knowledgeItemView(item), draft: knowledgeDraftView(claimed) });
  };
}

/** `POST /v1/knowledge/drafts/:id/discard` → 200 `{ draft }`; 409 when already approved or discarded. */
export function discardDraft(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(DraftParams, req.params);
    const accountId = callerOf(res).accountId;
    const draft = await deps.KnowledgeDraft.findOneAndUpdate(
      { _id: id, accountId, status: 'draft' },
      { $set: { status: 'discarded', updatedAt: new Date() } },
      { returnDocument: 'after' },
    ).lean();
    if (!draft) return rejectUnclaimable(deps, accountId, id);
    res.json({ draft: knowledgeDraftView(draft) });
  };
}
