/**
 * Knowledge search: a thin wrapper around MiniSearch (BM25+ with prefix and fuzzy matching) that the
 * worker's `searchKnowledge` activity and the API's search route both use, so the LLM and an operator
 * see the same ranking. Pure: items in, ranked ids out; callers do the loading.
 */
import MiniSearch from 'minisearch';
import type { KnowledgeHit } from '../../models/knowledge.schema';
import { KNOWLEDGE_LIMITS } from '../../models/limits';

/** What the index needs of a knowledge item. */
export interface SearchableItem {
  id: string;
  title: string;
  content: string;
  category: string | null;
  tags: string[];
}

/** A built index and the items it was built from (hits are answered from them, with no extra read). */
export interface KnowledgeIndex {
  readonly engine: MiniSearch<SearchableItem>;
  readonly items: ReadonlyMap<string, SearchableItem>;
}

/** One ranked result; `score` is only comparable within one search. */
export interface RankedId {
  id: string;
  score: number;
}

export interface KnowledgeSearchOptions {
  query: string;
  limit: number;
  /** Only items of this category (compared case-insensitively). */
  category?: string;
}

// Words that carry no meaning in a question ("what are your opening hours"): left out of the index and
// the query, so they neither match everything nor dilute the words that matter.
const STOP_WORDS = new Set(
  'a an and are as at be by can do does for from how i in is it me my of on or our so that the this to was we what when where which who why will with you your'.split(' '),
);

/** Lower case, accents removed ("Café" finds "cafe"), stop words dropped. Used for items and queries alike. */
function processTerm(term: string): string | null {
  const normalized = term.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  return normalized && !STOP_WORDS.has(normalized) ? normalized : null;
}

const normalizeCategory = (category: string | null | undefined): string => (category ?? '').trim().toLowerCase();

/** Builds the index of one account's items. Items are added in id order, so equal inputs give equal indexes. */
export function buildKnowledgeIndex(items: readonly SearchableItem[]): KnowledgeIndex {
  const engine = new MiniSearch<SearchableItem>({
    fields: ['title', 'content', 'tags', 'category'],
    extractField: (item, field) => {
      const value = (item as unknown as Record<string, unknown>)[field];
      if (Array.isArray(value)) return value.join(' ');
      return typeof value === 'string' ? value : '';
    },
    processTerm,
  });
  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  engine.addAll(sorted);
  return { engine, items: new Map(sorted.map((item) => [item.id, item])) };
}

/**
 * The best `limit` items for `query`: title matches count most, then tags and category, then content.
 * Terms of 3+ characters also match as prefixes ("refun" → "refund"), terms of 4+ tolerate a typo or
 * two ("shiping" → "shipping"). Equal scores are ordered by id, so a search is deterministic.
 */
export function searchIndex(index: KnowledgeIndex, options: KnowledgeSearchOptions): RankedId[] {
  const limit = Math.max(0, Math.floor(options.limit));
  if (!options.query.trim() || limit === 0) return [];
  const category = options.category === undefined ? undefined : normalizeCategory(options.category);
  const results = index.engine.search(options.query, {
    boost: { title: 3, tags: 2, category: 1.5, content: 1 },
    prefix: (term) => term.length >= 3,
    fuzzy: (term) => (term.length >= 4 ? 0.2 : false),
    maxFuzzy: 2,
    weights: { prefix: 0.5, fuzzy: 0.3 },
    ...(category !== undefined && { filter: (r) => normalizeCategory(index.items.get(String(r.id))?.category) === category }),
  });
  return results
    .map((r) => ({ id: String(r.id), score: r.score }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit);
}

/** Cuts `text` to `max` characters (ending in "…"), never in the middle of a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end).trimEnd()}…`;
}

/** The hits for ranked ids: plain JSON, content trimmed to what a prompt should carry. */
export function toHits(index: KnowledgeIndex, ranked: RankedId[], contentChars: number = KNOWLEDGE_LIMITS.hitContent): KnowledgeHit[] {
  return ranked.flatMap(({ id, score }) => {
    const item = index.items.get(id);
    if (!item) return [];
    return [{ id, title: item.title, content: clip(item.content, contentChars), category: item.category, tags: [...item.tags], score: Math.round(score * 1000) / 1000 }];
  });
}

/**
 * Built indexes per account, each valid for one revision of the account's items (see
 * `KnowledgeRevision`), least recently used dropped first. Concurrent searches of a stale account
 * share one rebuild.
 */
export class KnowledgeIndexCache {
  private readonly entries = new Map<string, { revision: number; index: Promise<KnowledgeIndex> }>();

  constructor(private readonly maxAccounts = 200) {}

  /** The index of `accountId` at `revision` (or newer), built from `load()` when the cached one is older. */
  async get(accountId: string, revision: number, load: () => Promise<SearchableItem[]>): Promise<KnowledgeIndex> {
    const cached = this.entries.get(accountId);
    // A newer index is as good: a reader that saw an older revision raced a change it may now see.
    if (cached && cached.revision >= revision) {
      this.entries.delete(accountId);
      this.entries.set(accountId, cached);
      return cached.index;
    }
    const entry = { revision, index: load().then(buildKnowledgeIndex) };
    this.entries.delete(accountId);
    this.entries.set(accountId, entry);
    while (this.entries.size > this.maxAccounts) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    // A failed load is not cached: the next search tries again.
    entry.index.catch(() => {
      if (this.entries.get(accountId) === entry) this.entries.delete(accountId);
    });
    return entry.index;
  }

  get size(): number {
    return this.entries.size;
  }
}
