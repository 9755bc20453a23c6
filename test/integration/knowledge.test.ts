/**
 * The knowledge base end to end, through the HTTP API on the real stack (FerretDB): CRUD scoped to the
 * account, all-or-nothing import, search ranking, the `searchKnowledge` activity's cache following
 * changes, idempotent draft saving, and approving or discarding drafts.
 */
import { createKnowledgeActivities } from '../../activities/knowledge';
import { KNOWLEDGE_LIMITS } from '../../models/limits';
import { http, signUp, startStack, type Http, type Stack } from '../harness';

let stack: Stack;
let api: Http;
let other: Http;
let accountId: string;
let otherAccountId: string;
let activities: ReturnType<typeof createKnowledgeActivities>;

const countItems = (account: string) => stack.deps.KnowledgeItem.countDocuments({ accountId: account });

async function create(client: Http, body: unknown): Promise<any> {
  const res = await client.post('/v1/knowledge', body);
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.item;
}

const manyItems = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({
    title: `Topic ${tag}${i}`,
    // Long enough that 500 items are far over the app's usual 64 kB body limit.
    content: `Answer number ${i} about the ${tag}${i} subject. ${'Some filler text to make the item realistic. '.repeat(6)}`,
    category: 'Imported',
    tags: ['bulk'],
  }));

beforeAll(async () => {
  stack = await startStack({ withoutWorker: true });
  ({ api, accountId } = await signUp(stack.baseUrl, 'Knowledge Co'));
  ({ api: other, accountId: otherAccountId } = await signUp(stack.baseUrl, 'Other Co'));
  activities = createKnowledgeActivities(stack.db);
});

afterAll(async () => {
  await stack?.stop();
});

