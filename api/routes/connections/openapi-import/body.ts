/**
 * What `POST /v1/connections/import` and `POST /v1/connections/:id/import` read: the document inline
 * (an object, or JSON/YAML text), or named by URL, or uploaded as the raw body (application/json,
 * application/yaml, text/yaml: a preview only). These routes have their own body limit: a document may
 * be up to 2 MB, every other route keeps 64 kB.
 */
import express, { type RequestHandler } from 'express';
import { z } from 'zod';
import { OPENAPI_IMPORT_LIMITS } from '../../../../core/openapi-import/convert';
import { ConnectionAuth } from '../../../../models/connection.schema';
import { AppError } from '../../../errors';
import { parse } from '../../../validate';

/** The paths whose body is read here (before the 64 kB JSON parser, which then skips them). */
export const OPENAPI_IMPORT_PATHS = ['/v1/connections/import', '/v1/connections/:id/import'];
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
export const isOpenApiImportPath = (path: string): boolean => /^\/v1\/connections\/(?:[^/]+\/)?import\/?$/.test(path);

/** A JSON body holding a 2 MB document, escaped, fits in 3 MB; a YAML upload is the document itself. */
export const openApiImportBody: RequestHandler[] = [
  express.json({ limit: '3mb', strict: true }),
  express.text({ type: YAML_TYPES, limit: OPENAPI_IMPORT_LIMITS.documentBytes }),
];

const OperationKey = z.string().min(1).max(600);

const source = {
  document: z
    .union([z.record(z.string(), z.unknown()), z.string().min(1).max(OPENAPI_IMPORT_LIMITS.documentBytes)])
    .optional()
    .describe('the OpenAPI 3.0/3.1 or Swagger 2.0 document: an object, or its JSON or YAML text'),
  url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional()
    .describe("where to fetch the document (by Parley's worker, through the same address checks as every outbound call; at most 1 MB)"),
  allowPrivateNetwork: z.boolean().default(false).describe("fetch the URL even on a private or loopback address (only inside the deployment's allowed networks)"),
  dryRun: z.boolean().default(true).describe('true (the default): answer the preview and write nothing; false: create (or update) the selected operations, all or nothing'),
  select: z.array(OperationKey).min(1).max(OPENAPI_IMPORT_LIMITS.operationsPerImport).optional().describe("the operations to import, by the preview's keys (operationId, else `METHOD /path`); default all"),
};

const oneSource = (body: { document?: unknown; url?: string }) => (body.document === undefined) !== (body.url === undefined);
const ONE_SOURCE = { message: 'give either document or url', path: ['document'] };

/** The new connection's settings; each defaults to what the document says (secrets to none). */
export const ImportConnectionInput = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  server: z.number().int().min(0).max(99).optional().describe("index into the preview's connection.servers (default: the first https one)"),
  baseUrl: z.url({ protocol: /^https?$/ }).max(500).optional().describe('instead of a server of the document'),
  auth: ConnectionAuth.optional().describe("the credentials (the preview's auth, filled in); default none"),
  headers: z.record(z.string(), z.string().max(4096)).optional().describe('extra headers, e.g. the further API keys the preview lists, filled in'),
  timeoutMs: z.number().int().min(100).max(60_000).optional(),
  allowPrivateNetwork: z.boolean().optional().describe('default: the body\'s allowPrivateNetwork'),
});

export const OpenApiImportBody = z.strictObject({ ...source, connection: ImportConnectionInput.optional() }).refine(oneSource, ONE_SOURCE);
export type OpenApiImportBody = z.infer<typeof OpenApiImportBody>;
export const OpenApiImportIntoBody = z.strictObject(source).refine(oneSource, ONE_SOURCE);
export type OpenApiImportIntoBody = z.infer<typeof OpenApiImportIntoBody>;

/**
 * The request as one of the bodies above. A raw upload (YAML text, or a JSON object that is itself an
 * OpenAPI document) is a preview of that document.
 */
export function readImportBody<S extends typeof OpenApiImportBody | typeof OpenApiImportIntoBody>(schema: S, body: unknown): z.infer<S> {
  if (typeof body === 'string') {
    if (body.trim() === '') throw new AppError(400, 'validation_failed', 'body: the uploaded document is empty', [{ path: 'body', message: 'empty', code: 'custom' }]);
    return parse(schema, { document: body }) as z.infer<S>;
  }
  const isDocument = body !== null && typeof body === 'object' && !Array.isArray(body) && ('openapi' in body || 'swagger' in body);
  return parse(schema, isDocument ? { document: body } : body) as z.infer<S>;
}
