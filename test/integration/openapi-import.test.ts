/**
 * OpenAPI import on the real stack (API, Temporal dev server with the worker, FerretDB, a tenant API on
 * 127.0.0.1): previews of real documents (inline, uploaded as YAML) that write nothing; a new connection
 * with its endpoints created from a document and called for real with the credentials given at import;
 * all or nothing proven by failing a write half-way (everything the import wrote is gone, updated
 * endpoints are back as they were); a second import of a changed document updating what the first one
 * made while keeping local edits and flagging the operation it no longer has; a document named by URL
 * fetched by the worker's activity, refused on a private address unless allowed; bad documents with
 * JSON pointers; another account's connection 404. No secret is ever in a response.
 */
import express from 'express';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { stringify } from 'yaml';
import type { EndpointDoc } from '../../models/connection.model';
import { recording, signUp, startStack, type Http, type HttpResult, type Stack } from '../harness';
import { listenTenantUrl } from '../tenant-ports';

let stack: Stack;
let tenant: Server;
let tenantBase: string;
const KEY = `key_${randomBytes(12).toString('hex')}`;
/** What the tenant received: method, path, API key header. */
const received: Array<{ method: string; path: string; apiKey?: string }> = [];
/** Every response body seen by this file's clients; no secret may be in one. */
const seen: string[] = [];

const fixture = (name: string): string => readFileSync(`${__dirname}/../fixtures/openapi/${name}`, 'utf8');

/** A small shop API, version 1: three operations, a path-level parameter, an API key header. */
const shopV1 = () => ({
  openapi: '3.0.3',
  info: { title: 'Corner Shop', version: '1' },
  servers: [{ url: '/api' }],
  components: {
    securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } },
    schemas: {
      Order: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, status: { type: 'string', enum: ['open', 'shipped'] }, total: { type: 'number' } } },
    },
  },
  security: [{ key: [] }],
  paths: {
    '/orders/{orderId}': {
      parameters: [{ name: 'orderId', in: 'path', required: true, description: 'The order number.', schema: { type: 'string' } }],
      get: { operationId: 'getOrder', summary: 'Get an order', description: 'Reads one order.', responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } } } },
      delete: { operationId: 'cancelOrder', summary: 'Cancel an order', responses: { '204': { description: 'cancelled' } } },
    },
    '/orders': {
      post: {
        operationId: 'createOrder',
        summary: 'Create an order',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['sku'], properties: { sku: { type: 'string', description: 'Stock keeping unit.' }, quantity: { type: 'integer' } } } } } },
        responses: { '201': { description: 'created', content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } } },
      },
    },
  },
});

/** Version 2: getOrder reworded and given a query parameter, createOrder unchanged, cancelOrder gone, listOrders new. */
const shopV2 = () => {
  const doc = shopV1() as any;
  doc.paths['/orders/{orderId}'].get.description = 'Reads one order, with its lines.';
  doc.paths['/orders/{orderId}'].get.parameters = [{ name: 'expand', in: 'query', description: 'Include the lines.', schema: { type: 'boolean' } }];
  doc.paths['/orders/{orderId}'].parameters[0].description = 'The order number, as printed on the receipt.';
  delete doc.paths['/orders/{orderId}'].delete;
  doc.paths['/orders'].get = { operationId: 'listOrders', summary: 'List orders', responses: { '200': { description: 'ok' } } };
  return doc;
};

beforeAll(async () => {
  const app = express();
  app.use((req, _res, next) => {
    received.push({ method: req.method, path: req.path, ...(req.get('x-api-key') && { apiKey: req.get('x-api-key') }) });
    next();
  });
  app.get('/specs/shop.yaml', (_req, res) => void res.type('application/yaml').send(stringify({ ...shopV1(), 'x-docs': { $ref: `/specs/external.json` } })));
  app.get('/specs/moved.json', (_req, res) => void res.redirect(302, '/specs/shop.yaml'));
  app.get('/api/orders/:id', (req, res) => {
    if (req.get('x-api-key') !== KEY) return void res.status(401).json({ error: 'unauthorized' });
    res.json({ id: req.params.id, status: 'open', total: 12.5, secretNote: 'not kept' });
  });
  tenant = createServer(app);
  tenantBase = await listenTenantUrl(tenant);
  stack = await startStack({ api: { ACCOUNT_SIGNUPS_PER_HOUR: '100' } });
});

