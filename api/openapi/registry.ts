/**
 * The OpenAPI 3.1 document of the API, built from a registry of route descriptions whose request schemas
 * are the same zod schemas the routes parse with, and whose response schemas describe every field
 * (converted by zod v4's `z.toJSONSchema`). A unit test walks the Express app's router stack and fails when
 * a route is mounted but not registered here, or registered but not mounted; the contract test
 * (test/integration/openapi-contract.test.ts) runs Schemathesis against the real server to check that the
 * document says exactly what the server does. See api/openapi/routes.ts to add a route.
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
  /**
   * Path parameters: a zod object of the schemas the route parses them with (api/path-params.ts), so that
   * each id is documented with its pattern (test/unit/openapi.test.ts wants every `:name` in it).
   */
  params?: z.ZodObject;
  /** Query parameters: a zod object. */
  query?: z.ZodType;
  /** Request headers the route reads (besides Authorization), with the schema it checks each with. */
  headers?: { name: string; description: string; required?: boolean; schema?: z.ZodType }[];
  /** JSON request body. */
  body?: z.ZodType;
  /** The route reads a request without a body as `{}` (`parse(Body, req.body ?? {})`): the body is optional. */
  bodyOptional?: boolean;
  /**
   * The success answer: its status (default 200), content type (default JSON) and body schema, which a
   * JSON answer must have, field by field (test/unit/openapi.test.ts refuses a bare object). A 204 has no body.
   */
  success?: { status?: number; description?: string; schema?: z.ZodType; contentType?: string };
  /** A `text/event-stream` answer: each event's name (the SSE `event:` field) and its JSON `data:` payload. */
  events?: Record<string, z.ZodType>;
  /**
   * More answers: status → description (a 4xx/5xx body is the error shape). Adds to, or replaces the
   * description of, the answers every route of its kind has (`standardAnswers`).
   */
  responses?: Record<number, string | { description: string; schema: z.ZodType }>;
  /** Answers of `standardAnswers` that this route cannot give (e.g. 413 on a route with its own body limit). */
  never?: number[];
  /** The operation's id when the one derived from method and path is taken (`/inbox` the page beside `/v1/inbox`). */
  operationId?: string;
}

type Json = Record<string, unknown>;

const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** The error body every 4xx/5xx answer has. */
export const ErrorBody = z.object({
  message: z.string(),
  code: z.string().describe('machine-readable, e.g. `validation_failed`, `bot_not_found`'),
  details: z.unknown().describe('null, or what went wrong (for `validation_failed`: `[{path, message, code}]`)'),
});

/**
 * Zod schemas documented by a JSON Schema of their own instead of the one zod derives (a field that holds
 * a request body as its create route takes it: api/openapi/schemas.ts `asRequestBody`).
 */
export const documentedAs = z.registry<{ jsonSchema: Json }>();

/** `/v1/bots/:id` → `/v1/bots/{id}` */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export function tagOf(route: RouteDoc): string {
  if (route.tag) return route.tag;
  const segments = route.path.split('/').filter(Boolean);
  const first = segments[0] === 'v1' ? segments[1] : segments[0];
  return first ?? 'meta';
}

