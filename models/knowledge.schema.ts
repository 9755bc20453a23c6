/**
 * The knowledge base of Smart AI: items an account keeps ({title, content, category, tags}), the
 * search the LLM runs as a built-in tool, and the Q&A drafts extracted from conversations for an
 * operator to approve or discard. Shared by the API and the activities; workflow code imports types only
 * (the limits live zod-free in models/limits.ts).
 */
import { z } from 'zod';
import { KNOWLEDGE_LIMITS } from './limits';

/** Keeps the first spelling of each tag; "Billing" and "billing" are the same tag. */
function dedupeTags(tags: string[]): string[] {
  const seen = new Set<string>();
  return tags.filter((tag) => {
    const key = tag.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const fields = {
  title: z.string().trim().min(1).max(KNOWLEDGE_LIMITS.title),
  content: z.string().trim().min(1).max(KNOWLEDGE_LIMITS.content),
  category: z.string().trim().min(1).max(KNOWLEDGE_LIMITS.category),
  tags: z.array(z.string().trim().min(1).max(KNOWLEDGE_LIMITS.tag)).max(KNOWLEDGE_LIMITS.tags).transform(dedupeTags),
};

/** `POST /v1/knowledge` body, and each entry of an import. */
export const KnowledgeItemBody = z.strictObject({
  title: fields.title,
  content: fields.content,
  category: fields.category.optional(),
  tags: fields.tags.default([]),
});
export type KnowledgeItemBody = z.infer<typeof KnowledgeItemBody>;

/** `PATCH /v1/knowledge/:id` body: any subset, at least one field; `category: null` removes the category. */
export const UpdateKnowledgeItemBody = z
  .strictObject({ title: fields.title, content: fields.content, category: fields.category.nullable(), tags: fields.tags })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change');
export type UpdateKnowledgeItemBody = z.infer<typeof UpdateKnowledgeItemBody>;

/** `POST /v1/knowledge/import` body. Items are checked one by one afterwards, so errors name each bad item. */
export const ImportKnowledgeBody = z.strictObject({
  items: z.array(z.unknown()).min(1).max(KNOWLEDGE_LIMITS.importItems),
});
export type ImportKnowledgeBody = z.infer<typeof ImportKnowledgeBody>;

/** `GET /v1/knowledge/search` query. `limit` is plain decimal digits (no `1e1`, `0x10` or spaces). */
export const KnowledgeSearchQuery = z.strictObject({
  q: z.string().trim().min(1).max(KNOWLEDGE_LIMITS.query),
  limit: z
    .string()
    .regex(/^[0-9]{1,3}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(KNOWLEDGE_LIMITS.searchLimitMax))
    .default(KNOWLEDGE_LIMITS.searchLimitDefault),
  category: fields.category.optional(),
});
export type KnowledgeSearchQuery = z.infer<typeof KnowledgeSearchQuery>;

/** One Q&A pair an analysis proposes. Bounded like an item, so an approved draft is always a valid item. */
export const KnowledgeDraft = z.strictObject({ question: fields.title, answer: fields.content });
export type KnowledgeDraft = z.infer<typeof KnowledgeDraft>;

export const DraftStatus = z.enum(['draft', 'approved', 'discarded']);
export type DraftStatus = z.infer<typeof DraftStatus>;

/** `POST /v1/knowledge/drafts/:id/approve` body (optional): the operator's edits before the item is created. */
export const ApproveDraftBody = z.strictObject({
  question: fields.title.optional(),
  answer: fields.content.optional(),
  category: fields.category.optional(),
  tags: fields.tags.optional(),
});
export type ApproveDraftBody = z.infer<typeof ApproveDraftBody>;

/** One search result as the LLM tool and the API see it (content trimmed to `KNOWLEDGE_LIMITS.hitContent`). */
export interface KnowledgeHit {
  id: string;
  title: string;
  content: string;
  category: string | null;
  tags: string[];
  /** Relevance (higher is better); only comparable within one search. */
  score: number;
}

/** Input of the `searchKnowledge` activity. Always scoped to one account. */
export interface SearchKnowledgeInput {
  accountId: string;
  query: string;
  /** 1 to `KNOWLEDGE_LIMITS.searchLimitMax`; out-of-range values are clamped. */
  limit: number;
}

/** Output of the `searchKnowledge` activity, best hit first. */
export interface SearchKnowledgeResult {
  items: KnowledgeHit[];
}

/** Input of the `saveKnowledgeDrafts` activity: the drafts one analysis of a conversation proposed. */
export interface SaveKnowledgeDraftsInput {
  accountId: string;
  botId: string;
  conversationId: string;
  /** Stable across retries of the analysis; with each draft's position it names the draft. */
  analysisId: string;
  drafts: { question: string; answer: string }[];
}
