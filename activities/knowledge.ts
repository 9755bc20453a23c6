import { createHash } from 'node:crypto';
import type { Connection, mongo } from 'mongoose';
import { KnowledgeIndexCache, searchIndex, toHits } from '../core/knowledge/search';
import { knowledgeModels, knowledgeRevisionOf, loadSearchableItems, type KnowledgeDraftDoc } from '../models/knowledge.model';
import type { SaveKnowledgeDraftsInput, SearchKnowledgeInput, SearchKnowledgeResult } from '../models/knowledge.schema';
import { KNOWLEDGE_LIMITS } from '../models/limits';

const DUPLICATE_KEY = 11000;

function isDuplicateOnly(error: unknown): boolean {
  const e = error as { code?: number; writeErrors?: { code?: number }[] };
  if (e.code === DUPLICATE_KEY && !e.writeErrors) return true;
  return Array.isArray(e.writeErrors) && e.writeErrors.length > 0 && e.writeErrors.every((w) => w.code === DUPLICATE_KEY);
}

/**
 * The id of the draft at `index` of analysis `analysisId`: the same on every attempt of the activity, so
 * a retried write finds what the first one stored. The analysis hash comes first and the index last, so
 * listing drafts in id order keeps an analysis's drafts together and in order.
 */
export function knowledgeDraftId(analysisId: string, index: number): string {
  const hash = createHash('sha256').update(analysisId).digest('hex').slice(0, 24);
  return `kd_${hash}${index.toString(36).padStart(3, '0')}`;
}

/** Cuts to `max` characters: an LLM's draft may overrun the limits an item has, and it still deserves review. */
const bounded = (text: string, max: number): string => text.trim().slice(0, max).trim();

/**
 * The knowledge base as the Smart AI sees it: a search tool, and the drafts an analysis of a
 * conversation proposes. Both always scoped to one account; both return plain JSON.
 */
export function createKnowledgeActivities(db: Connection, options: { cacheAccounts?: number } = {}) {
  const models = knowledgeModels(db);
  // One index per account in this worker's memory, valid while the account's revision is unchanged:
  // a search costs one small read unless the account's items changed since the last one.
  const cache = new KnowledgeIndexCache(options.cacheAccounts ?? 200);

  return {
    /** The account's best-matching items for `query`, best first; content trimmed for the prompt. */
    async searchKnowledge(input: SearchKnowledgeInput): Promise<SearchKnowledgeResult> {
      const query = input.query.slice(0, KNOWLEDGE_LIMITS.query);
      const limit = Math.min(Math.max(Math.floor(Number(input.limit) || KNOWLEDGE_LIMITS.searchLimitDefault), 1), KNOWLEDGE_LIMITS.searchLimitMax);
      if (!query.trim()) return { items: [] };
      const revision = await knowledgeRevisionOf(models, input.accountId);
      const index = await cache.get(input.accountId, revision, () => loadSearchableItems(models, input.accountId));
      return { items: toHits(index, searchIndex(index, { query, limit })) };
    },

    /**
     * Stores an analysis's drafts for an operator to review. Runs at least once: ids come from the
     * analysis id and each draft's position, and copies already stored (maybe already approved or
     * discarded) are left as they are. Drafts with an empty question or answer are skipped.
     */
    async saveKnowledgeDrafts(input: SaveKnowledgeDraftsInput): Promise<{ draftIds: string[] }> {
      const now = new Date();
      const docs: KnowledgeDraftDoc[] = input.drafts.flatMap((draft, index) => {
        const question = bounded(String(draft.question ?? ''), KNOWLEDGE_LIMITS.title);
        const answer = bounded(String(draft.answer ?? ''), KNOWLEDGE_LIMITS.content);
        if (!question || !answer) return [];
        return [
          {
            _id: knowledgeDraftId(input.analysisId, index),
            accountId: input.accountId,
            botId: input.botId,
            conversationId: input.conversationId,
            analysisId: input.analysisId,
            index,
            question,
            answer,
            status: 'draft' as const,
            itemId: null,
            createdAt: now,
            updatedAt: now,
          },
        ];
      });
      if (docs.length > 0) {
        try {
          // The driver directly: these documents are complete, and mongoose would stop at the first duplicate.
          await (models.KnowledgeDraft.collection as unknown as mongo.Collection<KnowledgeDraftDoc>).insertMany(docs, { ordered: false });
        } catch (error) {
          if (!isDuplicateOnly(error)) throw error;
        }
      }
      return { draftIds: docs.map((d) => d._id) };
    },
  };
}

export type KnowledgeActivities = ReturnType<typeof createKnowledgeActivities>;
