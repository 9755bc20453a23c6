/**
 * `testConnection` (the connection's Test Connection button): a GET to the base URL with the connection's
 * auth, through the same safe path as every call, logged as `connection_test`. It never throws for the
 * tenant's side: it says plainly what failed, so the person setting up the connection can fix it.
 *
 * "Works" means the server answered and did not refuse the credentials: any status below 500 except
 * redirects, 401 and 403 (a base URL often answers 404, which still proves reachability and auth).
 */
import { applyAuth, type AuthorizedRequest } from '../../core/http/auth';
import { createMasker } from '../../core/http/mask';
import { RequestRenderError, type RenderedRequest } from '../../core/http/request';
import { activitySignal, withHeartbeat } from './activity-context';
import { buildCallLog, writeCallLog } from './call-log';
import { loadConnection, type HttpContext } from './connection';
import { sendRequest, type SendResult } from './send';

export interface TestConnectionInput {
  accountId: string;
  connectionId: string;
}

export type TestConnectionFailureCode = 'dns' | 'refused' | 'tls' | 'unauthorized' | 'forbidden' | 'timeout' | 'blocked_address' | 'http_error' | 'not_found';

export type TestConnectionResult = { ok: true; status: number; durationMs: number } | { ok: false; code: TestConnectionFailureCode; message: string };

export function createTestConnection(context: HttpContext) {
  return async function testConnection(input: TestConnectionInput): Promise<TestConnectionResult> {
    const loaded = await loadConnection(context, input.accountId, input.connectionId);
    if ('error' in loaded) {
      return loaded.error === 'not_found'
        ? { ok: false, code: 'not_found', message: 'No such connection.' }
        : { ok: false, code: 'unauthorized', message: 'The stored credentials could not be decrypted; enter them again.' };
    }
    const { connection, secrets } = loaded;
    let authorized: AuthorizedRequest;
    try {
      const base = new URL(connection.baseUrl);
      base.hash = '';
      const request: RenderedRequest = { method: 'GET', url: base.toString(), headers: { accept: 'application/json' } };
      authorized = applyAuth(request, connection.auth, secrets);
    } catch (error) {
      const message = error instanceof RequestRenderError ? error.message : 'The base URL is not valid.';
      return { ok: false, code: 'http_error', message };
    }
    const result = await withHeartbeat(
      sendRequest({
        request: authorized.request,
        ...context.network(connection),
        timeoutMs: connection.timeoutMs,
        maxResponseBytes: context.maxResponseBytes,
        signal: activitySignal(),
      }),
    );
    const outcome = judge(result, connection.timeoutMs);
    await writeCallLog(
      context.models.CallLog,
      buildCallLog({
        accountId: input.accountId,
        connectionId: connection._id,
        kind: 'connection_test',
        request: authorized.request,
        secretHeaders: authorized.secretHeaders,
        mask: createMasker(authorized.secretValues),
        result,
        success: outcome.ok,
        ...(outcome.ok ? {} : { error: `${outcome.code}: ${result.kind === 'failure' ? result.detail : outcome.message}` }),
      }),
    );
    return outcome;
  };
}

function judge(result: SendResult, timeoutMs: number): TestConnectionResult {
  if (result.kind === 'failure') {
    switch (result.code) {
      case 'dns':
        return { ok: false, code: 'dns', message: 'The host name could not be found (DNS). Check the base URL.' };
      case 'refused':
        return { ok: false, code: 'refused', message: 'The server refused the connection. Check the host and port, and that the service is running.' };
      case 'tls':
        return { ok: false, code: 'tls', message: "The secure (TLS) connection failed: the server's certificate is not valid for this host or not trusted." };
      case 'timeout':
        return { ok: false, code: 'timeout', message: `The server did not answer within ${timeoutMs} ms.` };
      case 'blocked_address':
        return { ok: false, code: 'blocked_address', message: 'The base URL points to a private, loopback or reserved address (or uses plain http), which this connection may not reach.' };
      case 'too_large':
        return { ok: false, code: 'http_error', message: 'The server answered with more data than allowed.' };
      case 'network':
      case 'cancelled':
        return { ok: false, code: 'refused', message: 'The connection to the server was interrupted (reset or closed).' };
    }
  }
  const { status } = result;
  if (status === 401) return { ok: false, code: 'unauthorized', message: 'The server rejected the credentials (HTTP 401). Check the API key, token or password.' };
  if (status === 403) return { ok: false, code: 'forbidden', message: 'The credentials were accepted but lack permission (HTTP 403).' };
  if (status >= 300 && status < 400) return { ok: false, code: 'http_error', message: `The server answered with a redirect (HTTP ${status}), which is not followed. Use the final URL as the base URL.` };
  if (status >= 500) return { ok: false, code: 'http_error', message: `The server answered with an error (HTTP ${status}).` };
  return { ok: true, status, durationMs: result.durationMs };
}
