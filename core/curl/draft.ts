/**
 * A cURL command turned into a draft endpoint of a connection: the path relative to the connection's base
 * URL (kept literal: an id in it is not guessed into a parameter), query parameters and JSON body fields
 * as typed parameters with the command's values as examples, other headers as constant header parameters,
 * and every credential lifted out (core/curl/credentials.ts) and never put in the draft. Pure: the API
 * route validates the draft and saves the credentials if asked.
 */
import type { CreateEndpointBody, EndpointParameter } from '../../models/connection.schema';
import { basicCredential, headerCredential, isCredentialHeader, isCredentialQuery, type FoundCredential } from './credentials';
import { bodyOf } from './body';
import { CurlImportError } from './errors';
import { readOptions, type CurlRequest } from './options';
import { parameter, PARAMETER_NAME, type Params } from './parameters';
import { shellWords } from './shell-words';

export interface CurlDraft {
  endpoint: CreateEndpointBody;
  credentials: FoundCredential[];
  warnings: string[];
}

type Method = CreateEndpointBody['method'];
type Draft = Omit<CreateEndpointBody, 'parameters'> & { parameters: EndpointParameter[] };

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** Headers a browser or curl adds, or that the HTTP client owns: they say nothing about the endpoint. */
const DROPPED_HEADERS = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect', 'accept-encoding', 'accept-language', 'user-agent', 'referer', 'origin', 'cache-control', 'pragma', 'dnt', 'priority', 'upgrade-insecure-requests', 'if-none-match', 'if-modified-since', 'content-type', 'idempotency-key', 'proxy-authorization', 'proxy-connection']);
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
const MAX_PARAMETERS = 50;

/** Parses `command` and drafts an endpoint of the connection at `baseUrl` (normalized, as stored). */
export function draftFromCurl({ command, baseUrl }: { command: string; baseUrl: string }): CurlDraft {
  const request = readOptions(shellWords(command).slice(1));
  const warnings = [...request.warnings];
  const credentials: FoundCredential[] = [];
  const url = targetUrl(request, baseUrl);
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const path = url.pathname.slice(basePath.length) || '/';
  if (path.length > 500) throw new CurlImportError('the URL path is longer than 500 characters');

  // -u wins over the URL's user:password@, and an explicit Authorization header over both (as in curl).
  const user = request.user ?? (url.username ? `${decodeSafe(url.username)}:${decodeSafe(url.password)}` : undefined);
  const hasAuthorization = request.headers.some((h) => h.name.toLowerCase() === 'authorization');
  if (user !== undefined && !hasAuthorization) {
    const colon = user.indexOf(':');
    if (colon < 0) throw new CurlImportError('-u gives a user name without a password (curl would ask for it); give "user:password"');
    credentials.push(basicCredential(user.slice(0, colon), user.slice(colon + 1)));
  } else if (user !== undefined) warnings.push('-u was overridden by the Authorization header (as curl does)');

  const method = methodOf(request);
  const contentType = [...request.headers].reverse().find((h) => h.name.toLowerCase() === 'content-type')?.value;
  const data = joinData(request);
  const query = new URLSearchParams(url.search);
  if (request.get && data !== undefined) for (const [k, v] of new URLSearchParams(data)) query.append(k, v);

  const parameters: EndpointParameter[] = [];
  const taken = new Set<string>();
  let full = false;
  const add = (p: EndpointParameter): boolean => {
    if (taken.has(p.name)) return false;
    taken.add(p.name);
    // An endpoint declares at most 50 parameters: the rest are left out (said once), never a draft that fails.
    if (parameters.length >= MAX_PARAMETERS) {
      if (!full) warnings.push(`an endpoint has at most ${MAX_PARAMETERS} parameters; the command's further parameters were left out`);
      full = true;
      return false;
    }
    parameters.push(p);
    return true;
  };
  const params: Params = { add, has: (name) => taken.has(name), full: () => full };

  // Query parameters, in order; a repeated one is declared once.
  const seen = new Set<string>();
  for (const [name, value] of query) {
    if (isCredentialQuery(name)) {
      credentials.push({ type: 'api_key', in: 'query', name, secret: value });
      continue;
    }
    if (seen.has(name)) {
      warnings.push(`query parameter "${name.slice(0, 64)}" is repeated; it is declared once`);
      continue;
    }
    seen.add(name);
    if (!PARAMETER_NAME.test(name)) warnings.push(`query parameter "${name.slice(0, 64)}" cannot be a parameter name (letters, digits, _ and -) and was left out`);
    else params.add(parameter(name, value, 'query'));
  }

  // Cookies (-b and Cookie headers) are one credential; of a header repeated, the last one counts.
  const cookies: string[] = [];
  const byName = new Map<string, FoundCredential>();
  for (const { name, value } of request.headers) {
    const lower = name.toLowerCase();
    if (lower === 'cookie') cookies.push(value);
    else if (isCredentialHeader(name, value) && !DROPPED_HEADERS.has(lower)) {
      if (byName.has(lower)) warnings.push(`header "${name.slice(0, 64)}" is repeated; the last one is kept`);
      byName.delete(lower);
      byName.set(lower, headerCredential(name, value));
    }
  }
  credentials.push(...byName.values());
  if (cookies.length > 0) credentials.push(headerCredential('Cookie', cookies.join('; ')));
  const droppedHeaders = addHeaderParameters(request, params, warnings);
  if (droppedHeaders.length > 0) warnings.push(`headers left out (the HTTP client sets them, or a browser added them): ${[...new Set(droppedHeaders)].join(', ')}`);

  let bodyTemplate: unknown;
  if (data !== undefined && !request.get) bodyTemplate = bodyOf(data, contentType, params, warnings);
  if (url.hash) warnings.push('the URL fragment (#...) was left out: it is never sent');

  const endpoint: Draft = {
    name: `${method} ${path}`.slice(0, 100),
    description: 'Imported from a cURL command.',
    method,
    path,
    parameters,
    ...(bodyTemplate !== undefined && { bodyTemplate }),
    responseFields: [],
    validations: [],
    sideEffects: method !== 'GET',
    retry: { maxAttempts: 3, initialIntervalMs: 500 },
  };
  return { endpoint, credentials, warnings };
}

