/**
 * The OpenAPI entries of issue 21's OpenAPI import: `POST /v1/connections/import` and
 * `POST /v1/connections/:id/import`. The answers mirror api/routes/connections/openapi-import/index.ts.
 */
import { z } from 'zod';
import { CreateEndpointBody } from '../../models/connection.schema';
import { ConnectionParams } from '../path-params';
import { OpenApiImportBody, OpenApiImportIntoBody } from '../routes/connections/openapi-import/body';
import type { RouteRegistry } from './registry';
import * as S from './schemas';

const DraftAuth = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('none') }),
    z.object({ type: z.literal('api_key'), in: z.enum(['header', 'query']), name: z.string(), value: z.literal('') }),
    z.object({ type: z.literal('bearer'), token: z.literal('') }),
    z.object({ type: z.literal('basic'), username: z.literal(''), password: z.literal('') }),
  ])
  .describe("the auth the document declares, every secret empty: fill it in and send it as connection.auth");

const ServerOption = z.object({
  index: z.number().int(),
  url: z.string().describe("with the server variables' defaults substituted"),
  description: z.string(),
  usable: z.boolean().describe('an absolute http(s) URL a connection can use'),
  note: z.string().optional().describe('why not, when not usable'),
});

const ConnectionDraft = z.object({
  name: z.string(),
  baseUrl: z.string().nullable().describe('the chosen server, or null when none is usable (give connection.baseUrl)'),
  servers: z.array(ServerOption),
  server: z.number().int().nullable().describe('the index of the chosen server: the first https one'),
  auth: DraftAuth,
  headers: z.record(z.string(), z.literal('')).describe('further API-key headers the document declares, values empty'),
  unsupportedAuth: z.array(z.object({ scheme: z.string(), type: z.string(), note: z.string() })).describe('security schemes a connection cannot hold (OAuth 2, OpenID Connect, cookie keys, ...)'),
});

const { name, description, method, path, parameters, bodyTemplate, responseFields, sideEffects } = CreateEndpointBody.shape;
const ImportedEndpoint = z.object({ name, description, method, path, parameters, bodyTemplate, responseFields, sideEffects }).describe('the endpoint the import writes');

const Operation = z.object({
  key: z.string().describe('its operationId, else `METHOD /path`: what select names, and what a later import matches'),
  operationId: z.string().nullable(),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  path: z.string(),
  pointer: z.string().describe('JSON pointer of the operation in the document'),
  endpoint: ImportedEndpoint,
  notes: z.array(z.string()).describe('what was simplified or left out'),
  status: z.enum(['new', 'update', 'unchanged']).optional().describe('importing into a connection: what importing this operation would do'),
  endpointId: z.string().nullable().optional().describe('importing into a connection: the endpoint an earlier import made for it'),
});

const Skipped = z.object({ key: z.string(), method: z.string(), path: z.string(), pointer: z.string(), reason: z.string() });

const Missing = z.object({ key: z.string(), endpointId: z.string(), missingSince: z.string().nullable().describe('when first missed (null: missed by this import)') });

export const ImportPreviewAnswer = z.object({
  document: z.object({ specification: z.enum(['openapi', 'swagger']), version: z.string(), title: z.string(), apiVersion: z.string() }),
  connection: ConnectionDraft,
  operations: z.array(Operation),
  skipped: z.array(Skipped).describe('operations no endpoint can express, and why'),
  missing: z.array(Missing).optional().describe('importing into a connection: its imported endpoints whose operation the document no longer has'),
  notes: z.array(z.string()),
});

export const ImportAppliedAnswer = z.object({
  connection: S.ConnectionView,
  created: z.array(z.object({ key: z.string(), endpointId: z.string() })),
  updated: z.array(z.object({ key: z.string(), endpointId: z.string(), kept: z.array(z.string()).describe('fields kept as you changed them') })),
  unchanged: z.array(z.object({ key: z.string(), endpointId: z.string() })),
  missing: z.array(z.object({ key: z.string(), endpointId: z.string(), missingSince: z.string() })).describe('imported endpoints whose operation the document no longer has: flagged, never deleted'),
  skipped: z.array(Skipped),
  warnings: z.array(z.string()),
});

