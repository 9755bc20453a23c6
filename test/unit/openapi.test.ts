/**
 * The OpenAPI document covers the API exactly: every route mounted on the Express app (walking every
 * router's layers) is in the spec, and every route in the spec is mounted. A new route without an entry
 * in api/openapi/routes.ts fails here. Also checks the document's structure (OpenAPI 3.1).
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
      const html = await docs.text();
      expect(html).toContain('/v1/conversations/{id}/messages');
      expect(html).not.toMatch(/<script|https?:\/\/(?!json-schema)/);
    } finally {
      server.close();
    }
  });
});
