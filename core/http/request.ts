/**
 * Builds the one request an endpoint call sends, from the endpoint's definition and the call's values.
 * Values never choose where the request goes: the URL is the connection's base URL with the rendered
 * path appended (never a URL resolved from a value), path values are percent-encoded and may not be or
 * become `.`/`..` or carry a separator, and the result is checked to keep the base URL's origin and path.
 */
import type { EndpointParameter } from '../../models/connection.schema';
import type { VariableValue } from '../../models/flow.schema';
import { parameterValue, RequestRenderError, type Scalar } from './values';

export { RequestRenderError, type RequestErrorCode } from './values';

export interface RenderRequestInput {
  /** The connection's base URL: origin and optional base path, e.g. `https://api.example.com/v2`. */
  baseUrl: string;
  endpoint: { method: string; path: string; parameters: EndpointParameter[]; bodyTemplate?: unknown };
  values: Record<string, VariableValue>;
}

/** A request ready to send (before auth is applied). */
export interface RenderedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
// Framing and hop-by-hop headers belong to the HTTP client; a parameter may not set them.
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade', 'expect', 'proxy-authorization', 'proxy-connection']);
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/** Throws RequestRenderError for a missing or mistyped value, a hostile path value, or a bad endpoint. */
export function renderRequest({ baseUrl, endpoint, values }: RenderRequestInput): RenderedRequest {
  const base = parseBase(baseUrl);
  const typed = new Map<string, Scalar>();
  for (const parameter of endpoint.parameters) {
    const value = parameterValue(parameter, values);
    if (value !== undefined) typed.set(parameter.name, value);
  }
  const byName = new Map(endpoint.parameters.map((p) => [p.name, p]));

  const path = renderPath(endpoint.path, byName, typed);
  const query = new URLSearchParams(base.search);
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const parameter of endpoint.parameters) {
    const value = typed.get(parameter.name);
    if (value === undefined) continue;
    if (parameter.in === 'query') query.append(parameter.name, String(value));
    if (parameter.in === 'header') headers[parameter.name.toLowerCase()] = headerValue(parameter.name, value);
  }

  const basePath = base.pathname.replace(/\/+$/, '');
  const search = query.toString();
  const url = `${base.origin}${basePath}${path}${search ? `?${search}` : ''}`;
  assertWithinBase(url, base.origin, basePath);

  const body = renderBody(endpoint, byName, typed);
  if (body !== undefined) headers['content-type'] = 'application/json';
  return { method: endpoint.method, url, headers, ...(body !== undefined ? { body } : {}) };
}

function parseBase(baseUrl: string): URL {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new RequestRenderError('bad_endpoint', 'The connection has an invalid base URL.');
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new RequestRenderError('bad_endpoint', 'The connection must use http or https.');
  return base;
}

function renderPath(template: string, byName: Map<string, EndpointParameter>, typed: Map<string, Scalar>): string {
  if (!template.startsWith('/')) throw new RequestRenderError('bad_endpoint', 'The endpoint path must start with /.');
  if (template.split(/[\\/]/).some(isDotSegment)) throw new RequestRenderError('bad_endpoint', 'The endpoint path may not contain . or .. segments.');
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const parameter = byName.get(name);
    if (!parameter || parameter.in !== 'path') throw new RequestRenderError('bad_endpoint', `The endpoint path uses {${name}}, which is not a path parameter.`);
    const value = typed.get(name);
    if (value === undefined) throw new RequestRenderError('missing_value', `A value for "${name}" is required.`, name);
    return pathSegment(name, String(value));
  });
}

/** One encoded path segment; refuses values that are or decode to `.`/`..`, or hold a separator. */
function pathSegment(name: string, value: string): string {
  const refuse = (): never => {
    throw new RequestRenderError('invalid_value', `The value for "${name}" is not allowed in a URL path.`, name);
  };
  // Check every decoding of the value too: a server or proxy that decodes twice must not see a traversal.
  let decoded = value;
  for (let i = 0; i < 4; i++) {
    if (decoded === '' || isDotSegment(decoded) || /[\\/]/.test(decoded)) refuse();
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      break; // not percent-encoded text (e.g. "100%"): it is encoded below as it stands
    }
    if (next === decoded) break;
    decoded = next;
  }
  try {
    return encodeURIComponent(value);
  } catch {
    return refuse(); // a lone surrogate cannot be encoded
  }
}

function isDotSegment(segment: string): boolean {
  const s = segment.toLowerCase().replaceAll('%2e', '.');
  return s === '.' || s === '..';
}

function headerValue(name: string, value: Scalar): string {
  if (RESERVED_HEADERS.has(name.toLowerCase())) throw new RequestRenderError('bad_endpoint', `The header "${name}" cannot be set by a parameter.`, name);
  const text = String(value);
  if (!HEADER_VALUE.test(text) || text.length > 4096) throw new RequestRenderError('invalid_value', `The value for "${name}" is not allowed in a header.`, name);
  return text;
}

/** Belt and braces: the parsed URL keeps the base's origin and lies under its path. */
function assertWithinBase(url: string, origin: string, basePath: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RequestRenderError('bad_endpoint', 'The request URL is not valid.');
  }
  if (parsed.origin !== origin || !parsed.pathname.startsWith(`${basePath}/`)) {
    throw new RequestRenderError('bad_endpoint', 'The request would leave the connection base URL.');
  }
}

const OMIT = Symbol('omit');
const WHOLE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;
const INLINE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

function renderBody(endpoint: RenderRequestInput['endpoint'], byName: Map<string, EndpointParameter>, typed: Map<string, Scalar>): string | undefined {
  if (endpoint.bodyTemplate !== undefined && endpoint.bodyTemplate !== null) {
    const lookup = (name: string): Scalar | undefined => {
      if (!byName.has(name)) throw new RequestRenderError('bad_endpoint', `The body template uses {{${name}}}, which is not a parameter.`);
      return typed.get(name);
    };
    const rendered = fill(endpoint.bodyTemplate, lookup);
    return JSON.stringify(rendered === OMIT ? null : rendered);
  }
  const entries = endpoint.parameters.filter((p) => p.in === 'body' && typed.has(p.name)).map((p) => [p.name, typed.get(p.name)] as const);
  if (!endpoint.parameters.some((p) => p.in === 'body')) return undefined;
  return JSON.stringify(Object.fromEntries(entries));
}

/**
 * The template with placeholders filled. `"{{x}}"` alone becomes x's typed value (an optional value left
 * out drops the object key, or is null in an array); inside longer text it is interpolated as text ('' if
 * left out). JSON.stringify does the escaping, so a value can never change the body's structure.
 */
function fill(node: unknown, lookup: (name: string) => Scalar | undefined): unknown {
  if (typeof node === 'string') {
    const whole = WHOLE.exec(node);
    if (whole) return lookup(whole[1]!) ?? OMIT;
    return node.replace(INLINE, (_m, name: string) => String(lookup(name) ?? ''));
  }
  if (Array.isArray(node)) return node.map((item) => fill(item, lookup)).map((item) => (item === OMIT ? null : item));
  if (node !== null && typeof node === 'object') {
    // fromEntries defines own properties, so a "__proto__" key stays data and never touches a prototype.
    return Object.fromEntries(
      Object.entries(node)
        .map(([key, value]) => [key, fill(value, lookup)] as const)
        .filter(([, value]) => value !== OMIT),
    );
  }
  return node;
}
