/**
 * `fetchOpenApiDocument`: an OpenAPI import names its document by URL, and the API never calls out
 * itself, so a short workflow runs this activity. It GETs the URL through the same safe path as every
 * tenant call (activities/http/send.ts: the network policy's agents, no redirects, a deadline and a size
 * cap) and returns the text, or why not. The document's own `$ref`s are never fetched (the API resolves
 * only references inside the document). No credentials are sent.
 */
import { OPENAPI_IMPORT_LIMITS } from '../../core/openapi-import/convert';
import { activitySignal, withHeartbeat } from './activity-context';
import type { HttpOptions } from './connection';
import { createOutboundNetwork } from './network';
import { sendRequest, type SendFailureCode } from './send';

export interface FetchOpenApiDocumentInput {
  accountId: string;
  url: string;
  /** The caller asked for a private or loopback address (honoured only inside the deployment's allowlist). */
  allowPrivateNetwork: boolean;
}

export type FetchOpenApiDocumentResult =
  | { ok: true; text: string; url: string }
  | { ok: false; code: SendFailureCode | 'invalid_url' | 'redirect' | 'http_error'; status?: number; message: string };

const TIMEOUT_MS = 15_000;

export function createDocumentActivities(deps: { http?: HttpOptions }) {
  const network = deps.http?.network ?? createOutboundNetwork();
  return {
    async fetchOpenApiDocument(input: FetchOpenApiDocumentInput): Promise<FetchOpenApiDocumentResult> {
      let url: URL;
      try {
        url = new URL(input.url);
      } catch {
        return { ok: false, code: 'invalid_url', message: 'The URL is not valid.' };
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, code: 'invalid_url', message: 'The URL must be http or https.' };
      url.hash = '';
      const result = await withHeartbeat(
        sendRequest({
          request: { method: 'GET', url: url.toString(), headers: { accept: 'application/json, application/yaml;q=0.9, text/yaml;q=0.9, */*;q=0.5' } },
          agents: network.agents(input.allowPrivateNetwork),
          timeoutMs: TIMEOUT_MS,
          maxResponseBytes: OPENAPI_IMPORT_LIMITS.urlDocumentBytes,
          signal: activitySignal(),
        }),
      );
      if (result.kind === 'failure') {
        const message = result.code === 'too_large' ? `The document is larger than ${OPENAPI_IMPORT_LIMITS.urlDocumentBytes} bytes.` : result.message;
        return { ok: false, code: result.code, message };
      }
      if (result.status >= 300 && result.status < 400) return { ok: false, code: 'redirect', status: result.status, message: `The server answered with a redirect (HTTP ${result.status}), which is not followed: give the final URL.` };
      if (result.status < 200 || result.status >= 300) return { ok: false, code: 'http_error', status: result.status, message: `The server answered HTTP ${result.status}.` };
      return { ok: true, text: result.body, url: url.toString() };
    },
  };
}
