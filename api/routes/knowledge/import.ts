import express, { type RequestHandler } from 'express';
import { randomBytes } from 'node:crypto';
import { bumpKnowledgeRevision, type KnowledgeItemDoc } from '../../../models/knowledge.model';
import { ImportKnowledgeBody, KnowledgeItemBody } from '../../../models/knowledge.schema';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { newId } from '../../ids';
import { parse } from '../../validate';
import { reservePlanSlot } from '../../plans';
import { ensureRoom } from './room';

/**
 * The import route's own JSON parser: 500 real items do not fit the app's 64 kB limit. Mounted on this
 * one path before the global parser (which then finds the body already read); bigger bodies get 413.
 */
export const knowledgeImportJson: RequestHandler = express.json({ limit: '5mb', strict: true });

/** One problem with one imported item; `path` is the full body path, like `body.items.3.title`. */
export interface ItemIssue {
  index: number;
  path: string;
  message: string;
}

/**
 * Ids for a batch: one time prefix and one random part, then the position, so the batch lists in the
 * order it was sent (plain `newId`s of the same millisecond would sort at random).
 */
function batchIds(count: number): string[] {
  const time = Date.now().toString(36).padStart(9, '0');
  const random = randomBytes(5).toString('hex');
  return Array.from({ length: count }, (_, i) => `kb_${time}${random}${i.toString(36).padStart(4, '0')}`);
}

/** Every item checked on its own, so one answer names every bad item (not just the first). */
export function checkItems(items: unknown[]): { valid: KnowledgeItemBody[]; issues: ItemIssue[] } {
  const valid: KnowledgeItemBody[] = [];
  const issues: ItemIssue[] = [];
  items.forEach((raw, index) => {
    const result = KnowledgeItemBody.safeParse(raw);
    if (result.success) valid.push(result.data);
    else for (const issue of result.error.issues) issues.push({ index, path: ['body', 'items', index, ...issue.path].map(String).join('.'), message: issue.message });
  });
  return { valid, issues };
}

/**
 * `POST /v1/knowledge/import` `{ items: [...] }` (1 to 500) → 201 `{ imported, items: [{ id, title }] }`.
 * All or nothing: any bad item → 400 `invalid_items` and nothing written. The database has no
 * transactions, so the batch carries an import id and a failed insert deletes what that id wrote.
 */
export function importItems(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const body = parse(ImportKnowledgeBody, req.body);
    const { valid, issues } = checkItems(body.items);
    if (issues.length > 0) {
      const bad = new Set(issues.map((i) => i.index)).size;
      throw new AppError(400, 'invalid_items', `${bad} of ${body.items.length} items are invalid (first: ${issues[0]?.path}: ${issues[0]?.message}); nothing was imported`, issues);
    }

    const accountId = callerOf(res).accountId;
    await ensureRoom(deps, accountId, valid.length);
    // The plan's limit, all or nothing: the whole batch is reserved, or the import is refused (403).
    const slot = await reservePlanSlot(deps, accountId, 'knowledgeItems', valid.length);
    const importId = newId('kbi');
    const now = new Date();
    const ids = batchIds(valid.length);
    const docs: KnowledgeItemDoc[] = valid.map((item, i) => ({
      _id: ids[i] as string,
      accountId,
      title: item.title,
      content: item.content,
      category: item.category ?? null,
      tags: item.tags,
      source: { kind: 'import', importId },
      createdAt: now,
      updatedAt: now,
    }));
    try {
      await deps.KnowledgeItem.insertMany(docs, { ordered: true });
    } catch (error) {
      await slot.release();
      await deps.KnowledgeItem.deleteMany({ accountId, 'source.importId': importId }).catch((cleanup: unknown) => {
        deps.log(`knowledge import ${importId}: could not remove a partial batch`, cleanup);
      });
      // A search in between may have indexed the partial batch: move the revision on after the rollback too.
      await bumpKnowledgeRevision(deps, accountId).catch((bump: unknown) => deps.log('knowledge import: could not bump the revision', bump));
      throw error;
    }
    await bumpKnowledgeRevision(deps, accountId);
    res.status(201).json({ imported: docs.length, items: docs.map((d) => ({ id: d._id, title: d.title })) });
  };
}
