/**
 * The OpenAPI document covers the API exactly: every route mounted on the Express app (walking every
 * router's layers) is in the spec, and every route in the spec is mounted. A new route without an entry
 * in api/openapi/routes.ts fails here. Also checks the document's structure (OpenAPI 3.1), that every
 * path parameter and every answer is described, and the 405/OPTIONS answers built from it. Whether the
 * server does what the document says is test/integration/openapi-contract.test.ts's (Schemathesis).
 */
import { Client, Connection } from '@temporalio/client';
import mongoose from 'mongoose';
import { createApp } from '../../api/app';
import { loadApiConfig } from '../../api/config';
import { createDeps } from '../../api/deps';
import { openApiPath } from '../../api/openapi/registry';
import { registry } from '../../api/openapi/routes';
import { openApiDocument } from '../../api/routes/docs';
import { SecretBox } from '../../models/secret-box';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** `METHOD /path` of every route in the app: route layers of the app and of every mounted router. */
function mountedRoutes(app: any): Set<string> {
  const found = new Set<string>();
  const walk = (stack: any[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        const paths: unknown[] = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths) {
          if (typeof path !== 'string') throw new Error(`route with a non-string path under ${prefix}: document it by hand`);
          for (const method of Object.keys(layer.route.methods)) if (METHODS.includes(method)) found.add(`${method.toUpperCase()} ${prefix}${path}`);
        }
      } else if (Array.isArray(layer.handle?.stack)) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk(app.router.stack, '');
  return found;
}

let db: mongoose.Connection;
let app: any;
beforeAll(() => {
  mongoose.set('bufferTimeoutMS', 50); // never connected: building the app needs models, not a server; what it writes fails at once
  db = mongoose.createConnection();
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const config = loadApiConfig({ PARLEY_SECRET_KEYS: SecretBox.generateKey('t') });
  app = createApp(createDeps({ db, temporal, config, log: () => undefined }));
});
afterAll(async () => {
  await db.close();
});

