/**
 * The OpenAPI entry of issue 21's cURL import: `POST /v1/connections/:id/endpoints/from-curl`. The answer
 * mirrors api/routes/connections/from-curl.ts.
 */
import { z } from 'zod';
import { CreateEndpointBody } from '../../models/connection.schema';
import { ConnectionParams } from '../path-params';
import { FromCurlBody } from '../routes/connections/from-curl';
import type { RouteRegistry } from './registry';

const CredentialReport = z.object({
  type: z.enum(['bearer', 'basic', 'api_key', 'cookie']),
  in: z.enum(['header', 'query']).describe('where the command sent it'),
  name: z.string().describe('the header or query parameter that carried it'),
  masked: z.string().describe('its kind, never a character of the secret (a basic user name is shown: the connection shows it too)'),
  saved: z.boolean().describe("sealed into the connection's auth or extra headers (only with saveCredentials)"),
});

export const FromCurlAnswer = z.object({
  endpoint: CreateEndpointBody.describe('the draft, not saved: POST it (edited or not) to /v1/connections/{id}/endpoints'),
  credentials: z.array(CredentialReport).describe('credentials found in the command; never part of the draft'),
  warnings: z.array(z.string()).describe('what was left out or changed, in plain English'),
});

export function registerCurlImportRoutes(registry: RouteRegistry): void {
  registry.add({
    method: 'post',
    path: '/v1/connections/:id/endpoints/from-curl',
    summary: 'Draft an endpoint from a cURL command',
    description:
      'Parses one curl command (quotes, `$\'...\'`, `\\` line continuations; never run, never expanded) into an endpoint draft of this connection, ' +
      'which is answered and not saved: create it with `POST /v1/connections/{id}/endpoints`. The URL must be on the connection\'s origin and under its base path; ' +
      'the path is kept literal, query parameters and JSON body fields become typed parameters (the example values in their descriptions), other headers constant header parameters. ' +
      'Credentials (Authorization, `-u`, API-key headers and query parameters, cookies) are never put in the draft: with `saveCredentials` they are sealed into the connection ' +
      "(as `PATCH /v1/connections/{id}` would), otherwise dropped; the answer lists them masked.",
    tag: 'connections',
    params: ConnectionParams,
    body: FromCurlBody,
    success: { schema: FromCurlAnswer },
    responses: {
      400: 'invalid input: `validation_failed` names each field; `invalid_json`; `invalid_path`; `invalid_curl`: not a single curl command (pipes, `;`, variables, substitutions, globs, another program, several URLs), an unsupported option or method, or a body that is not JSON or a form; `origin_mismatch`: the URL is not on the connection\'s origin or base path; `invalid_connection`: the credentials found cannot be saved on this connection',
      409: '`auth_conflict`: with saveCredentials, the connection already has different credentials (send replaceAuth: true); `concurrent_update`: the connection changed meanwhile; `secrets_unreadable`: its stored credentials cannot be opened',
    },
  });
}
