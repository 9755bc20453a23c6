import { Schema, type Connection, type Model } from 'mongoose';
import type { DraftStatus } from './knowledge.schema';

/** Where an item came from: the API, an import (whose id tags the batch), or an approved draft. */
export interface KnowledgeSource {
  kind: 'api' | 'import' | 'draft';
  importId?: string;
  draftId?: string;
  conversationId?: string;
}

/** One knowledge item (`kb_...`), searched by the Smart AI's built-in tool. */
export interface KnowledgeItemDoc {
  _id: string;
  accountId: string;
  title: string;
  content: string;
  category: string | null;
  tags: string[];
  source: KnowledgeSource;
  createdAt: Date;
  updatedAt: Date;
}

const itemSchema = new Schema<KnowledgeItemDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    title: { type: String, required: true },
    content: { type: String, required: true },
    category: { type: String, default: null },
    tags: { type: [String], default: [] },
    // Declared field by field (not Mixed) so `source.importId` is a known path for the strict query filters.
    source: {
      kind: { type: String, required: true },
      importId: { type: String },
      draftId: { type: String },
      conversationId: { type: String },
    },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
itemSchema.index({ accountId: 1, _id: 1 });

/**
 * A counter per account (`_id` = accountId), `$inc`-ed after every change to the account's items, so a
 * process holding a search index can tell with one small read whether it must rebuild it.
 */
export interface KnowledgeRevisionDoc {
  _id: string;
  revision: number;
}

const revisionSchema = new Schema<KnowledgeRevisionDoc>(
  { _id: { type: String, required: true }, revision: { type: Number, required: true, default: 0 } },
  { versionKey: false },
);

/** A Q&A pair an analysis of a conversation proposed (`kd_...`), waiting for an operator. */
export interface KnowledgeDraftDoc {
  _id: string;
  accountId: string;
  botId: string;
  conversationId: string;
  analysisId: string;
  /** Position of the draft in its analysis. */
  index: number;
  question: string;
  answer: string;
  status: DraftStatus;
  /** The item created when the draft was approved. */
  itemId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const draftSchema = new Schema<KnowledgeDraftDoc>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    botId: { type: String, required: true },
    conversationId: { type: String, required: true },
    analysisId: { type: String, required: true },
    index: { type: Number, required: true },
    question: { type: String, required: true },
    answer: { type: String, required: true },
    status: { type: String, required: true },
    itemId: { type: String, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
// An at-least-once activity that writes an analysis's drafts twice creates them once.
draftSchema.index({ analysisId: 1, index: 1 }, { unique: true });
// The draft list, in id order: all of the account's, by status (the review queue), by conversation.
draftSchema.index({ accountId: 1, _id: 1 });
draftSchema.index({ accountId: 1, status: 1, _id: 1 });
draftSchema.index({ accountId: 1, conversationId: 1, _id: 1 });

export interface KnowledgeModels {
  KnowledgeItem: Model<KnowledgeItemDoc>;
  KnowledgeRevision: Model<KnowledgeRevisionDoc>;
  KnowledgeDraft: Model<KnowledgeDraftDoc>;
}

export function knowledgeModels(db: Connection): KnowledgeModels {
  return {
    KnowledgeItem: db.models.KnowledgeItem ?? db.model<KnowledgeItemDoc>('KnowledgeItem', itemSchema, 'knowledge_items'),
    KnowledgeRevision: db.models.KnowledgeRevision ?? db.model<KnowledgeRevisionDoc>('KnowledgeRevision', revisionSchema, 'knowledge_revisions'),
    KnowledgeDraft: db.models.KnowledgeDraft ?? db.model<KnowledgeDraftDoc>('KnowledgeDraft', draftSchema, 'knowledge_drafts'),
  };
}

/** The account's current revision (0 before its first change). */
export async function knowledgeRevisionOf(models: KnowledgeModels, accountId: string): Promise<number> {
  const doc = await models.KnowledgeRevision.findById(accountId, { revision: 1 }).lean();
  return doc?.revision ?? 0;
}

/**
 * Marks a change to the account's items. Call it AFTER the write: a reader that sees the new revision
 * then also sees the new data (a reader that still sees the old one rebuilds on its next search).
 */
export async function bumpKnowledgeRevision(models: KnowledgeModels, accountId: string): Promise<void> {
  const bump = () => models.KnowledgeRevision.updateOne({ _id: accountId }, { $inc: { revision: 1 } }, { upsert: true });
  try {
    await bump();
  } catch (error) {
    // Two first-ever upserts can race on the same _id; the loser's retry finds the document.
    if ((error as { code?: number }).code !== 11000) throw error;
    await bump();
  }
}

/** The account's items as the search index needs them (plain objects, no mongoose documents). */
export async function loadSearchableItems(models: KnowledgeModels, accountId: string) {
  const docs = await models.KnowledgeItem.find({ accountId }, { title: 1, content: 1, category: 1, tags: 1 }).lean();
  return docs.map((d) => ({ id: d._id, title: d.title, content: d.content, category: d.category ?? null, tags: d.tags ?? [] }));
}
