/**
 * Turning a connection request into what is stored: the base URL normalized and checked, and the
 * credentials split into their non-secret parts (kept in the clear for display) and their secret parts
 * (sealed). Checks here need more than one field at a time, which is why they are not in the zod schema.
 */
import type { ConnectionDoc, ConnectionSecrets } from '../../../models/connection.model';
import type { ConnectionAuth } from '../../../models/connection.schema';
import type { NetworkPolicy } from '../../../core/http/network-policy';
import { checkOutboundUrl } from '../../outbound';
import type { FieldIssue } from './issues';

/**
 * `HTTPS://Shop.Example.com:443/api/` -> `https://shop.example.com/api`. Refuses credentials in the URL
 * (they belong in `auth`, where they are sealed) and a query or fragment (the activity appends the
 * endpoint path, so either would end up in the wrong place).
 */
export function normalizeBaseUrl(raw: string, issues: FieldIssue[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    issues.push({ field: 'baseUrl', message: 'must be an absolute http(s) URL' });
    return raw;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') issues.push({ field: 'baseUrl', message: 'must use https (or http)' });
  if (url.username || url.password) issues.push({ field: 'baseUrl', message: 'must not contain credentials (user:password@); put them in auth, where they are encrypted' });
  // A bare "?" or "#" leaves url.search/hash empty, so look at the text itself (neither can appear unencoded in a path).
  if (raw.includes('?') || raw.includes('#')) issues.push({ field: 'baseUrl', message: 'must not have a query string or fragment; declare query parameters on endpoints' });
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The origin (scheme, host, port) of a normalized base URL: what credentials are pinned to. */
export const originOf = (baseUrl: string): string => new URL(baseUrl).origin;

/**
 * The deployment's network policy applied to the base URL at save (api/outbound.ts): public https on the
 * public ports, anything else only inside the operator's allowlist, and private addresses only when the
 * connection asks for them (`allowPrivateNetwork`). The worker judges every resolved address again at
 * connect time.
 */
export async function checkTransport(policy: NetworkPolicy, baseUrl: string, allowPrivateNetwork: boolean, issues: FieldIssue[]): Promise<void> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return; // normalizeBaseUrl has reported it
  }
  await checkOutboundUrl(policy, url, allowPrivateNetwork, 'baseUrl', issues);
}

/** Splits `auth` into what is shown (type, header/parameter name, username) and what is sealed. */
export function splitAuth(auth: ConnectionAuth): { shown: ConnectionDoc['auth']; secret: ConnectionSecrets['auth'] } {
  switch (auth.type) {
    case 'none':
      return { shown: { type: 'none' }, secret: {} };
    case 'api_key':
      return { shown: { type: 'api_key', in: auth.in, name: auth.name }, secret: { value: auth.value } };
    case 'bearer':
      return { shown: { type: 'bearer' }, secret: { token: auth.token } };
    case 'basic':
      return { shown: { type: 'basic', username: auth.username }, secret: { password: auth.password } };
  }
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
/** Headers the HTTP client or the activity owns; a tenant value would break framing or the origin pinning. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-connection',
  'idempotency-key',
]);
// CR, LF or NUL in a header value would split or truncate the request.
const UNSAFE_VALUE = /[\r\n\0]/;

/** Checks the auth secrets that will be sent in headers or a query string. */
export function checkAuth(auth: ConnectionAuth, issues: FieldIssue[]): void {
  if (auth.type === 'api_key') {
    if (auth.in === 'header' && !HEADER_NAME.test(auth.name)) issues.push({ field: 'auth.name', message: 'must be an HTTP header name' });
    // The same reserved names as extra headers: an API key sent as `Host` or `Content-Length` would break framing.
    else if (auth.in === 'header' && RESERVED_HEADERS.has(auth.name.toLowerCase())) {
      issues.push({ field: 'auth.name', message: `"${auth.name}" is set by Parley itself and cannot be used for the API key` });
    }
    if (UNSAFE_VALUE.test(auth.value)) issues.push({ field: 'auth.value', message: 'must not contain line breaks or NUL' });
  }
  if (auth.type === 'bearer' && UNSAFE_VALUE.test(auth.token)) issues.push({ field: 'auth.token', message: 'must not contain line breaks or NUL' });
  if (auth.type === 'basic') {
    if (auth.username.includes(':')) issues.push({ field: 'auth.username', message: 'must not contain ":" (HTTP basic authentication cannot carry it)' });
    if (UNSAFE_VALUE.test(auth.username)) issues.push({ field: 'auth.username', message: 'must not contain line breaks or NUL' });
  }
}

/** Checks extra header values, and names against each other and the headers the auth sends. */
export function checkHeaders(headers: Record<string, string>, auth: ConnectionDoc['auth'], issues: FieldIssue[]): void {
  const seen = new Map<string, string>();
  const authHeader = auth.type === 'bearer' || auth.type === 'basic' ? 'authorization' : auth.type === 'api_key' && auth.in === 'header' ? auth.name?.toLowerCase() : undefined;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    const field = `headers.${name}`;
    if (seen.has(lower)) issues.push({ field, message: `repeats header "${seen.get(lower)}" (header names are case-insensitive)` });
    seen.set(lower, name);
    if (RESERVED_HEADERS.has(lower)) issues.push({ field, message: `"${name}" is set by Parley itself and cannot be overridden` });
    if (lower === authHeader) issues.push({ field, message: `"${name}" is already sent by the connection's ${auth.type} auth` });
    if (UNSAFE_VALUE.test(value)) issues.push({ field, message: 'must not contain line breaks or NUL' });
  }
}

/** Header names only, for the conflict check when `headers` is not part of an update. */
export function checkHeaderNames(names: string[], auth: ConnectionDoc['auth'], issues: FieldIssue[]): void {
  checkHeaders(Object.fromEntries(names.map((n) => [n, ''])), auth, issues);
}
