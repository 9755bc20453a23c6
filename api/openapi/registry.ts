/**
 * The OpenAPI 3.1 document of the API, built from a registry of route descriptions whose request schemas
 * are the same zod schemas the routes parse with (converted by zod v4's `z.toJSONSchema`). A test walks
 * the Express app's router stack and fails when a route is mounted but not registered here, or
 * registered but not mounted: see api/openapi/routes.ts to add one.
 */
import { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteDoc {
  method: HttpMethod;
  /** Express syntax, exactly as mounted: `/v1/bots/:id`. */
  path: string;
  summary: string;
  description?: string;
  /** Groups operations in the docs; defaults to the path's first segment after `/v1`. */
  tag?: string;
  /** `bearer` (a `pk_` API key or a login token; the default), `codec` (CODEC_AUTH_TOKEN) or `none`. */
  security?: 'bearer' | 'codec' | 'none';
  /** Path parameters; by default every `:name` in the path is a string. */
  params?: z.ZodType;
  /** Query parameters: a zod object. */
  query?: z.ZodType;
  /** Request headers the route reads (besides Authorization). */
  headers?: { name: string; description: string; required?: boolean }[];
  /** JSON request body. */
  body?: z.ZodType;
  /** The success answer (default 200, `application/json`, any object). */
  success?: { status?: number; description?: string; schema?: z.ZodType; contentType?: string };
  /** More answers: status → description (the body is the error shape for 4xx/5xx). */
  responses?: Record<number, string>;
}

type Json = Record<string, unknown>;

const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** The error body every 4xx/5xx answer has. */
export const ErrorBody = z.object({
  message: z.string(),
  code: z.string().describe('machine-readable, e.g. `validation_failed`, `bot_not_found`'),
  details: z.unknown().describe('null, or what went wrong (for `validation_failed`: `[{path, message, code}]`)'),
});

/** `/v1/bots/:id` → `/v1/bots/{id}` */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export function tagOf(route: RouteDoc): string {
  if (route.tag) return route.tag;
  const segments = route.path.split('/').filter(Boolean);
  const first = segments[0] === 'v1' ? segments[1] : segments[0];
  return first ?? 'meta';
}

export class RouteRegistry {
  private readonly routes: RouteDoc[] = [];
  private readonly keys = new Set<string>();

  /** Registers routes; a route registered twice is a programming error. */
  add(...routes: RouteDoc[]): this {
    for (const route of routes) {
      const key = `${route.method.toUpperCase()} ${route.path}`;
      if (this.keys.has(key)) throw new Error(`OpenAPI registry: ${key} is registered twice`);
      this.keys.add(key);
      this.routes.push(route);
    }
    return this;
  }

  list(): readonly RouteDoc[] {
    return this.routes;
  }

  /** `METHOD /express/path` of every registered route. */
  keySet(): Set<string> {
    return new Set(this.keys);
  }

  document(info: { title: string; version: string; description?: string }): Json {
    const components: { schemas: Record<string, Json> } = { schemas: { Error: schemaOf(ErrorBody, 'Error', {}) } };
    const defs = components.schemas;
    const paths: Record<string, Record<string, Json>> = {};
    for (const route of this.routes) {
      const opId = operationId(route);
      const parameters: Json[] = [];
      const pathNames = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
      const paramSchema = route.params ? schemaOf(route.params, `${opId}Params`, defs, 'input') : undefined;
      for (const name of pathNames) {
        const schema = (paramSchema?.properties as Record<string, Json> | undefined)?.[name] ?? { type: 'string' };
        parameters.push({ name, in: 'path', required: true, schema });
      }
      if (route.query) {
        const schema = schemaOf(route.query, `${opId}Query`, defs, 'input');
        const required = new Set((schema.required as string[] | undefined) ?? []);
        for (const [name, property] of Object.entries((schema.properties as Record<string, Json> | undefined) ?? {})) {
          const { description, ...rest } = property;
          parameters.push({ name, in: 'query', required: required.has(name), schema: rest, ...(description ? { description } : {}) });
        }
      }
      for (const header of route.headers ?? []) parameters.push({ name: header.name, in: 'header', required: header.required ?? false, description: header.description, schema: { type: 'string' } });
      const status = String(route.success?.status ?? 200);
      const contentType = route.success?.contentType ?? 'application/json';
      const successSchema = route.success?.schema ? schemaOf(route.success.schema, `${opId}Response`, defs, 'output') : { type: 'object' };
      const responses: Record<string, Json> = {
        [status]: status === '204' ? { description: route.success?.description ?? 'done' } : { description: route.success?.description ?? 'success', content: { [contentType]: { schema: successSchema } } },
      };
      const errors: Record<number, string> = {};
      if (route.body || route.query || route.params || pathNames.length) errors[400] = 'invalid input (`validation_failed` names each field)';
      if (route.security !== 'none') errors[401] = 'missing or invalid credentials';
      if (pathNames.length) errors[404] = "not found (also for another account's ids)";
      Object.assign(errors, route.responses);
      for (const [code, description] of Object.entries(errors)) {
        responses[code] = Number(code) >= 400 ? { description, content: { 'application/json': { schema: ERROR_REF } } } : { description };
      }
      const operation: Json = {
        operationId: opId,
        summary: route.summary,
        ...(route.description ? { description: route.description } : {}),
        tags: [tagOf(route)],
        security: route.security === 'none' ? [] : route.security === 'codec' ? [{ codecToken: [] }] : [{ apiKey: [] }],
        ...(parameters.length ? { parameters } : {}),
        ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, `${opId}Body`, defs, 'input') } } } } : {}),
        responses,
      };
      (paths[openApiPath(route.path)] ??= {})[route.method] = operation;
    }
    return {
      openapi: '3.1.0',
      info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
      jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
      servers: [{ url: '/' }],
      security: [{ apiKey: [] }],
      tags: [...new Set(this.routes.map(tagOf))].sort().map((name) => ({ name })),
      paths,
      components: {
        ...components,
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key `pk_...` (or a login token from `POST /v1/auth/login`).' },
          codecToken: { type: 'http', scheme: 'bearer', description: 'The `CODEC_AUTH_TOKEN` of the deployment (operators only).' },
        },
      },
    };
  }
}

