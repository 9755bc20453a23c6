import { mergeFields, planImport, type ImportRecord, type StoredEndpoint } from './reconcile';
import type { ImportedFields, OperationDraft } from './types';

const NOW = new Date('2026-12-01T10:00:00Z');
const EARLIER = new Date('2026-11-01T10:00:00Z');

const param = (name: string, over: Partial<ImportedFields['parameters'][number]> = {}): ImportedFields['parameters'][number] => ({ name, type: 'string', required: true, in: 'path', description: '', source: 'visitor', ...over });

const fields = (over: Partial<ImportedFields> = {}): ImportedFields => ({
  name: 'Get an order',
  description: 'Reads one order.',
  method: 'GET',
  path: '/orders/{id}',
  parameters: [param('id', { description: 'The order.' })],
  responseFields: [{ name: 'status', path: '$.status' }],
  sideEffects: false,
  ...over,
});

const op = (key: string, endpoint: ImportedFields, operationId: string | null = key): OperationDraft => ({ key, operationId, method: endpoint.method, path: endpoint.path, pointer: '', endpoint, notes: [] });

const record = (key: string, values: ImportedFields, over: Partial<ImportRecord> = {}): ImportRecord => ({ key, operationId: key, method: values.method, path: values.path, values, importedAt: EARLIER, missingSince: null, ...over });

const stored = (id: string, current: ImportedFields, imported?: ImportRecord): StoredEndpoint => ({ _id: id, ...current, ...(imported && { imported }) });

describe('planImport', () => {
  it('creates what no endpoint was imported from', () => {
    const plan = planImport({ selected: [op('getOrder', fields())], all: [op('getOrder', fields())], existing: [stored('ep_own', fields())], now: NOW });
    expect(plan.create.map((c) => c.record)).toEqual([{ key: 'getOrder', operationId: 'getOrder', method: 'GET', path: '/orders/{id}', values: fields(), importedAt: NOW, missingSince: null }]);
    expect(plan.update).toEqual([]);
  });

  it('leaves an endpoint alone when neither the document nor the user changed it', () => {
    const plan = planImport({ selected: [op('getOrder', fields())], all: [op('getOrder', fields())], existing: [stored('ep_1', fields(), record('getOrder', fields()))], now: NOW });
    expect(plan).toEqual({ create: [], update: [], unchanged: [{ endpointId: 'ep_1', key: 'getOrder' }], missing: [] });
  });

  it('matches by operationId, else by method and path (an operationId added later still matches)', () => {
    const next = fields({ description: 'New words.' });
    const byId = planImport({ selected: [op('getOrder', next)], all: [op('getOrder', next)], existing: [stored('ep_1', fields(), record('getOrder', fields(), { path: '/old/{id}' }))], now: NOW });
    expect(byId.update.map((u) => u.endpointId)).toEqual(['ep_1']);
    const byPath = planImport({ selected: [op('getOrder', next)], all: [op('getOrder', next)], existing: [stored('ep_2', fields(), record('GET /orders/{id}', fields(), { operationId: null }))], now: NOW });
    expect(byPath.update.map((u) => [u.endpointId, u.key])).toEqual([['ep_2', 'getOrder']]);
  });

  it('flags an imported endpoint whose operation is gone, keeping the first date; never an unselected one still in the document', () => {
    const gone = stored('ep_gone', fields({ path: '/gone' }), record('cancelOrder', fields({ path: '/gone' })));
    const old = stored('ep_old', fields({ path: '/old' }), record('oldOne', fields({ path: '/old' }), { missingSince: EARLIER }));
    const kept = stored('ep_kept', fields({ path: '/kept' }), record('kept', fields({ path: '/kept' })));
    const plan = planImport({ selected: [], all: [op('kept', fields({ path: '/kept' }))], existing: [gone, old, kept], now: NOW });
    expect(plan.missing).toEqual([
      { endpointId: 'ep_gone', key: 'cancelOrder', since: NOW, newly: true },
      { endpointId: 'ep_old', key: 'oldOne', since: EARLIER, newly: false },
    ]);
  });

  it('updates an endpoint that was missing and is back, clearing the flag', () => {
    const plan = planImport({ selected: [op('getOrder', fields())], all: [op('getOrder', fields())], existing: [stored('ep_1', fields(), record('getOrder', fields(), { missingSince: EARLIER }))], now: NOW });
    expect(plan.update.map((u) => u.record.missingSince)).toEqual([null]);
  });
});

describe('mergeFields', () => {
  it("takes the document's new value of a field the user left as imported", () => {
    expect(mergeFields(fields(), fields(), fields({ description: 'New words.' }))).toEqual({ fields: fields({ description: 'New words.' }), kept: [] });
  });

  it("keeps a field the user changed, and says so only when the document's value differs", () => {
    const mine = fields({ description: 'Mine.', responseFields: [] });
    expect(mergeFields(mine, fields(), fields({ description: 'New words.' }))).toEqual({ fields: fields({ description: 'Mine.', responseFields: [] }), kept: ['description', 'responseFields'] });
  });

  it('merges parameters field by field: an edited description and source stay, a new type and a new parameter come in', () => {
    const current = fields({ parameters: [param('id', { description: 'Mine.', source: 'llm' })] });
    const next = fields({ parameters: [param('id', { description: 'Theirs.', type: 'integer' }), param('expand', { in: 'query', required: false, type: 'boolean' })] });
    expect(mergeFields(current, fields(), next)).toEqual({
      fields: fields({ parameters: [param('id', { description: 'Mine.', source: 'llm', type: 'integer' }), param('expand', { in: 'query', required: false, type: 'boolean' })] }),
      kept: ['parameters.id.description', 'parameters.id.source'],
    });
  });

  it('keeps a parameter the user added or deleted, drops one the document dropped unless the user changed it', () => {
    const previous = fields({ parameters: [param('id'), param('a', { in: 'query' }), param('b', { in: 'query' }), param('c', { in: 'query' })] });
    const current = fields({ parameters: [param('id'), param('b', { in: 'query', description: 'Mine.' }), param('c', { in: 'query' }), param('own', { in: 'header' })] });
    const next = fields({ parameters: [param('id'), param('a', { in: 'query' })] });
    // a: deleted by the user (stays deleted); b: dropped by the document but edited (stays); c: dropped (goes); own: the user's.
    expect(mergeFields(current, previous, next)).toEqual({ fields: fields({ parameters: [param('id'), param('b', { in: 'query', description: 'Mine.' }), param('own', { in: 'header' })] }), kept: ['parameters.a (deleted)'] });
  });

  it('removes a body template the document no longer has, unless the user changed it', () => {
    const withBody = fields({ bodyTemplate: { sku: '{{sku}}' } });
    expect(mergeFields(withBody, withBody, fields()).fields.bodyTemplate).toBeUndefined();
    expect(mergeFields(fields({ bodyTemplate: { sku: 'X' } }), withBody, fields()).fields.bodyTemplate).toEqual({ sku: 'X' });
  });
});