const BAD_DOCUMENT =
  '`invalid_document` (details: each problem with its JSON `pointer` into the document), `circular_reference`, `document_too_large`, `too_many_operations`; ' +
  '`document_unreachable`: the URL could not be fetched (details.reason: `blocked_address`, `dns`, `timeout`, `http_error`, `redirect`, ...)';
const DESCRIPTION =
  'The document (OpenAPI 3.0/3.1 or Swagger 2.0, JSON or YAML, at most 2 MB) is given inline as `document` (an object or its text), by `url` (fetched by the worker through the outbound address checks, at most 1 MB), ' +
  'or uploaded as the raw body (`Content-Type: application/yaml`, `text/yaml`, or `application/json` holding the document itself), which answers the preview. ' +
  'Internal `$ref`s are resolved (also in path-level parameters; `allOf` merged, `oneOf`/`anyOf` by their first branch); external ones are never followed; a circular one is refused. ';

export function registerOpenApiImportRoutes(registry: RouteRegistry): void {
  registry.add({
    method: 'post',
    path: '/v1/connections/import',
    summary: 'Import an OpenAPI document as a new connection',
    description:
      DESCRIPTION +
      'Without `dryRun: false` the answer is a preview: the connection (base URL from the servers, auth from the security schemes with the secrets left empty) and one endpoint per operation. ' +
      'With `dryRun: false` the connection and the selected operations (`select`, default all, at most 200) are created, all or nothing (201).',
    tag: 'connections',
    body: OpenApiImportBody,
    success: { schema: ImportPreviewAnswer, description: 'the preview (dryRun, the default); nothing is written' },
    responses: {
      201: { description: 'created: the connection and its endpoints', schema: ImportAppliedAnswer },
      400: `invalid input: \`validation_failed\`; \`invalid_json\`; ${BAD_DOCUMENT}; \`unknown_operation\`: a selected key is not an importable operation; \`no_operations\`; \`invalid_server\`; \`base_url_required\`: no server URL is absolute, give connection.baseUrl; \`invalid_connection\``,
      413: '`payload_too_large`: the body is larger than 3 MB (a YAML upload: 2 MB)',
      415: '`unsupported_media_type`: a body that is neither JSON nor YAML',
      504: '`fetch_timeout`: the document named by URL was not fetched in time',
    },
  });
  registry.add({
    method: 'post',
    path: '/v1/connections/:id/import',
    summary: 'Import an OpenAPI document into a connection',
    description:
      DESCRIPTION +
      "The preview says of each operation whether importing it creates an endpoint (`new`), updates the one an earlier import made (`update`; matched by operationId, else method and path) or changes nothing, and lists the connection's imported endpoints the document no longer has. " +
      "With `dryRun: false`, all or nothing: an update keeps every field (and parameter field) you changed since the last import, endpoints of operations gone from the document are flagged (`imported.missingSince`), never deleted. The connection's own settings are not changed.",
    tag: 'connections',
    params: ConnectionParams,
    body: OpenApiImportIntoBody,
    success: { schema: z.union([ImportPreviewAnswer, ImportAppliedAnswer]), description: 'the preview (dryRun, the default), or what was imported' },
    responses: {
      400: `invalid input: \`validation_failed\`; \`invalid_json\`; ${BAD_DOCUMENT}; \`unknown_operation\`; \`no_operations\``,
      409: '`import_conflict`: with your changes kept, an update would not be a valid endpoint (details name each); `endpoint_in_use`: an update would break an action; `concurrent_update`: an endpoint changed during the import (nothing was imported)',
      413: '`payload_too_large`: the body is larger than 3 MB (a YAML upload: 2 MB)',
      415: '`unsupported_media_type`: a body that is neither JSON nor YAML',
      504: '`fetch_timeout`: the document named by URL was not fetched in time',
    },
  });
}
