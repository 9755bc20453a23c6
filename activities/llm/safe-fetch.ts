/**
 * A WHATWG `fetch` for the openai SDK that sends through Parley's outbound HTTP path (../http/send.ts):
 * the SSRF-safe agents (every resolved address vetted at connect time, metadata addresses always
 * refused), no proxy from the environment, no redirects followed, a response size cap and a deadline.
 * The provider's base URL is tenant-supplied, so it gets exactly the protection a tenant API call gets.
 */
import type { SafeAgents } from '../http/safe-agent';
import { sendRequest, type SendFailureCode } from '../http/send';

/** Largest provider answer accepted (decompressed): far above any chat completion within maxOutputTokens. */
export const LLM_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** A transport failure, carried to the SDK as the cause of its APIConnectionError so completeChat can classify it. */
export class LlmTransportError extends Error {
  override readonly name = 'LlmTransportError';
  constructor(
    readonly code: Exclude<SendFailureCode, 'cancelled'>,
    message: string,
  ) {
    super(message);
  }
}

export interface SafeFetchOptions {
  agents: SafeAgents;
  /** A backstop deadline; the SDK's own `timeout` normally aborts first through the request's signal. */
  timeoutMs: number;
  maxResponseBytes?: number;
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

// Only what a chat completion needs leaves the worker: not the SDK's platform headers (x-stainless-*: OS,
// runtime versions) nor anything an operator set for OpenAI itself (OPENAI_ORG_ID, OPENAI_CUSTOM_HEADERS).
// `api-key` is how Azure OpenAI's classic API takes the key (a bot's `provider.auth: "azure"`).
const FORWARDED_HEADERS = new Set(['accept', 'authorization', 'api-key', 'content-type', 'user-agent']);
// The body is handed over already decompressed and re-framed, so these would describe it wrongly.
const DROPPED_RESPONSE_HEADERS = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive']);
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** Builds the fetch one OpenAI client uses; the network policy is fixed per fetch (and so per cached client). */
export function createSafeFetch(options: SafeFetchOptions): Fetch {
  return async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      if (FORWARDED_HEADERS.has(name)) headers[name] = value;
    });
    const result = await sendRequest({
      request: { method: (init.method ?? 'GET').toUpperCase(), url, headers, body: bodyText(init.body) },
      agents: options.agents,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes ?? LLM_MAX_RESPONSE_BYTES,
      ...(init.signal ? { signal: init.signal } : {}),
    });
    if (result.kind === 'failure') {
      // The SDK tells its own timeout from the caller's abort by which signal fired: it needs an AbortError.
      if (result.code === 'cancelled' || init.signal?.aborted) throw new DOMException('The LLM request was aborted.', 'AbortError');
      throw new LlmTransportError(result.code, result.message);
    }
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(result.headers)) {
      if (!DROPPED_RESPONSE_HEADERS.has(name)) responseHeaders.set(name, value);
    }
    // `Response` only takes 200-599; anything else is as unusable as a server error.
    const status = result.status >= 200 && result.status <= 599 ? result.status : 502;
    return new Response(NULL_BODY_STATUSES.has(status) ? null : result.body, { status, headers: responseHeaders });
  };
}

function bodyText(body: RequestInit['body']): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof ArrayBuffer) return Buffer.from(body).toString('utf8');
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  // Chat completions are always JSON text; a stream or form body would mean an SDK change to look at.
  throw new TypeError('unsupported request body for the LLM provider');
}