function operationId(route: RouteDoc): string {
  const words = route.path
    .split('/')
    .filter((s) => s && s !== 'v1')
    .map((s) => (s.startsWith(':') ? `By${cap(s.slice(1))}` : s.split(/[-_.]/).map(cap).join('')));
  return `${route.method}${words.join('')}`;
}

const cap = (s: string): string => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

/**
 * A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect). Definitions zod hoists (recursive schemas)
 * move to `components.schemas` under a prefixed name, with their `$ref`s rewritten.
 */
function schemaOf(schema: z.ZodType, name: string, defs: Record<string, Json>, io: 'input' | 'output' = 'output'): Json {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  delete json.$schema;
  const local = json.$defs as Record<string, Json> | undefined;
  delete json.$defs;
  if (!local) return json;
  const rename = (key: string): string => `${name}_${key.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value && typeof value === 'object') {
      const out: Json = {};
      for (const [k, v] of Object.entries(value)) {
        if (k === '$ref' && typeof v === 'string') {
          if (v === '#') out[k] = `#/components/schemas/${name}`;
          else out[k] = v.startsWith('#/$defs/') ? `#/components/schemas/${rename(v.slice('#/$defs/'.length))}` : v;
        } else out[k] = rewrite(v);
      }
      return out;
    }
    return value;
  };
  for (const [key, def] of Object.entries(local)) defs[rename(key)] = rewrite(def) as Json;
  const rewritten = rewrite(json) as Json;
  if (JSON.stringify(rewritten).includes(`"#/components/schemas/${name}"`)) {
    defs[name] = rewritten;
    return { $ref: `#/components/schemas/${name}` };
  }
  return rewritten;
}
