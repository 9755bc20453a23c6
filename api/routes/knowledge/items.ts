import type { RequestHandler } from 'express';
import { z } from 'zod';
import { bumpKnowledgeRevision, type KnowledgeItemDoc } from '../../../models/knowledge.model';
import { KnowledgeItemBody, UpdateKnowledgeItemBody } from '../../../models/knowledge.schema';
import { KNOWLEDGE_LIMITS } from '../../../models/limits';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { newId } from '../../ids';
import { page, PageQuery } from '../../pagination';
import { parse } from '../../validate';
import { releasePlanSlot, withPlanSlot } from '../../plans';
import { KnowledgeItemParams, parsePath } from '../../path-params';
import { ensureRoom } from './room';
import { knowledgeItemView } from './views';

export const KnowledgeListQuery = z.strictObject({ ...PageQuery, category: z.string().trim().min(1).max(KNOWLEDGE_LIMITS.category).optional() });

/** `POST /v1/knowledge` → 201 `{ item }` */
export function createItem(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const body = parse(KnowledgeItemBody, req.body);
    const accountId = callerOf(res).accountId;
    const now = new Date();
    const item: KnowledgeItemDoc = {
      _id: newId('kb'),
      accountId,
      title: body.title,
      content: body.content,
      category: body.category ?? null,
      tags: body.tags,
      source: { kind: 'api' },
      createdAt: now,
      updatedAt: now,
    };
    await ensureRoom(deps, accountId, 1);
    await withPlanSlot(deps, accountId, 'knowledgeItems', 1, () => deps.KnowledgeItem.create(item));
    await bumpKnowledgeRevision(deps, accountId);
    res.status(201).json({ item: knowledgeItemView(item) });
  };
}

/** `GET /v1/knowledge?after=&limit=&category=` — oldest first; `category` matches exactly. */
export function listItems(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const query = parse(KnowledgeListQuery, req.query, 'query');
    const filter: Record<string, unknown> = { accountId: callerOf(res).accountId };
    if (query.after) filter._id = { $gt: query.after };
    if (query.category) filter.category = query.category;
    const items = await deps.KnowledgeItem.find(filter).sort({ _id: 1 }).limit(query.limit + 1).lean();
    res.json(page(items.map(knowledgeItemView), query.limit));
  };
}

/** `GET /v1/knowledge/:id` → `{ item }` */
export function getItem(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(KnowledgeItemParams, req.params);
    const item = await deps.KnowledgeItem.findOne({ _id: id, accountId: callerOf(res).accountId }).lean();
    if (!item) throw AppError.notFound('knowledge_item');
    res.json({ item: knowledgeItemView(item) });
  };
}

/** `PATCH /v1/knowledge/:id` → `{ item }`; `tags` are replaced whole, `category: null` removes it. */
export function updateItem(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(KnowledgeItemParams, req.params);
    const body = parse(UpdateKnowledgeItemBody, req.body);
    const accountId = callerOf(res).accountId;
    const item = await deps.KnowledgeItem.findOneAndUpdate({ _id: id, accountId }, { $set: { ...body, updatedAt: new Date() } }, { returnDocument: 'after' }).lean();
    if (!item) throw AppError.notFound('knowledge_item');
    await bumpKnowledgeRevision(deps, accountId);
    res.json({ item: knowledgeItemView(item) });
  };
}

/** `DELETE /v1/knowledge/:id` → 204 */
export function deleteItem(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(KnowledgeItemParams, req.params);
    const accountId = callerOf(res).accountId;
    const deleted = await deps.KnowledgeItem.deleteOne({ _id: id, accountId });
    if (deleted.deletedCount === 0) throw AppError.notFound('knowledge_item');
    await releasePlanSlot(deps, accountId, 'knowledgeItems');
    await bumpKnowledgeRevision(deps, accountId);
    res.status(204).end();
  };
}
