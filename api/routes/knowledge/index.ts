import { Router } from 'express';
import { KnowledgeIndexCache } from '../../../core/knowledge/search';
import type { ApiDeps } from '../../deps';
import { analyzeConversation } from './analyze';
import { approveDraft, discardDraft, listDrafts } from './drafts';
import { importItems } from './import';
import { createItem, deleteItem, getItem, listItems, updateItem } from './items';
import { searchItems } from './search';

export { knowledgeImportJson } from './import';

/**
 * The knowledge base (DESIGN.md, "Guided flows and Smart AI"): items the Smart AI searches through a
 * built-in tool, bulk import, search, and the Q&A drafts extracted from conversations. Every change
 * bumps the account's `KnowledgeRevision`, which tells search caches (here and in workers) to rebuild.
 */
export function knowledgeRouter(deps: ApiDeps): Router {
  const router = Router();
  const cache = new KnowledgeIndexCache(200);
  // The fixed paths first: `/v1/knowledge/:id` would otherwise take `search`, `import` and `drafts` as ids.
  router.get('/v1/knowledge/search', searchItems(deps, cache));
  router.post('/v1/knowledge/import', importItems(deps));
  router.post('/v1/knowledge/analyze', analyzeConversation(deps));
  router.get('/v1/knowledge/drafts', listDrafts(deps));
  router.post('/v1/knowledge/drafts/:id/approve', approveDraft(deps));
  router.post('/v1/knowledge/drafts/:id/discard', discardDraft(deps));
  router.post('/v1/knowledge', createItem(deps));
  router.get('/v1/knowledge', listItems(deps));
  router.get('/v1/knowledge/:id', getItem(deps));
  router.patch('/v1/knowledge/:id', updateItem(deps));
  router.delete('/v1/knowledge/:id', deleteItem(deps));
  return router;
}