function targetUrl(request: CurlRequest, baseUrl: string): URL {
  // curl reads a URL without a scheme as http://.
  const text = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(request.url) ? request.url : `http://${request.url}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CurlImportError('the URL is not a valid http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CurlImportError('the URL is not a valid http(s) URL');
  if (!request.globOff && /[{}[\]]/.test(decodeSafe(request.url.slice(url.origin.length)))) {
    throw new CurlImportError('the URL has curl globbing ({a,b} or [1-3]), which would make several requests; add -g if the characters are meant literally');
  }
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  if (url.origin !== base.origin) {
    throw new CurlImportError(`the URL is not on the connection's origin ${base.origin}${request.url.includes('://') ? '' : ' (curl reads a URL without a scheme as http://)'}`, 'origin_mismatch');
  }
  if (basePath && url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) {
    throw new CurlImportError(`the URL is not under the connection's base path ${basePath}`, 'origin_mismatch');
  }
  return url;
}

const decodeSafe = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

function methodOf(request: CurlRequest): Method {
  const given = request.method?.toUpperCase();
  const method = given ?? (request.data.length > 0 && !request.get ? 'POST' : 'GET');
  if (!METHODS.has(method)) throw new CurlImportError(`the method ${method.slice(0, 20)} is not supported (endpoints use GET, POST, PUT, PATCH or DELETE)`);
  return method as Method;
}

/** The data as curl sends it: `-d` pieces joined with `&`, `--json` pieces appended. */
function joinData(request: CurlRequest): string | undefined {
  if (request.data.length === 0) return undefined;
  return request.data.reduce((out, piece, i) => (i === 0 ? piece.text : `${out}${piece.json ? '' : '&'}${piece.text}`), '');
}

/** Non-credential headers become constant header parameters; returns the names of those left out. */
function addHeaderParameters(request: CurlRequest, params: Params, warnings: string[]): string[] {
  const dropped: string[] = [];
  const last = new Map<string, { name: string; value: string }>();
  for (const h of request.headers) last.set(h.name.toLowerCase(), h);
  for (const [lower, { name, value }] of last) {
    if (DROPPED_HEADERS.has(lower) || lower.startsWith('sec-') || (lower === 'accept' && /^(?:\*\/\*|application\/json)$|text\/html/i.test(value))) {
      dropped.push(name.slice(0, 64));
      continue;
    }
    if (lower === 'cookie' || isCredentialHeader(name, value)) continue;
    if (!PARAMETER_NAME.test(name) || !HEADER_VALUE.test(value) || value.length > 2000) {
      warnings.push(`header "${name.slice(0, 64)}" cannot be a header parameter (its name or value) and was left out`);
      continue;
    }
    const constant: EndpointParameter = { name, type: 'string', in: 'header', required: true, description: 'Sent as in the cURL command.', source: 'constant', constant: value };
    if (!params.add(constant) && !params.full()) warnings.push(`header "${name}" has the name of another parameter and was left out`);
  }
  return dropped;
}

