/**
 * `POST /v1/connections/:id/endpoints/from-curl` — a pasted cURL command turned into a draft endpoint of
 * the connection (not saved: the caller reviews it and POSTs it to `/v1/connections/:id/endpoints`). The
 * credentials the command carries are never put in the draft; with `saveCredentials` they are sealed into
 * the connection through the same change as `PATCH /v1/connections/:id`, otherwise they are dropped.
 * Nothing secret is in the answer: each credential is reported by kind and name, masked.
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { credentialPlan, reportOf, type FoundCredential } from '../../../core/curl/credentials';
import { draftFromCurl, type CurlDraft } from '../../../core/curl/draft';
import { CurlImportError } from '../../../core/curl/errors';
import { MAX_COMMAND_LENGTH } from '../../../core/curl/shell-words';
import type { ConnectionDoc } from '../../../models/connection.model';
import { CreateEndpointBody, UpdateConnectionBody } from '../../../models/connection.schema';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { ConnectionParams, parsePath } from '../../path-params';
import { parse } from '../../validate';
import { changeConnection, openSecrets } from './connections';
import { endpointIssues } from './endpoint-rules';
import { findConnection } from './lookups';

export const FromCurlBody = z.strictObject({
  curl: z.string().min(1).max(MAX_COMMAND_LENGTH).describe('one curl command as copied from a terminal, browser devtools ("Copy as cURL", bash) or API docs; `\\` line continuations allowed'),
  saveCredentials: z.boolean().default(false).describe("seal the credentials found into the connection's auth (and extra headers); otherwise they are dropped"),
  replaceAuth: z.boolean().default(false).describe('with saveCredentials: replace the connection\'s auth even when it already has different credentials (else 409 `auth_conflict`)'),
});

/** `POST /v1/connections/:id/endpoints/from-curl` */
export function endpointFromCurl(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConnectionParams, req.params);
    const body = parse(FromCurlBody, req.body);
    const accountId = callerOf(res).accountId;
    const connection = await findConnection(deps, accountId, id);
    let draft: CurlDraft;
    try {
      draft = draftFromCurl({ command: body.curl, baseUrl: connection.baseUrl });
    } catch (error) {
      if (error instanceof CurlImportError) throw new AppError(400, error.code, error.message);
      throw error;
    }
    const endpoint = checkedDraft(draft.endpoint);
    const warnings = [...draft.warnings];
    let saved = new Set<number>();
    if (body.saveCredentials && draft.credentials.length > 0) saved = await saveCredentials(deps, { accountId, connection, found: draft.credentials, replaceAuth: body.replaceAuth, warnings });
    else if (draft.credentials.length > 0) warnings.push('credentials were found and dropped; send saveCredentials: true to seal them into the connection');
    else if (body.saveCredentials) warnings.push('the command carries no credentials: nothing was saved');
    res.json({ endpoint, credentials: draft.credentials.map((c, i) => reportOf(c, saved.has(i))), warnings });
  };
}

/** The draft as the create-endpoint route will read it; one that would not validate is refused, never answered. */
function checkedDraft(draft: CreateEndpointBody): CreateEndpointBody {
  const parsed = CreateEndpointBody.safeParse(draft);
  const issue = parsed.success ? endpointIssues(parsed.data)[0] : { field: parsed.error.issues[0]?.path.join('.') ?? '', message: parsed.error.issues[0]?.message ?? 'invalid' };
  if (!parsed.success || issue) throw new AppError(400, 'invalid_curl', `no valid endpoint can be made from this command (${issue!.field}: ${issue!.message})`);
  return parsed.data;
}

/**
 * Seals the credentials into the connection: one as its auth, other header credentials as extra headers
 * (added to those it has). Refused with 409 `auth_conflict` when the connection already sends different
 * credentials, unless `replaceAuth`. Returns the indexes of the credentials saved.
 */
async function saveCredentials(
  deps: ApiDeps,
  { accountId, connection, found, replaceAuth, warnings }: { accountId: string; connection: ConnectionDoc; found: FoundCredential[]; replaceAuth: boolean; warnings: string[] },
): Promise<Set<number>> {
  const plan = credentialPlan(found);
  const stored = connection.auth.type !== 'none' || connection.headerNames.length > 0 ? openSecrets(deps, connection) : { auth: {}, headers: {} };
  const sameAuth = plan.auth !== undefined && JSON.stringify(plan.auth) === JSON.stringify(storedAuth(connection, stored.auth));
  const headers: Record<string, string> = { ...stored.headers };
  const clashes: string[] = [];
  if (plan.auth && !sameAuth && connection.auth.type !== 'none') clashes.push(`its ${connection.auth.type} auth`);
  for (const [name, value] of Object.entries(plan.headers)) {
    const existing = Object.keys(headers).find((h) => h.toLowerCase() === name.toLowerCase());
    if (existing !== undefined && headers[existing] !== value) clashes.push(`its header ${existing}`);
    if (existing !== undefined) delete headers[existing];
    headers[name] = value;
  }
  if (clashes.length > 0 && !replaceAuth) {
    throw new AppError(409, 'auth_conflict', `the connection already has different credentials (${clashes.join(', ')}); send replaceAuth: true to replace them`);
  }
  const change = UpdateConnectionBody.safeParse({ ...(plan.auth && !sameAuth && { auth: plan.auth }), ...(plan.headerIndexes.length > 0 && { headers }) });
  if (!change.success) throw new AppError(400, 'invalid_curl', `the credentials cannot be saved (${change.error.issues[0]?.path.join('.')}: ${change.error.issues[0]?.message})`);
  if (change.data.auth || change.data.headers) await changeConnection(deps, { accountId, id: connection._id, body: change.data, current: connection });
  const saved = new Set<number>([...(plan.authIndex !== undefined ? [plan.authIndex] : []), ...plan.headerIndexes]);
  if (saved.size < found.length) warnings.push('a connection holds one credential as its auth and the others as headers: a key found in the query string beside another credential was not saved');
  return saved;
}

/** The connection's current auth in the shape of ConnectionAuth, to compare with the one found. */
function storedAuth(connection: ConnectionDoc, secret: { value?: string; token?: string; password?: string }): unknown {
  const a = connection.auth;
  if (a.type === 'bearer') return { type: 'bearer', token: secret.token };
  if (a.type === 'basic') return { type: 'basic', username: a.username, password: secret.password };
  if (a.type === 'api_key') return { type: 'api_key', in: a.in, name: a.name, value: secret.value };
  return { type: 'none' };
}