const pathNamesOf = (path: string): string[] => [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
const hasBody = (route: RouteDoc): boolean => route.method === 'post' || route.method === 'put' || route.method === 'patch';

/**
 * The answers every route of its kind can give, whatever it does: a bad path, body or query (400), the
 * credentials (401), the key's permissions (403), an unknown or malformed id (404), the JSON body rules
 * (413, 415) and the per-key rate limit (429).
 */
export function standardAnswers(route: RouteDoc): Record<number, string> {
  const answers: Record<number, string> = {};
  const pathNames = pathNamesOf(route.path);
  const reasons: string[] = [];
  if (route.body || route.query || route.headers?.length) reasons.push('`validation_failed` names each field');
  if (hasBody(route)) reasons.push('`invalid_json`: the body is not JSON');
  if (pathNames.length) reasons.push('`invalid_path`: the path is not valid percent-encoding');
  if (reasons.length) answers[400] = `invalid input (${reasons.join('; ')})`;
  if (route.security !== 'none') answers[401] = route.security === 'codec' ? '`unauthorized`: the codec token is missing or wrong' : '`unauthorized`: the API key or login token is missing, wrong, revoked or expired';
  if ((route.security ?? 'bearer') === 'bearer') answers[403] = '`forbidden`: the API key lacks the permission this route needs (`details.required`)';
  if (pathNames.length) answers[404] = "not found: an id that is unknown, another account's, or not an id at all (`<resource>_not_found`)";
  if (hasBody(route)) {
    answers[413] = '`payload_too_large`: the body is larger than 64 kB';
    answers[415] = '`unsupported_media_type`: a body that is not `Content-Type: application/json`';
  }
  if ((route.security ?? 'bearer') === 'bearer') answers[429] = '`rate_limited`: this API key\'s per-minute limit is spent (`details.retryAfterSeconds`)';
  return answers;
}

const RATE_LIMIT_HEADERS: Json = {
  'X-RateLimit-Limit': { description: 'requests allowed in the window of the limit nearest to refusing', schema: { type: 'string', pattern: '^[0-9]+$' } },
  'X-RateLimit-Remaining': { description: 'requests left in that window', schema: { type: 'string', pattern: '^[0-9]+$' } },
  'X-RateLimit-Reset': { description: 'seconds until that window resets', schema: { type: 'string', pattern: '^[0-9]+$' } },
};
const retryAfter = (required: boolean): Json => ({ 'Retry-After': { required, description: 'seconds to wait before retrying (with jitter)', schema: { type: 'string', pattern: '^[0-9]+$' } } });

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
      const pathNames = pathNamesOf(route.path);
      const paramSchema = route.params ? schemaOf(route.params, `${opId}Params`, defs, 'input') : undefined;
      for (const name of pathNames) {
        const { description, ...schema } = (paramSchema?.properties as Record<string, Json> | undefined)?.[name] ?? { type: 'string' };
        parameters.push({ name, in: 'path', required: true, schema, ...(description ? { description } : {}) });
      }
      if (route.query) {
        const schema = schemaOf(route.query, `${opId}Query`, defs, 'input', 'query');
        const required = new Set((schema.required as string[] | undefined) ?? []);
        for (const [name, property] of Object.entries((schema.properties as Record<string, Json> | undefined) ?? {})) {
          const { description, ...rest } = property;
          parameters.push({ name, in: 'query', required: required.has(name), schema: rest, ...(description ? { description } : {}) });
        }
      }
      for (const header of route.headers ?? []) {
        const { description: _, ...schema } = header.schema ? schemaOf(header.schema, `${opId}Header`, defs, 'input') : { type: 'string' };
        parameters.push({ name: header.name, in: 'header', required: header.required ?? false, description: header.description, schema });
      }

      const responses: Record<string, Json> = {};
      const status = String(route.success?.status ?? 200);
      const headers = (route.security ?? 'bearer') === 'bearer' ? { headers: RATE_LIMIT_HEADERS } : {};
      if (route.events) {
        responses[status] = { description: route.success?.description ?? 'the event stream', ...headers, content: { 'text/event-stream': { schema: eventStreamSchema(route.events, opId, defs) } } };
      } else if (status === '204') {
        responses[status] = { description: route.success?.description ?? 'done', ...headers };
      } else {
        const contentType = route.success?.contentType ?? 'application/json';
        const schema = route.success?.schema ? schemaOf(route.success.schema, `${opId}Response`, defs, 'output') : { type: 'object' };
        responses[status] = { description: route.success?.description ?? 'success', ...headers, content: { [contentType]: { schema } } };
      }
      const answers: Record<string, string | { description: string; schema: z.ZodType }> = { ...standardAnswers(route), ...route.responses };
      for (const code of route.never ?? []) delete answers[code];
      for (const [code, answer] of Object.entries(answers)) {
        const description = typeof answer === 'string' ? answer : answer.description;
        // Every 429 says when to come back; a 503 does when a limit store or the stream cap refused.
        const retry = code === '429' ? { headers: retryAfter(true) } : code === '503' ? { headers: retryAfter(false) } : {};
        if (Number(code) >= 400) responses[code] = { description, ...retry, content: { 'application/json': { schema: ERROR_REF } } };
        else if (typeof answer === 'string') responses[code] = { description, ...headers };
        else responses[code] = { description, ...headers, content: { 'application/json': { schema: schemaOf(answer.schema, `${opId}Response${code}`, defs, 'output') } } };
      }

      let requestBody: Json | undefined;
      if (route.body) {
        const required = !route.bodyOptional;
        const schema = schemaOf(route.body, `${opId}Body`, defs, 'input');
        // A body whose fields are all optional but that refuses `{}` (a PATCH: "give at least one field").
        if (schema.type === 'object' && !(schema.required as unknown[] | undefined)?.length && !route.body.safeParse({}).success) schema.minProperties ??= 1;
        requestBody = { required, content: { 'application/json': { schema } } };
      }
      const operation: Json = {
        operationId: opId,
        summary: route.summary,
        ...(route.description ? { description: route.description } : {}),
        tags: [tagOf(route)],
        security: route.security === 'none' ? [] : route.security === 'codec' ? [{ codecToken: [] }] : [{ apiKey: [] }],
        ...(parameters.length ? { parameters } : {}),
        ...(requestBody ? { requestBody } : {}),
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

/**
 * One event of a Server-Sent Events stream, as parsed by a client (the OpenAPI 3.2 convention for
 * `text/event-stream`, which 3.1 tools read too): `event` names it, `id` is its position in the stream,
 * `data` is a JSON document whose schema is `contentSchema`.
 */
function eventStreamSchema(events: Record<string, z.ZodType>, opId: string, defs: Record<string, Json>): Json {
  return {
    oneOf: Object.entries(events).map(([name, payload]) => ({
      type: 'object',
      properties: {
        event: { const: name },
        id: { type: 'string', pattern: '^[0-9]+$', description: 'the event\'s position: send it back as `Last-Event-ID` to resume after it' },
        data: { type: 'string', contentMediaType: 'application/json', contentSchema: schemaOf(payload, `${opId}Event_${name.replace(/[^A-Za-z0-9]/g, '_')}`, defs, 'output') },
        retry: { type: 'integer', minimum: 0 },
      },
      required: ['event', 'id', 'data'],
    })),
  };
}

function operationId(route: RouteDoc): string {
  if (route.operationId) return route.operationId;
  const words = route.path
    .split('/')
    .filter((s) => s && s !== 'v1')
    .map((s) => (s.startsWith(':') ? `By${cap(s.slice(1))}` : s.split(/[-_.]/).map(cap).join('')));
  return `${route.method}${words.join('')}`;
}

const cap = (s: string): string => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

/**
 * What zod cannot derive by itself (or derives differently from what the server checks):
 * - a schema registered in `documentedAs` is replaced by its own JSON Schema;
 * - an email is documented by the pattern zod checks, not by JSON Schema's stricter `format: email`;
 * - in a query, a number parsed from its decimal string (a string → number pipe, api/pagination.ts
 *   `queryInt`) is documented as the integer it stands for, with its range (a query value is text on the
 *   wire either way);
 * - a string the route trims before checking its length (`z.string().trim().min(1)`) must hold a non-blank
 *   character: `"  "` is as empty as `""` to the server, so the document says `pattern: \S`.
 */
function overrideFor(where: 'query' | 'other') {
  return (ctx: { zodSchema: unknown; jsonSchema: Json }): void => {
    const replace = (json: Json): void => {
      for (const key of Object.keys(ctx.jsonSchema)) if (key !== 'description' && key !== 'default') delete ctx.jsonSchema[key];
      Object.assign(ctx.jsonSchema, json);
    };
    const documented = documentedAs.get(ctx.zodSchema as z.ZodType);
    if (documented) return replace(documented.jsonSchema);
    const def = (ctx.zodSchema as z.ZodType)._zod.def as unknown as ZodDef;
    if (where === 'query' && def.type === 'pipe' && inputTypeOf(def) === 'string' && def.out?._zod.def.type === 'number') {
      const { $schema: _, ...number } = z.toJSONSchema(def.out, { target: 'draft-2020-12' }) as Json;
      return replace(number);
    }
    if (def.type !== 'string') return;
    // zod documents an email both by `format: email` and by the pattern it checks; the pattern is the rule
    // (JSON Schema's email format is another, stricter one, and the server does not apply it).
    if (ctx.jsonSchema.format === 'email' && ctx.jsonSchema.pattern) delete ctx.jsonSchema.format;
    if (!(Number(ctx.jsonSchema.minLength) >= 1) || ctx.jsonSchema.pattern) return;
    const blankIsEmpty = (def.checks ?? []).some((c) => c._zod.def.check === 'overwrite' && c._zod.def.tx?.(' \t') === '');
    if (blankIsEmpty) ctx.jsonSchema.pattern = '\\S';
  };
}

/** The type a (chain of) pipe(s) takes in: `string` for `z.string().transform(Number).pipe(z.number())`. */
function inputTypeOf(def: ZodDef): string {
  return def.type === 'pipe' && def.in ? inputTypeOf(def.in._zod.def as unknown as ZodDef) : def.type;
}

interface ZodDef {
  type: string;
  in?: z.ZodType;
  out?: z.ZodType;
  checks?: { _zod: { def: { check: string; tx?: (s: string) => string } } }[];
}

/**
 * A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect). Definitions zod hoists (recursive schemas)
 * move to `components.schemas` under a prefixed name, with their `$ref`s rewritten.
 */
function schemaOf(schema: z.ZodType, name: string, defs: Record<string, Json>, io: 'input' | 'output' = 'output', where: 'query' | 'other' = 'other'): Json {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', override: overrideFor(where) as never }) as Json;
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

/**
 * The methods each documented path answers, for 405 and `Allow` (api/method-not-allowed.ts): Express
 * path → upper-case methods, with HEAD beside GET (Express answers HEAD with the GET handler).
 */
export function methodsByPath(routes: readonly RouteDoc[]): Map<string, string[]> {
  const byPath = new Map<string, Set<string>>();
  for (const route of routes) {
    const methods = byPath.get(route.path) ?? byPath.set(route.path, new Set()).get(route.path)!;
    methods.add(route.method.toUpperCase());
    if (route.method === 'get') methods.add('HEAD');
  }
  const order = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
  return new Map([...byPath].map(([path, methods]) => [path, [...methods].sort((a, b) => order.indexOf(a) - order.indexOf(b))]));
}