describe('OpenAPI document', () => {
  it('registers every mounted route, and mounts every registered route', () => {
    const mounted = mountedRoutes(app);
    const registered = registry.keySet();
    expect(mounted.size).toBeGreaterThan(50);
    expect([...mounted].filter((r) => !registered.has(r)).sort()).toEqual([]);
    expect([...registered].filter((r) => !mounted.has(r)).sort()).toEqual([]);
  });

  it('is a structurally valid OpenAPI 3.1 document', () => {
    const doc = openApiDocument() as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    const json = JSON.stringify(doc);
    // Every $ref resolves inside the document.
    for (const [, ref] of json.matchAll(/"\$ref":"([^"]+)"/g)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref!.slice('#/components/schemas/'.length)]).toBeDefined();
    }
    const operationIds = new Set<string>();
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      expect(path).toMatch(/^\/[A-Za-z0-9_./{}-]*$/);
      expect(path).not.toContain(':');
      for (const [method, op] of Object.entries<any>(ops)) {
        expect(METHODS).toContain(method);
        expect(typeof op.summary).toBe('string');
        expect(operationIds.has(op.operationId)).toBe(false);
        operationIds.add(op.operationId);
        const codes = Object.keys(op.responses);
        expect(codes.length).toBeGreaterThan(0);
        for (const code of codes) {
          expect(code).toMatch(/^[1-5][0-9]{2}$/);
          expect(typeof op.responses[code].description).toBe('string');
        }
        // Each `{name}` of the path is a required path parameter, and nothing else is.
        const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
        const declared = (op.parameters ?? []).filter((p: any) => p.in === 'path');
        expect(declared.map((p: any) => p.name).sort()).toEqual(names);
        for (const p of declared) expect(p.required).toBe(true);
        for (const p of op.parameters ?? []) expect(['path', 'query', 'header', 'cookie']).toContain(p.in);
        if (op.requestBody) expect(op.requestBody.content['application/json'].schema).toBeDefined();
        if (op.security.length === 0) continue;
        for (const requirement of op.security) for (const name of Object.keys(requirement)) expect(doc.components.securitySchemes[name]).toBeDefined();
      }
    }
  });

  it('describes request bodies from the zod schemas, and the error shape', () => {
    const doc = openApiDocument() as any;
    const start = doc.paths['/v1/conversations'].post;
    expect(start.requestBody.content['application/json'].schema.properties).toHaveProperty('botId');
    expect(start.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['botId', 'externalUserId']));
    expect(start.responses['422'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(doc.components.schemas.Error.required).toEqual(expect.arrayContaining(['message', 'code']));
    expect(doc.paths[openApiPath('/v1/bots/:id')].get.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths['/openapi.json'].get.security).toEqual([]);
    expect(doc.paths['/v1/bots'].get.parameters.map((p: any) => p.name)).toEqual(['limit', 'after']);
  });

  it('documents each path parameter with the pattern its route enforces, and every answer field by field', () => {
    const doc = openApiDocument() as any;
    for (const route of registry.list()) {
      const key = `${route.method.toUpperCase()} ${route.path}`;
      const op = doc.paths[openApiPath(route.path)][route.method];
      for (const p of (op.parameters ?? []).filter((p: any) => p.in === 'path')) {
        expect([key, p.name, typeof p.schema.pattern]).toEqual([key, p.name, 'string']);
        expect([key, p.name, p.schema.pattern]).toEqual([key, p.name, (route.params!.toJSONSchema().properties![p.name] as { pattern?: string }).pattern]);
      }
      for (const [code, response] of Object.entries<any>(op.responses)) {
        for (const [type, media] of Object.entries<any>(response.content ?? {})) {
          // A bare `{type: object}` says nothing about a body: each JSON answer names its fields.
          if (type === 'application/json' && media.schema.$ref === undefined) {
            expect([key, code, JSON.stringify(media.schema)]).not.toEqual([key, code, '{"type":"object"}']);
            expect([key, code, media.schema.type === 'object' ? Object.keys(media.schema.properties ?? {}).length > 0 : true]).toEqual([key, code, true]);
          }
        }
      }
      // Every status answered beyond the success is an error body or a described 2xx.
      expect([key, Object.keys(op.responses).filter((c) => Number(c) >= 400 && !op.responses[c].content)]).toEqual([key, []]);
    }
    // The SSE stream describes each event's JSON payload.
    const stream = doc.paths['/v1/conversations/{id}/events'].get.responses['200'].content['text/event-stream'].schema;
    expect(stream.oneOf.map((e: any) => e.properties.event.const).sort()).toEqual(['action.completed', 'action.failed', 'conversation.assigned', 'conversation.closed', 'conversation.handoff', 'conversation.released', 'conversation.started', 'conversation.unassigned', 'message.created', 'note.created', 'sla.breached', 'sla.escalated']);
    for (const event of stream.oneOf) expect(event.properties.data.contentSchema.properties.data.properties).toBeDefined();
  });

  it('gives each PATCH body minProperties, each limit its range, and each trimmed string a non-blank pattern', () => {
    const doc = openApiDocument() as any;
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      if (ops.patch) expect([path, ops.patch.requestBody.content['application/json'].schema.minProperties]).toEqual([path, 1]);
      for (const op of Object.values<any>(ops)) {
        const limit = (op.parameters ?? []).find((p: any) => p.name === 'limit');
        if (limit) expect([path, limit.schema.type, limit.schema.minimum, typeof limit.schema.maximum]).toEqual([path, 'integer', 1, 'number']);
      }
    }
    const bot = doc.paths['/v1/bots'].post.requestBody.content['application/json'].schema;
    expect(bot.properties.name).toMatchObject({ minLength: 1, pattern: '\\S' });
    expect(doc.paths['/v1/api-keys'].post.requestBody.required).toBe(false);
    expect(doc.paths['/v1/bots'].post.requestBody.required).toBe(true);
  });

  it('answers 405 with Allow for a method a documented path lacks, and OPTIONS with Allow', async () => {
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const base = `http://127.0.0.1:${server.address().port}`;
      for (const [method, path, allow] of [
        ['PUT', '/v1/bots', 'GET, HEAD, POST, OPTIONS'],
        ['POST', '/v1/bots/bot_1', 'GET, HEAD, PATCH, DELETE, OPTIONS'],
        ['PUT', '/healthz', 'GET, HEAD, OPTIONS'],
        ['GET', '/v1/accounts', 'POST, OPTIONS'],
        // A literal path wins over a parameter, as in OpenAPI: this is not an update of an item named "search".
        ['PATCH', '/v1/knowledge/search', 'GET, HEAD, OPTIONS'],
        ['DELETE', '/V1/Bots/', 'GET, HEAD, POST, OPTIONS'],
      ]) {
        const res = await fetch(`${base}${path}`, { method });
        expect([method, path, res.status, res.headers.get('allow')]).toEqual([method, path, 405, allow]);
        expect(await res.json()).toMatchObject({ code: 'method_not_allowed', details: { allow: allow!.split(', ') } });
      }
      const options = await fetch(`${base}/v1/bots/bot_1`, { method: 'OPTIONS' });
      expect([options.status, options.headers.get('allow')]).toEqual([204, 'GET, HEAD, PATCH, DELETE, OPTIONS']);
      // Unknown paths stay 404, and a documented method goes on to its route (here: no credentials).
      expect((await fetch(`${base}/nothing-here`, { method: 'PUT' })).status).toBe(404);
      expect((await fetch(`${base}/v1/bots`)).status).toBe(401);
    } finally {
      server.close();
    }
  });

  it('is served at GET /openapi.json and rendered at GET /docs, without credentials', async () => {
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const base = `http://127.0.0.1:${server.address().port}`;
      const spec = await fetch(`${base}/openapi.json`);
      expect(spec.status).toBe(200);
      expect(((await spec.json()) as any).openapi).toBe('3.1.0');
      const docs = await fetch(`${base}/docs`);
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-type')).toMatch(/text\/html/);
      // The page loads the document from /openapi.json (test/unit/docs-page.test.ts has the page's details).
      expect(await docs.text()).toContain("url\":\"/openapi.json\"");
      expect((await fetch(`${base}/docs/scalar.js`)).status).toBe(200);
    } finally {
      server.close();
    }
  });
});
