/**
 * A connection's credentials and extra headers applied to a rendered request. Credentials go on last,
 * so neither a header parameter nor an extra header can replace them. Also says which header and query
 * names carry secrets and which strings are secret, for masking in call logs.
 */
import type { RenderedRequest } from './request';
import { RequestRenderError } from './values';

/** The connection's non-secret auth description (as stored on the connection). */
export interface AuthSettings {
  type: 'none' | 'api_key' | 'bearer' | 'basic';
  in?: 'header' | 'query';
  name?: string;
  username?: string;
}

/** The connection's opened secrets (the same shape as models/connection.model's ConnectionSecrets). */
export interface AuthSecrets {
  auth: { value?: string; token?: string; password?: string };
  headers: Record<string, string>;
}

export interface AuthorizedRequest {
  request: RenderedRequest;
  /** Lower-case header names whose values are secret. */
  secretHeaders: string[];
  /** Every secret string (including derived ones such as the Basic credential), for masking. */
  secretValues: string[];
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

export function applyAuth(request: RenderedRequest, auth: AuthSettings, secrets: AuthSecrets): AuthorizedRequest {
  const headers = { ...request.headers };
  let url = request.url;
  const secretHeaders: string[] = [];
  const secretValues: string[] = [];

  for (const [name, value] of Object.entries(secrets.headers ?? {})) {
    setHeader(headers, name, value);
    secretHeaders.push(name.toLowerCase());
    secretValues.push(value);
  }

  switch (auth.type) {
    case 'none':
      break;
    case 'api_key': {
      const value = required(secrets.auth.value);
      const name = auth.name ?? '';
      if (auth.in === 'query') {
        if (!name) throw incomplete();
        const parsed = new URL(url);
        parsed.searchParams.set(name, value);
        url = parsed.toString();
      } else {
        setHeader(headers, name, value);
        secretHeaders.push(name.toLowerCase());
      }
      secretValues.push(value);
      break;
    }
    case 'bearer': {
      const token = required(secrets.auth.token);
      setHeader(headers, 'authorization', `Bearer ${token}`);
      secretHeaders.push('authorization');
      secretValues.push(token);
      break;
    }
    case 'basic': {
      const password = required(secrets.auth.password);
      const credential = base64(`${auth.username ?? ''}:${password}`);
      setHeader(headers, 'authorization', `Basic ${credential}`);
      secretHeaders.push('authorization');
      secretValues.push(password, credential);
      break;
    }
  }
  return { request: { ...request, url, headers }, secretHeaders: [...new Set(secretHeaders)], secretValues };
}

function setHeader(headers: Record<string, string>, name: string, value: string): void {
  if (!TOKEN.test(name) || !HEADER_VALUE.test(value)) throw new RequestRenderError('bad_endpoint', 'The connection has an invalid header.');
  headers[name.toLowerCase()] = value;
}

function required(secret: string | undefined): string {
  if (!secret) throw incomplete();
  return secret;
}

function incomplete(): RequestRenderError {
  return new RequestRenderError('bad_endpoint', "The connection's credentials are incomplete.");
}

/** Base64 of the UTF-8 bytes (RFC 7617 with charset UTF-8), without Buffer so this stays pure. */
function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
