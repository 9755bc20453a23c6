import type { KnowledgeDraftDoc, KnowledgeItemDoc } from '../../../models/knowledge.model';

/** An item as the API shows it: `id`, ISO dates, absent optional fields as `null`. */
export const knowledgeItemView = (k: KnowledgeItemDoc) => ({
  id: k._id,
  title: k.title,
  content: k.content,
  category: k.category ?? null,
  tags: k.tags ?? [],
  source: {
    kind: k.source.kind,
    importId: k.source.importId ?? null,
    draftId: k.source.draftId ?? null,
    conversationId: k.source.conversationId ?? null,
  },
  createdAt: k.createdAt.toISOString(),
  updatedAt: k.updatedAt.toISOString(),
});
export type KnowledgeItemView = ReturnType<typeof knowledgeItemView>;

/** A draft as the API shows it. */
export const knowledgeDraftView = (d: KnowledgeDraftDoc) => ({
  id: d._id,
  botId: d.botId,
  conversationId: d.conversationId,
  analysisId: d.analysisId,
  index: d.index,
  question: d.question,
  answer: d.answer,
  status: d.status,
  itemId: d.itemId ?? null,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});
export type KnowledgeDraftView = ReturnType<typeof knowledgeDraftView>;
