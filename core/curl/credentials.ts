/**
 * Which parts of a request are credentials: the Authorization header (and `-u`, and `user:pass@` in the
 * URL), headers named like keys or tokens, cookies, and query parameters named like keys. They are lifted
 * out of the endpoint draft, reported masked, and (when asked) sealed into the connection. Erring towards
 * "credential" is the safe side: a header taken for one is reported, never stored in the endpoint.
 */
import type { ConnectionAuth } from '../../models/connection.schema';

/** A credential found in the command. `secret` holds what must never be shown. */
export interface FoundCredential {
  type: 'bearer' | 'basic' | 'api_key' | 'cookie';
  in: 'header' | 'query';
  /** The header or query parameter that carried it. */
  name: string;
  /** The value as sent (the whole header value, e.g. `Bearer abc`). */
  secret: string;
  /** For basic: the username (shown) and password (sealed). */
  username?: string;
  password?: string;
}

/** What a response says of a credential: never any part of the secret. */
export interface CredentialReport {
  type: FoundCredential['type'];
  in: FoundCredential['in'];
  name: string;
  masked: string;
  saved: boolean;
}

const MASK = '••••';
const KEY_HEADERS = new Set(['x-api-key', 'api-key', 'apikey', 'x-apikey', 'x-auth-token', 'x-access-token', 'x-token', 'private-token', 'x-auth-key', 'x-api-token', 'x-api-secret', 'authorization']);
/** A header whose last word says it carries a secret: `X-Goog-Api-Key`, `Ocp-Apim-Subscription-Key`, `X-Shopify-Access-Token`. */
const KEY_HEADER_NAME = /(?:^|[-_])(?:key|apikey|token|secret|password|passwd|signature|session|credentials?)$/i;
const KEY_QUERY = new Set(['api_key', 'apikey', 'api-key', 'key', 'token', 'access_token', 'auth', 'auth_token', 'secret', 'client_secret', 'signature', 'sig', 'password']);
const SCHEME_VALUE = /^(?:bearer|basic|token|bot|apikey|api-key|digest)\s+\S/i;

export const isCredentialHeader = (name: string, value: string): boolean => KEY_HEADERS.has(name.toLowerCase()) || KEY_HEADER_NAME.test(name) || name.toLowerCase() === 'cookie' || SCHEME_VALUE.test(value);
export const isCredentialQuery = (name: string): boolean => KEY_QUERY.has(name.toLowerCase());

/** The credential a header carries (call only when isCredentialHeader). */
export function headerCredential(name: string, value: string): FoundCredential {
  if (name.toLowerCase() === 'cookie') return { type: 'cookie', in: 'header', name: 'Cookie', secret: value };
  if (name.toLowerCase() === 'authorization') {
    const bearer = /^bearer\s+(\S.*)$/i.exec(value);
    if (bearer) return { type: 'bearer', in: 'header', name: 'Authorization', secret: bearer[1]! };
    const basic = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(value);
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) return basicCredential(decoded.slice(0, colon), decoded.slice(colon + 1));
    }
  }
  return { type: 'api_key', in: 'header', name, secret: value };
}

/** `-u user:password` (or the URL's userinfo). An empty password (`-u sk_live_...:`) makes the user name the secret. */
export function basicCredential(username: string, password: string): FoundCredential {
  return { type: 'basic', in: 'header', name: 'Authorization', secret: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`, username, password };
}

/** How a credential is shown: its kind and where it goes, never a character of the secret. */
export function masked(c: FoundCredential): string {
  if (c.type === 'bearer') return `Bearer ${MASK}`;
  if (c.type === 'basic') return c.password && usableUsername(c.username) ? `${c.username!.slice(0, 100)}:${MASK}` : `Basic ${MASK}`;
  if (c.type === 'cookie') return `${MASK} (cookies)`;
  return MASK;
}

// A basic username is stored and shown in the clear; one with ":" or a control character cannot be sent.
const usableUsername = (u: string | undefined): boolean => !!u && u.length <= 200 && !u.includes(':') && !/[\r\n\0]/.test(u);

/**
 * How the found credentials would be stored on the connection: one in its `auth` (the Authorization header
 * first, then a key header, then a key in the query), the other header credentials as its extra headers
 * (sealed like auth). A second query key has nowhere to go and is not saved.
 */
export function credentialPlan(found: FoundCredential[]): { auth?: ConnectionAuth; authIndex?: number; headers: Record<string, string>; headerIndexes: number[] } {
  const rank = (c: FoundCredential): number => (c.in === 'query' ? 2 : c.name.toLowerCase() === 'authorization' ? 0 : c.type === 'cookie' ? 3 : 1);
  const order = found.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i);
  const plan: ReturnType<typeof credentialPlan> = { headers: {}, headerIndexes: [] };
  for (const { c, i } of order) {
    if (!plan.auth && c.type !== 'cookie') {
      plan.auth = authOf(c);
      plan.authIndex = i;
    } else if (c.in === 'header') {
      plan.headers[c.name] = c.type === 'bearer' ? `Bearer ${c.secret}` : c.secret;
      plan.headerIndexes.push(i);
    }
  }
  return plan;
}

function authOf(c: FoundCredential): ConnectionAuth {
  if (c.type === 'bearer') return { type: 'bearer', token: c.secret };
  if (c.type === 'basic' && c.password && usableUsername(c.username)) return { type: 'basic', username: c.username!, password: c.password };
  // Basic with an empty password (the user name is the key), or a scheme Parley has no auth type for:
  // the whole header value, sealed as an API key sent in Authorization.
  return { type: 'api_key', in: c.in, name: c.name, value: c.secret };
}

export const reportOf = (c: FoundCredential, saved: boolean): CredentialReport => ({ type: c.type, in: c.in, name: c.name, masked: masked(c), saved });
