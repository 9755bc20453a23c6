/**
 * Sends one request to a tenant API and reports what happened as plain data: a response (any status), or
 * a classified failure. Every outbound call goes through here, with the same guarantees: the safe agents
 * (no private or metadata addresses unless allowed), no proxy from the environment (a proxy would be
 * vetted instead of the target), no redirects followed (credentials would travel to the new location),
 * a wall-clock deadline, and a cap on the response size (decompressed).
 */
import axios, { type AxiosResponse } from 'axios';
import type { RenderedRequest } from '../../core/http/request';
import type { SafeAgents } from './safe-agent';

export type SendFailureCode = 'blocked_address' | 'timeout' | 'dns' | 'refused' | 'tls' | 'too_large' | 'network' | 'cancelled';

export type SendResult =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: string; durationMs: number }
  | { kind: 'failure'; code: SendFailureCode; message: string; detail: string; durationMs: number };

export interface SendOptions {
  request: RenderedRequest;
  /** The agents of the network policy that applies (activities/http/network.ts). */
  agents: SafeAgents;
  timeoutMs: number;
  maxResponseBytes: number;
  /** Aborts the request (an activity's cancellation signal). */
  signal?: AbortSignal;
}

export async function sendRequest(options: SendOptions): Promise<SendResult> {
  const started = Date.now();
  const elapsed = (): number => Date.now() - started;
  const early = vetUrl(options.request.url, options.agents);
  if (early) return { kind: 'failure', code: 'blocked_address', message: early, detail: early, durationMs: 0 };

  // axios' `timeout` is an idle timeout once connected; this deadline bounds the whole exchange.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline.signal, options.signal]) : deadline.signal;
  try {
    const response: AxiosResponse<ArrayBuffer> = await axios.request({
      method: options.request.method,
      url: options.request.url,
      headers: options.request.headers,
      data: options.request.body,
      httpAgent: options.agents.http,
      httpsAgent: options.agents.https,
      proxy: false,
      maxRedirects: 0,
      timeout: options.timeoutMs,
      signal,
      maxContentLength: options.maxResponseBytes,
      maxBodyLength: options.maxResponseBytes,
      responseType: 'arraybuffer',
      transformResponse: [],
      validateStatus: () => true,
    });
    return { kind: 'response', status: response.status, headers: flatHeaders(response.headers), body: Buffer.from(response.data).toString('utf8'), durationMs: elapsed() };
  } catch (error) {
    const code = deadline.signal.aborted ? 'timeout' : classify(error);
    return { kind: 'failure', code, message: FAILURE_MESSAGES[code], detail: errorDetail(error), durationMs: elapsed() };
  } finally {
    clearTimeout(timer);
  }
}

const FAILURE_MESSAGES: Record<SendFailureCode, string> = {
  blocked_address: 'The service address is not allowed.',
  timeout: 'The service did not answer in time.',
  dns: 'The service name could not be resolved.',
  refused: 'The service refused the connection.',
  tls: 'A secure connection to the service could not be established.',
  too_large: 'The service answered with more data than allowed.',
  network: 'The connection to the service failed.',
  cancelled: 'The call was cancelled.',
};

/** Refuses before connecting what the policy can judge from the URL alone: scheme, port, an IP-literal host. */
function vetUrl(url: string, agents: SafeAgents): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'The service URL is not valid.';
  }
  // WHATWG parsing has already turned 2130706433, 0x7f000001 and 0177.0.0.1 into 127.0.0.1 here.
  const refused = agents.vetUrl(parsed);
  return refused === undefined ? undefined : `${FAILURE_MESSAGES.blocked_address} (${refused})`;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|EPROTO$|ERR_OSSL_)/;

function classify(error: unknown): SendFailureCode {
  const codes = errorCodes(error);
  if (codes.includes('ERR_BLOCKED_ADDRESS')) return 'blocked_address';
  if (codes.some((c) => c === 'ERR_CANCELED')) return 'cancelled';
  if (codes.some((c) => c === 'ECONNABORTED' || c === 'ETIMEDOUT')) return 'timeout';
  if (codes.some((c) => DNS_CODES.has(c))) return 'dns';
  if (codes.includes('ECONNREFUSED')) return 'refused';
  if (codes.some((c) => TLS_CODES.test(c))) return 'tls';
  if (error instanceof Error && /maxContentLength|maxBodyLength/.test(error.message)) return 'too_large';
  return 'network';
}

/** Every `code` on the error, its causes and (for Happy Eyeballs' AggregateError) its parts. */
function errorCodes(error: unknown, depth = 0): string[] {
  if (!error || typeof error !== 'object' || depth > 5) return [];
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof e.code === 'string' ? [e.code] : [];
  const parts = Array.isArray(e.errors) ? e.errors.flatMap((part) => errorCodes(part, depth + 1)) : [];
  return [...own, ...errorCodes(e.cause, depth + 1), ...parts];
}

/** For the call log only: the error's message and code (never its config, which holds the headers). */
function errorDetail(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const codes = [...new Set(errorCodes(error))].join(', ');
  return `${error.message}${codes ? ` (${codes})` : ''}`;
}

function flatHeaders(headers: AxiosResponse['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}
