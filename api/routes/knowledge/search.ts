import type { RequestHandler } from 'express';
import { KnowledgeIndexCache, searchIndex, toHits } from '../../../core/knowledge/search';
import { knowledgeRevisionOf, loadSearchableItems } from '../../../models/knowledge.model';
import { KnowledgeSearchQuery } from '../../../models/knowledge.schema';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { parse } from '../../validate';

/**
 * `GET /v1/knowledge/search?q=&limit=&category=` → `{ items: [{ id, title, content, category, tags, score }] }`,
 * best first, content trimmed as the Smart AI's tool sees it. The same ranking as the worker's
 * `searchKnowledge` activity, over the account's own data only (the API never calls an LLM). The index
 * is kept per account in this process and rebuilt when the account's revision moves on.
 */
export function searchItems(deps: ApiDeps, cache: KnowledgeIndexCache): RequestHandler {
  return async (req, res) => {
    const query = parse(KnowledgeSearchQuery, req.query, 'query');
    const accountId = callerOf(res).accountId;
    const revision = await knowledgeRevisionOf(deps, accountId);
    const index = await cache.get(accountId, revision, () => loadSearchableItems(deps, accountId));
    const ranked = searchIndex(index, {
      query: query.q,
      limit: query.limit,
      ...(query.category !== undefined && { category: query.category }),
    });
    res.json({ items: toHits(index, ranked) });
  };
}