afterAll(async () => {
  await stack?.stop();
  tenant?.closeAllConnections();
  await new Promise((r) => tenant?.close(r));
  for (const body of seen) expect(body).not.toContain(KEY);
});

async function account(name: string): Promise<Http> {
  return recording((await signUp(stack.baseUrl, name)).api, seen);
}

function expectProblem(res: HttpResult, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.body).toEqual({ message: expect.any(String), code, details: res.body.details });
}

const endpoints = (connectionId: string) => stack.db.collection<EndpointDoc>('endpoints').find({ connectionId }).sort({ _id: 1 }).toArray();
const connections = (accountId: string) => stack.db.collection('connections').find({ accountId }).toArray();

/** Creates a connection from shop v1 (all operations), pointed at the tenant with its API key. */
async function importShop(api: Http): Promise<{ connectionId: string; ids: Record<string, string> }> {
  const res = await api.post('/v1/connections/import', {
    document: stringify(shopV1()),
    dryRun: false,
    connection: { baseUrl: `${tenantBase}/api`, allowPrivateNetwork: true, auth: { type: 'api_key', in: 'header', name: 'X-Api-Key', value: KEY } },
  });
  expect(res.status).toBe(201);
  return { connectionId: res.body.connection.id, ids: Object.fromEntries(res.body.created.map((c: { key: string; endpointId: string }) => [c.key, c.endpointId])) };
}