describe('knowledge items', () => {
  it('creates, reads, lists, updates and deletes an item', async () => {
    const item = await create(api, { title: '  Opening hours ', content: 'Monday to Friday, 9 to 5.', category: 'Store', tags: ['hours', 'Hours', 'time'] });
    expect(item).toMatchObject({ title: 'Opening hours', category: 'Store', tags: ['hours', 'time'], source: { kind: 'api', importId: null, draftId: null, conversationId: null } });
    expect(item.id).toMatch(/^kb_/);
    expect(item).not.toHaveProperty('_id');
    expect(new Date(item.createdAt).toISOString()).toBe(item.createdAt);

    expect((await api.get(`/v1/knowledge/${item.id}`)).body.item).toEqual(item);
    const list = await api.get('/v1/knowledge?category=Store');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ hasMore: false, nextAfter: null });
    expect(list.body.data.map((i: any) => i.id)).toEqual([item.id]);

    const patched = await api.patch(`/v1/knowledge/${item.id}`, { title: 'Store hours', category: null });
    expect(patched.status).toBe(200);
    expect(patched.body.item).toMatchObject({ id: item.id, title: 'Store hours', category: null, content: item.content, tags: ['hours', 'time'] });

    expect((await api.delete(`/v1/knowledge/${item.id}`)).status).toBe(204);
    const gone = await api.get(`/v1/knowledge/${item.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('knowledge_item_not_found');
  });

  it("answers 404 for another account's item and never lists or finds it", async () => {
    const item = await create(api, { title: 'Secret pricing', content: 'Wholesale discount is 40 percent.' });
    for (const res of [await other.get(`/v1/knowledge/${item.id}`), await other.patch(`/v1/knowledge/${item.id}`, { title: 'x' }), await other.delete(`/v1/knowledge/${item.id}`)]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('knowledge_item_not_found');
    }
    expect((await other.get('/v1/knowledge')).body.data).toEqual([]);
    expect((await other.get('/v1/knowledge/search?q=wholesale')).body.items).toEqual([]);
    expect((await api.get('/v1/knowledge/search?q=wholesale')).body.items.map((h: any) => h.id)).toEqual([item.id]);
    expect((await api.get(`/v1/knowledge/${item.id}`)).body.item.title).toBe('Secret pricing');
  });

  it('rejects bad input with 400 naming each field', async () => {
    const bad = await api.post('/v1/knowledge', { title: '  ', content: 5, tags: ['ok', ''], extra: true });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    const paths = bad.body.details.map((d: any) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['body.title', 'body.content', 'body.tags.1']));
    expect(bad.body.details.some((d: any) => d.code === 'unrecognized_keys')).toBe(true);

    const tooManyTags = await api.post('/v1/knowledge', { title: 't', content: 'c', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) });
    expect(tooManyTags.body.details[0].path).toBe('body.tags');
    expect((await api.post('/v1/knowledge', { title: 't'.repeat(201), content: 'c' })).body.details[0].path).toBe('body.title');

    const item = await create(api, { title: 'Patch me', content: 'Body' });
    const empty = await api.patch(`/v1/knowledge/${item.id}`, {});
    expect(empty.status).toBe(400);
    expect((await api.patch(`/v1/knowledge/${item.id}`, { content: '' })).body.details[0].path).toBe('body.content');

    expect((await api.get('/v1/knowledge/search')).body.details[0].path).toBe('query.q');
    for (const limit of ['1e1', '0', '21', ' 5', '0x5', '2.5']) {
      const res = await api.get(`/v1/knowledge/search?q=x&limit=${encodeURIComponent(limit)}`);
      expect([res.status, res.body.details[0].path]).toEqual([400, 'query.limit']);
    }
    expect((await api.get(`/v1/knowledge/search?q=${'x'.repeat(501)}`)).status).toBe(400);
    expect((await api.get('/v1/knowledge?limit=abc')).status).toBe(400);
    expect((await api.raw('POST', '/v1/knowledge', '{"title":')).body.code).toBe('invalid_json');
  });

  it('ranks the most relevant item first, with prefixes and typos', async () => {
    const refund = await create(api, { title: 'Refund policy', content: 'Returns are accepted within 30 days for a full refund.', category: 'Billing' });
    await create(api, { title: 'Payment methods', content: 'We take cards. A refund goes back to the same card.', category: 'Billing' });
    await create(api, { title: 'Delivery', content: 'Parcels ship within two days; no refund of shipping costs.', category: 'Shipping' });

    const hits = (await api.get('/v1/knowledge/search?q=refund')).body.items;
    expect(hits[0]).toMatchObject({ id: refund.id, title: 'Refund policy', category: 'Billing', tags: [] });
    expect(typeof hits[0].score).toBe('number');
    expect(hits.length).toBe(3);
    expect((await api.get('/v1/knowledge/search?q=refnd&limit=1')).body.items.map((h: any) => h.id)).toEqual([refund.id]);
    expect((await api.get('/v1/knowledge/search?q=refund&category=Shipping')).body.items).toHaveLength(1);
  });
});

describe('knowledge import', () => {
  it('imports 500 items at once, and they are searchable', async () => {
    const before = await countItems(accountId);
    const items = manyItems(500, 'quokka');
    expect(JSON.stringify({ items }).length).toBeGreaterThan(64 * 1024);
    const res = await api.post('/v1/knowledge/import', { items });
    expect(res.status).toBe(201);
    expect(res.body.imported).toBe(500);
    expect(res.body.items).toHaveLength(500);
    expect(res.body.items[417]).toEqual({ id: expect.stringMatching(/^kb_/), title: 'Topic quokka417' });
    expect(await countItems(accountId)).toBe(before + 500);

    const hits = (await api.get('/v1/knowledge/search?q=quokka417')).body.items;
    expect(hits[0].id).toBe(res.body.items[417].id);
    const stored = (await api.get(`/v1/knowledge/${res.body.items[417].id}`)).body.item;
    expect(stored.source).toMatchObject({ kind: 'import', importId: expect.stringMatching(/^kbi_/) });

    // The batch lists in the order it was sent.
    const listed = (await api.get('/v1/knowledge?category=Imported&limit=200')).body;
    expect(listed.data.map((i: any) => i.id)).toEqual(res.body.items.slice(0, 200).map((i: any) => i.id));
    expect(listed.hasMore).toBe(true);
  });

  it('writes nothing when any item is bad, and names every bad item', async () => {
    const before = await countItems(accountId);
    const items: unknown[] = manyItems(300, 'wombat');
    items[17] = { content: 'no title' };
    items[254] = { title: 't'.repeat(201), content: 'ok', color: 'red' };
    const res = await api.post('/v1/knowledge/import', { items });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_items');
    expect([...new Set(res.body.details.map((d: any) => d.index))]).toEqual([17, 254]);
    expect(res.body.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 17, path: 'body.items.17.title' }),
        expect.objectContaining({ index: 254, path: 'body.items.254.title' }),
      ]),
    );
    expect(await countItems(accountId)).toBe(before);
    expect((await api.get('/v1/knowledge/search?q=wombat3')).body.items).toEqual([]);
  });

  it('refuses more than 500 items, an empty list, and bodies over its limit', async () => {
    const tooMany = await api.post('/v1/knowledge/import', { items: manyItems(501, 'x') });
    expect([tooMany.status, tooMany.body.code, tooMany.body.details[0].path]).toEqual([400, 'validation_failed', 'body.items']);
    expect((await api.post('/v1/knowledge/import', { items: [] })).status).toBe(400);
    const huge = await api.raw('POST', '/v1/knowledge/import', JSON.stringify({ items: [{ title: 't', content: 'x'.repeat(6 * 1024 * 1024) }] }));
    expect([huge.status, huge.body.code]).toEqual([413, 'payload_too_large']);
    // Every other route keeps the app's 64 kB limit.
    expect((await api.post('/v1/knowledge', { title: 't', content: 'x'.repeat(100 * 1024) })).status).toBe(413);
  });

  it('authenticates an import before reading its body', async () => {
    const anonymous = await http(stack.baseUrl).raw('POST', '/v1/knowledge/import', JSON.stringify({ items: manyItems(400, 'anon') }));
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'unauthorized']);
  });

  it('removes a partly written batch when the insert fails', async () => {
    const before = await countItems(accountId);
    const model = stack.deps.KnowledgeItem;
    const insertMany = model.insertMany.bind(model);
    const spy = jest.spyOn(model, 'insertMany').mockImplementationOnce((async (docs: unknown[]) => {
      await insertMany(docs.slice(0, 50) as never);
      throw new Error('connection lost half-way');
    }) as never);
    try {
      const res = await api.post('/v1/knowledge/import', { items: manyItems(120, 'numbat') });
      expect(res.status).toBe(500);
      expect(res.body.code).toBe('internal_error');
    } finally {
      spy.mockRestore();
    }
    expect(await countItems(accountId)).toBe(before);
  });
});

describe('searchKnowledge activity', () => {
  it('sees changes at once and never another account', async () => {
    const search = (account: string, query: string) => activities.searchKnowledge({ accountId: account, query, limit: 5 });
    expect((await search(accountId, 'parking')).items).toEqual([]);

    const item = await create(api, { title: 'Parking', content: 'Free parking behind the store. '.repeat(100), tags: ['car'] });
    const found = (await search(accountId, 'parking')).items;
    expect(found.map((h) => h.id)).toEqual([item.id]);
    expect(found[0]).toMatchObject({ title: 'Parking', category: null, tags: ['car'] });
    expect(found[0]?.content.length).toBeLessThanOrEqual(1500);
    expect(JSON.parse(JSON.stringify(found))).toEqual(found); // plain JSON

    await api.patch(`/v1/knowledge/${item.id}`, { title: 'Car park' });
    expect((await search(accountId, 'car park')).items[0]?.title).toBe('Car park');
    expect((await search(otherAccountId, 'parking')).items).toEqual([]);
    await api.delete(`/v1/knowledge/${item.id}`);
    expect((await search(accountId, 'parking')).items).toEqual([]);
    expect((await search(accountId, '   ')).items).toEqual([]);
  });
});

describe('knowledge drafts', () => {
  const input = (analysisId: string) => ({
    accountId,
    botId: 'bot_test',
    conversationId: 'conv_drafts',
    analysisId,
    drafts: [
      { question: 'Do you deliver on Sundays?', answer: 'No, deliveries run Monday to Saturday.' },
      { question: 'Can I pay by invoice?', answer: 'Yes, for business accounts.' },
    ],
  });

  it('saves an analysis once however often the activity runs', async () => {
    const first = await activities.saveKnowledgeDrafts(input('an_once'));
    const second = await activities.saveKnowledgeDrafts(input('an_once'));
    expect(second).toEqual(first);
    expect(first.draftIds).toHaveLength(2);
    expect(await stack.deps.KnowledgeDraft.countDocuments({ analysisId: 'an_once' })).toBe(2);
  });

  it('approves a draft into a searchable item, once; discards another', async () => {
    const { draftIds } = await activities.saveKnowledgeDrafts(input('an_review'));
    const [sundays, invoice] = draftIds as [string, string];
    const listed = (await api.get('/v1/knowledge/drafts?status=draft&conversationId=conv_drafts')).body.data;
    expect(listed.map((d: any) => d.id)).toEqual(expect.arrayContaining([sundays, invoice]));
    expect(listed.find((d: any) => d.id === sundays)).toMatchObject({ status: 'draft', itemId: null, index: 0, analysisId: 'an_review', question: 'Do you deliver on Sundays?' });

    const approved = await api.post(`/v1/knowledge/drafts/${sundays}/approve`, { category: 'Delivery', tags: ['sunday'] });
    expect(approved.status).toBe(201);
    expect(approved.body.item).toMatchObject({ title: 'Do you deliver on Sundays?', category: 'Delivery', source: { kind: 'draft', draftId: sundays, conversationId: 'conv_drafts' } });
    expect(approved.body.draft).toMatchObject({ id: sundays, status: 'approved', itemId: approved.body.item.id });
    expect((await api.get(`/v1/knowledge/${approved.body.item.id}`)).status).toBe(200);
    expect((await api.get('/v1/knowledge/search?q=sundays')).body.items[0].id).toBe(approved.body.item.id);
    expect((await activities.searchKnowledge({ accountId, query: 'deliver sunday', limit: 3 })).items[0]?.id).toBe(approved.body.item.id);

    const again = await api.post(`/v1/knowledge/drafts/${sundays}/approve`);
    expect([again.status, again.body.code]).toEqual([409, 'draft_not_pending']);
    expect((await other.post(`/v1/knowledge/drafts/${invoice}/approve`)).status).toBe(404);
    expect((await api.post(`/v1/knowledge/drafts/${invoice}/approve`, { question: '' })).status).toBe(400);

    const discarded = await api.post(`/v1/knowledge/drafts/${invoice}/discard`);
    expect(discarded.status).toBe(200);
    expect(discarded.body.draft).toMatchObject({ id: invoice, status: 'discarded', itemId: null });
    expect((await api.post(`/v1/knowledge/drafts/${invoice}/discard`)).status).toBe(409);
    expect((await api.post(`/v1/knowledge/drafts/${invoice}/approve`)).status).toBe(409);
    expect((await api.post('/v1/knowledge/drafts/kd_missing/discard')).body.code).toBe('knowledge_draft_not_found');

    expect((await api.get('/v1/knowledge/drafts?status=approved')).body.data.map((d: any) => d.id)).toEqual([sundays]);
    expect((await other.get('/v1/knowledge/drafts')).body.data).toEqual([]);
    expect((await api.get('/v1/knowledge/drafts?status=pending')).status).toBe(400);
  });
});

describe('the item limit', () => {
  it('keeps an account within its item limit', async () => {
    const full = await signUp(stack.baseUrl, 'Full Co');
    const now = new Date();
    await stack.deps.KnowledgeItem.insertMany(
      Array.from({ length: KNOWLEDGE_LIMITS.itemsPerAccount - 1 }, (_, i) => ({ _id: `kb_fill${i}`, accountId: full.accountId, title: `t${i}`, content: 'c', category: null, tags: [], source: { kind: 'api' }, createdAt: now, updatedAt: now })),
    );
    const tooMany = await full.api.post('/v1/knowledge/import', { items: manyItems(2, 'cap') });
    expect([tooMany.status, tooMany.body.code, tooMany.body.details]).toEqual([409, 'knowledge_limit_reached', { limit: KNOWLEDGE_LIMITS.itemsPerAccount, count: KNOWLEDGE_LIMITS.itemsPerAccount - 1, adding: 2 }]);
    expect((await full.api.post('/v1/knowledge', { title: 'last', content: 'one' })).status).toBe(201);
    expect((await full.api.post('/v1/knowledge', { title: 'over', content: 'the limit' })).body.code).toBe('knowledge_limit_reached');
    expect(await countItems(full.accountId)).toBe(KNOWLEDGE_LIMITS.itemsPerAccount);
  });
});
