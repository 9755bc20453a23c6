import { buildKnowledgeIndex, clip, KnowledgeIndexCache, searchIndex, toHits, type SearchableItem } from './search';

const item = (id: string, title: string, content: string, extra: Partial<SearchableItem> = {}): SearchableItem => ({
  id,
  title,
  content,
  category: null,
  tags: [],
  ...extra,
});

const items: SearchableItem[] = [
  item('kb_01', 'Opening hours', 'We are open Monday to Friday, 9am to 5pm. Closed on public holidays.', { category: 'Store' }),
  item('kb_02', 'Refund policy', 'You can return any item within 30 days for a full refund to the original payment method.', { category: 'Billing', tags: ['returns'] }),
  item('kb_03', 'Shipping times', 'Orders ship within 2 business days. Express shipping arrives the next day.', { category: 'Delivery' }),
  item('kb_04', 'Payment methods', 'We accept cards and PayPal. A refund is issued to the same card.', { category: 'billing' }),
  item('kb_05', 'Gift cards', 'Gift cards never expire and can be used online or in store.', { tags: ['vouchers'] }),
];
const index = buildKnowledgeIndex(items);
const ids = (query: string, limit = 5, category?: string) => searchIndex(index, { query, limit, ...(category !== undefined && { category }) }).map((r) => r.id);

describe('knowledge search', () => {
  it('ranks a title match above a body-only match', () => {
    expect(ids('refund').slice(0, 2)).toEqual(['kb_02', 'kb_04']);
  });

  it('matches prefixes of words', () => {
    expect(ids('shipp')[0]).toBe('kb_03');
    expect(ids('holid')).toEqual(['kb_01']);
  });

  it('tolerates a typo', () => {
    expect(ids('shiping')[0]).toBe('kb_03');
    expect(ids('refumd')[0]).toBe('kb_02');
    expect(ids('polcy')[0]).toBe('kb_02');
  });

  it('ignores stop words and accents', () => {
    expect(ids('what are your opening hours?')[0]).toBe('kb_01');
    expect(ids('Opéning')[0]).toBe('kb_01');
    expect(ids('what is the')).toEqual([]);
  });

  it('searches tags', () => {
    expect(ids('vouchers')).toEqual(['kb_05']);
  });

  it('filters by category, case-insensitively', () => {
    expect(ids('refund', 5, 'Billing')).toEqual(['kb_02', 'kb_04']);
    expect(ids('refund', 5, 'BILLING')).toEqual(['kb_02', 'kb_04']);
    expect(ids('refund', 5, 'Delivery')).toEqual([]);
  });

  it('returns at most `limit` hits', () => {
    expect(ids('refund card shipping gift open', 2)).toHaveLength(2);
    expect(ids('refund', 0)).toEqual([]);
  });

  it('answers an empty query with nothing', () => {
    expect(ids('')).toEqual([]);
    expect(ids('   ')).toEqual([]);
    expect(ids('!!!')).toEqual([]);
  });

  it('orders equal scores by id, whatever the input order', () => {
    const twins = ['kb_c', 'kb_a', 'kb_b'].map((id) => item(id, 'Parking', 'Free parking behind the store.'));
    const forward = searchIndex(buildKnowledgeIndex(twins), { query: 'parking', limit: 5 });
    const backward = searchIndex(buildKnowledgeIndex([...twins].reverse()), { query: 'parking', limit: 5 });
    expect(forward.map((r) => r.id)).toEqual(['kb_a', 'kb_b', 'kb_c']);
    expect(backward).toEqual(forward);
  });

  it('builds hits with trimmed content', () => {
    const long = buildKnowledgeIndex([item('kb_x', 'Long', 'word '.repeat(1000))]);
    const [hit] = toHits(long, searchIndex(long, { query: 'long', limit: 1 }), 100);
    expect(hit).toMatchObject({ id: 'kb_x', title: 'Long', category: null, tags: [] });
    expect(hit?.content.length).toBeLessThanOrEqual(100);
    expect(hit?.content.endsWith('…')).toBe(true);
    expect(clip('😀😀😀', 4)).toBe('😀…');
  });
});

describe('KnowledgeIndexCache', () => {
  it('rebuilds only when the revision moves on, and shares concurrent builds', async () => {
    const cache = new KnowledgeIndexCache(2);
    let loads = 0;
    const load = async () => {
      loads++;
      return items;
    };
    const [a, b] = await Promise.all([cache.get('acc_1', 1, load), cache.get('acc_1', 1, load)]);
    expect(a).toBe(b);
    expect(loads).toBe(1);
    await cache.get('acc_1', 0, load); // an older revision read: the newer index serves it
    expect(loads).toBe(1);
    await cache.get('acc_1', 2, load);
    expect(loads).toBe(2);
  });

  it('drops the least recently used account and forgets failed loads', async () => {
    const cache = new KnowledgeIndexCache(2);
    const load = async () => items;
    await cache.get('acc_1', 1, load);
    await cache.get('acc_2', 1, load);
    await cache.get('acc_1', 1, load);
    await cache.get('acc_3', 1, load);
    expect(cache.size).toBe(2);
    let loads = 0;
    await cache.get('acc_1', 1, async () => (loads++, items));
    expect(loads).toBe(0);
    await cache.get('acc_2', 1, async () => (loads++, items));
    expect(loads).toBe(1);

    await expect(cache.get('acc_4', 1, async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    await cache.get('acc_4', 1, async () => (loads++, items));
    expect(loads).toBe(2);
  });
});