describe('preview', () => {
  it('answers the connection and one endpoint per operation of an inline document, and writes nothing', async () => {
    const api = await account('Preview Co');
    const res = await api.post('/v1/connections/import', { document: fixture('petstore-3.0.yaml') });
    expect(res.status).toBe(200);
    expect(res.body.document).toEqual({ specification: 'openapi', version: '3.0.4', title: 'Swagger Petstore - OpenAPI 3.0', apiVersion: '1.0.27-SNAPSHOT' });
    expect(res.body.connection).toMatchObject({ name: 'Swagger Petstore - OpenAPI 3.0', baseUrl: 'https://petstore3.swagger.io/api/v3', auth: { type: 'api_key', in: 'header', name: 'api_key', value: '' } });
    expect(res.body.operations).toHaveLength(19);
    const getPet = res.body.operations.find((o: { key: string }) => o.key === 'getPetById');
    expect(getPet).toMatchObject({ method: 'GET', path: '/pet/{petId}', pointer: '/paths/~1pet~1{petId}/get' });
    // Answered as the create-endpoint route would store it: defaults filled.
    expect(getPet.endpoint.parameters).toEqual([{ name: 'petId', type: 'integer', required: true, in: 'path', description: 'ID of pet to return', source: 'visitor' }]);
    expect(res.body.missing).toBeUndefined();
    expect((await api.get('/v1/connections')).body.data).toEqual([]);
  });

  it('reads a YAML upload (application/yaml) of the booking API 3.1 with several servers; other content types are 415', async () => {
    const { key } = await signUp(stack.baseUrl, 'Upload Co');
    const upload = (type: string, body: string) => fetch(`${stack.baseUrl}/v1/connections/import`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': type }, body });
    const res = await upload('application/yaml', fixture('train-travel-3.1.yaml'));
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.connection.servers.map((s: { url: string }) => s.url)).toEqual(['https://try.microcks.io/rest/Train+Travel+API/1.0.0', 'https://api.example.com']);
    expect(body.operations.map((o: { key: string }) => o.key)).toEqual(['get-stations', 'get-trips', 'get-bookings', 'create-booking', 'get-booking', 'delete-booking', 'create-booking-payment']);
    // The raw JSON document itself (not wrapped in {document}) is read too.
    const json = await upload('application/json', fixture('petstore-2.0.json'));
    expect(json.status).toBe(200);
    expect(((await json.json()) as any).connection.baseUrl).toBe('http://petstore.swagger.io/v2');
    const text = await upload('text/plain', 'openapi: 3.0.0');
    expect(text.status).toBe(415);
  });

  it('refuses bad documents with 400 and the JSON pointer of each problem', async () => {
    const api = await account('Bad Docs Co');
    const invalid = await api.post('/v1/connections/import', { document: { openapi: '3.0.3', info: { title: 'x', version: '1' }, paths: { '/pets': { get: { summary: 'no responses' } } } } });
    expectProblem(invalid, 400, 'invalid_document');
    expect(invalid.body.details).toContainEqual({ pointer: '/paths/~1pets/get', message: "must have required property 'responses'" });
    const circular = await api.post('/v1/connections/import', {
      document: {
        openapi: '3.0.3',
        info: { title: 'x', version: '1' },
        paths: { '/a': { get: { responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/A' } } } } } } } },
        components: { schemas: { A: { type: 'object', properties: { self: { $ref: '#/components/schemas/A' } } } } },
      },
    });
    expectProblem(circular, 400, 'circular_reference');
    expect(circular.body.details).toEqual([{ pointer: '/components/schemas/A/properties/self', message: 'this $ref leads back to itself' }]);
    expectProblem(await api.post('/v1/connections/import', { document: 'openapi: [' }), 400, 'invalid_document');
    expectProblem(await api.post('/v1/connections/import', {}), 400, 'validation_failed');
    expectProblem(await api.post('/v1/connections/import', { document: fixture('petstore-3.0.yaml'), dryRun: false, select: ['nope'] }), 400, 'unknown_operation');
  });
});

describe('create', () => {
  it('creates the connection and its endpoints with the credentials given; an endpoint then calls the tenant', async () => {
    const api = await account('Create Co');
    const { connectionId, ids } = await importShop(api);
    expect(Object.keys(ids).sort()).toEqual(['cancelOrder', 'createOrder', 'getOrder']);
    const view = (await api.get(`/v1/connections/${connectionId}`)).body.connection;
    expect(view).toMatchObject({ name: 'Corner Shop', baseUrl: `${tenantBase}/api`, auth: { type: 'api_key', in: 'header', name: 'X-Api-Key', value: '••••' } });

    const getOrder = (await api.get(`/v1/connections/${connectionId}/endpoints/${ids.getOrder}`)).body.endpoint;
    expect(getOrder).toMatchObject({
      name: 'Get an order',
      description: 'Reads one order.',
      method: 'GET',
      path: '/orders/{orderId}',
      parameters: [{ name: 'orderId', type: 'string', required: true, in: 'path', description: 'The order number.', source: 'visitor' }],
      responseFields: [
        { name: 'id', path: '$.id' },
        { name: 'status', path: '$.status' },
        { name: 'total', path: '$.total' },
      ],
      sideEffects: false,
      imported: { key: 'getOrder', operationId: 'getOrder', importedAt: expect.any(String), missingSince: null },
    });
    const createOrder = (await api.get(`/v1/connections/${connectionId}/endpoints/${ids.createOrder}`)).body.endpoint;
    expect(createOrder).toMatchObject({ method: 'POST', sideEffects: true, bodyTemplate: { sku: '{{sku}}', quantity: '{{quantity}}' } });

    const run = await api.post(`/v1/connections/${connectionId}/endpoints/${ids.getOrder}/test`, { values: { orderId: 'A-17' } });
    expect(run.status).toBe(200);
    expect(run.body.result).toMatchObject({ ok: true, status: 200, fields: { id: 'A-17', status: 'open', total: 12.5 } });
    expect(received).toContainEqual({ method: 'GET', path: '/api/orders/A-17', apiKey: KEY });
  });

  it('without credentials the connection has none, and the answer says so', async () => {
    const api = await account('No Key Co');
    const res = await api.post('/v1/connections/import', { document: shopV1(), dryRun: false, select: ['getOrder'], connection: { baseUrl: 'https://shop.example.com/api' } });
    expect(res.status).toBe(201);
    expect(res.body.created.map((c: { key: string }) => c.key)).toEqual(['getOrder']);
    expect(res.body.connection.auth).toEqual({ type: 'none' });
    expect(res.body.warnings).toEqual([expect.stringContaining('declares api_key auth')]);
    // A relative server and no baseUrl: the caller must say where the API is.
    expectProblem(await api.post('/v1/connections/import', { document: shopV1(), dryRun: false }), 400, 'base_url_required');
  });

  it('uses the server chosen by index from several, and refuses an index the document does not have', async () => {
    const api = await account('Servers Co');
    const res = await api.post('/v1/connections/import', { document: fixture('train-travel-3.1.yaml'), dryRun: false, select: ['get-booking', 'create-booking'], connection: { server: 1 } });
    expect(res.status).toBe(201);
    expect(res.body.connection).toMatchObject({ name: 'Train Travel API', baseUrl: 'https://api.example.com', auth: { type: 'none' } });
    expect(res.body.created.map((c: { key: string }) => c.key)).toEqual(['create-booking', 'get-booking']);
    expect(res.body.warnings).toEqual(['the document\'s security scheme "OAuth2" is not supported (OAuth 2.0 flows are not supported: get an access token yourself and use bearer auth)']);
    const missing = await api.post('/v1/connections/import', { document: fixture('train-travel-3.1.yaml'), dryRun: false, connection: { server: 5 } });
    expectProblem(missing, 400, 'invalid_server');
    expect((await api.get('/v1/connections')).body.data).toHaveLength(1);
  });

  it('is all or nothing: a write failing half-way leaves neither the connection nor any endpoint', async () => {
    const { api, accountId } = await signUp(stack.baseUrl, 'Undo Co');
    const real = stack.deps.Endpoint.create.bind(stack.deps.Endpoint);
    let calls = 0;
    let first: string | undefined;
    // The third endpoint is written with the first one's id: the store refuses the duplicate key.
    const spy = jest.spyOn(stack.deps.Endpoint, 'create').mockImplementation((async (doc: EndpointDoc) => {
      calls += 1;
      if (calls === 1) first = doc._id;
      return real(calls === 3 ? { ...doc, _id: first! } : doc);
    }) as never);
    try {
      const res = await api.post('/v1/connections/import', { document: shopV1(), dryRun: false, connection: { baseUrl: 'https://shop.example.com/api' } });
      expect(res.status).toBe(500);
      expect(calls).toBe(3);
    } finally {
      spy.mockRestore();
    }
    expect(await connections(accountId)).toEqual([]);
    expect(await stack.db.collection('endpoints').countDocuments({ accountId })).toBe(0);
    expect((await api.get('/v1/connections')).body.data).toEqual([]);
  });
});

describe('re-import', () => {
  it('updates what the first import made, keeps local edits, flags the operation gone, and is idempotent', async () => {
    const api = await account('Reimport Co');
    const { connectionId, ids } = await importShop(api);
    // Local edits: getOrder's description, its path parameter's description and source, and the fields it keeps.
    const before = (await api.get(`/v1/connections/${connectionId}/endpoints/${ids.getOrder}`)).body.endpoint;
    const edited = await api.patch(`/v1/connections/${connectionId}/endpoints/${ids.getOrder}`, {
      description: 'Look an order up for the visitor.',
      parameters: [{ ...before.parameters[0], description: 'Order number from the receipt', source: 'llm' }],
      responseFields: [{ name: 'status', path: '$.status' }],
    });
    expect(edited.status).toBe(200);

    const preview = await api.post(`/v1/connections/${connectionId}/import`, { document: shopV2() });
    expect(preview.status).toBe(200);
    expect(preview.body.operations.map((o: { key: string; status: string; endpointId: string | null }) => [o.key, o.status, o.endpointId])).toEqual([
      ['getOrder', 'update', ids.getOrder],
      ['listOrders', 'new', null],
      ['createOrder', 'unchanged', ids.createOrder],
    ]);
    expect(preview.body.missing).toEqual([{ key: 'cancelOrder', endpointId: ids.cancelOrder, missingSince: null }]);
    expect((await endpoints(connectionId)).map((e) => e.imported?.missingSince ?? null)).toEqual([null, null, null]);

    const res = await api.post(`/v1/connections/${connectionId}/import`, { document: shopV2(), dryRun: false });
    expect(res.status).toBe(200);
    expect(res.body.created.map((c: { key: string }) => c.key)).toEqual(['listOrders']);
    expect(res.body.updated).toEqual([{ key: 'getOrder', endpointId: ids.getOrder, kept: ['description', 'responseFields', 'parameters.orderId.description', 'parameters.orderId.source'] }]);
    expect(res.body.unchanged).toEqual([{ key: 'createOrder', endpointId: ids.createOrder }]);
    expect(res.body.missing).toEqual([{ key: 'cancelOrder', endpointId: ids.cancelOrder, missingSince: expect.any(String) }]);

    const getOrder = (await api.get(`/v1/connections/${connectionId}/endpoints/${ids.getOrder}`)).body.endpoint;
    expect(getOrder.description).toBe('Look an order up for the visitor.');
    expect(getOrder.responseFields).toEqual([{ name: 'status', path: '$.status' }]);
    expect(getOrder.parameters).toEqual([
      { name: 'orderId', type: 'string', required: true, in: 'path', description: 'Order number from the receipt', source: 'llm' },
      { name: 'expand', type: 'boolean', required: false, in: 'query', description: 'Include the lines.', source: 'visitor' },
    ]);
    // Gone from the document: flagged, never deleted.
    const cancel = (await api.get(`/v1/connections/${connectionId}/endpoints/${ids.cancelOrder}`)).body.endpoint;
    expect(cancel.imported).toEqual({ key: 'cancelOrder', operationId: 'cancelOrder', importedAt: expect.any(String), missingSince: res.body.missing[0].missingSince });

    // The same document again: nothing to change, the flag keeps its date.
    const again = await api.post(`/v1/connections/${connectionId}/import`, { document: shopV2(), dryRun: false });
    expect(again.status).toBe(200);
    expect(again.body.created).toEqual([]);
    expect(again.body.updated).toEqual([]);
    expect(again.body.unchanged.map((u: { key: string }) => u.key).sort()).toEqual(['createOrder', 'getOrder', 'listOrders']);
    expect(again.body.missing).toEqual(res.body.missing);
  });

  it('is all or nothing: an endpoint changed during the import undoes the updates and creations already made', async () => {
    const api = await account('Reimport Undo Co');
    const { connectionId, ids } = await importShop(api);
    await api.patch(`/v1/connections/${connectionId}/endpoints/${ids.createOrder}`, { description: 'Ours.' });
    const doc = shopV2();
    doc.paths['/orders'].post.summary = 'Place an order';
    const stored = await endpoints(connectionId);

    // The second compare-and-set finds its endpoint changed by someone else meanwhile.
    const real = stack.deps.Endpoint.findOneAndUpdate.bind(stack.deps.Endpoint);
    let calls = 0;
    const spy = jest.spyOn(stack.deps.Endpoint, 'findOneAndUpdate').mockImplementation(((filter: { _id: string }, ...rest: unknown[]) => {
      calls += 1;
      if (calls === 2) {
        return {
          lean: async () => {
            await stack.db.collection<EndpointDoc>('endpoints').updateOne({ _id: filter._id }, { $set: { updatedAt: new Date(Date.now() + 60_000) } });
            return (real as (...a: unknown[]) => { lean(): Promise<unknown> })(filter, ...rest).lean();
          },
        };
      }
      return (real as (...a: unknown[]) => unknown)(filter, ...rest);
    }) as never);
    let res: HttpResult;
    try {
      res = await api.post(`/v1/connections/${connectionId}/import`, { document: doc, dryRun: false });
    } finally {
      spy.mockRestore();
    }
    expectProblem(res, 409, 'concurrent_update');
    expect(calls).toBe(2);
    const after = await endpoints(connectionId);
    const interfered = after.find((e) => e._id === ids.createOrder)!;
    // listOrders (created) is gone, getOrder (updated) is back exactly as it was, the one changed meanwhile kept that change.
    expect(after.map((e) => e._id)).toEqual(stored.map((e) => e._id));
    expect(after.filter((e) => e._id !== ids.createOrder)).toEqual(stored.filter((e) => e._id !== ids.createOrder));
    expect({ ...interfered, updatedAt: null }).toEqual({ ...stored.find((e) => e._id === ids.createOrder)!, updatedAt: null });
  });
});

describe('by URL', () => {
  it('fetches the document through the worker, resolves a relative server against it, never follows an external $ref', async () => {
    const api = await account('Url Co');
    received.length = 0;
    const res = await api.post('/v1/connections/import', { url: `${tenantBase}/specs/shop.yaml`, allowPrivateNetwork: true });
    expect(res.status).toBe(200);
    expect(res.body.connection.baseUrl).toBe(`${tenantBase}/api`);
    expect(res.body.operations.map((o: { key: string }) => o.key)).toEqual(['getOrder', 'cancelOrder', 'createOrder']);
    expect(received.map((r) => r.path)).toEqual(['/specs/shop.yaml']);

    const created = await api.post('/v1/connections/import', { url: `${tenantBase}/specs/shop.yaml`, allowPrivateNetwork: true, dryRun: false, select: ['getOrder'] });
    expect(created.status).toBe(201);
    expect(created.body.connection).toMatchObject({ baseUrl: `${tenantBase}/api`, allowPrivateNetwork: true });
  });

  it('refuses a private address without allowPrivateNetwork, a non-allowlisted one even with it, and does not follow a redirect', async () => {
    const api = await account('Ssrf Co');
    received.length = 0;
    const refused = await api.post('/v1/connections/import', { url: `${tenantBase}/specs/shop.yaml` });
    expectProblem(refused, 400, 'document_unreachable');
    expect(refused.body.details).toEqual({ reason: 'blocked_address' });
    // Parley's own API is on 127.0.0.1 too, outside the allowlisted tenant ports.
    const own = await api.post('/v1/connections/import', { url: `${stack.baseUrl}/openapi.json`, allowPrivateNetwork: true });
    expectProblem(own, 400, 'document_unreachable');
    expect(own.body.details).toEqual({ reason: 'blocked_address' });
    expect(received).toEqual([]);
    const moved = await api.post('/v1/connections/import', { url: `${tenantBase}/specs/moved.json`, allowPrivateNetwork: true });
    expectProblem(moved, 400, 'document_unreachable');
    expect(moved.body.details).toEqual({ reason: 'redirect', status: 302 });
  });
});

describe('accounts', () => {
  it("answers 404 for another account's connection, previews included", async () => {
    const owner = await account('Owner Co');
    const { connectionId } = await importShop(owner);
    const other = await account('Other Co');
    expectProblem(await other.post(`/v1/connections/${connectionId}/import`, { document: shopV2() }), 404, 'connection_not_found');
    expectProblem(await other.post(`/v1/connections/${connectionId}/import`, { document: shopV2(), dryRun: false }), 404, 'connection_not_found');
    expect((await endpoints(connectionId)).map((e) => e.imported?.missingSince ?? null)).toEqual([null, null, null]);
  });
});
