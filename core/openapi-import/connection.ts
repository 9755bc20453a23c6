/**
 * The connection a document describes: its servers (3.x `servers` with the variables' defaults
 * substituted; 2.0 `schemes` × `host` + `basePath`), and its auth mapped from the security schemes
 * onto the connection's auth kinds, secrets left empty. What a connection cannot hold is reported.
 */
import { clip, isObject, text, type Json } from './schemas';
import type { ConnectionDraft, DraftAuth, ServerOption, UnsupportedAuth } from './types';

export function connectionDraft(doc: Json, documentUrl: string | undefined, notes: string[]): ConnectionDraft {
  const servers = doc.swagger === '2.0' ? swaggerServers(doc, documentUrl) : openApiServers(doc, documentUrl);
  const usable = servers.filter((s) => s.usable);
  const chosen = usable.find((s) => s.url.startsWith('https:')) ?? usable[0];
  if (servers.length > 1) notes.push(`the document lists ${servers.length} servers; server ${chosen?.index ?? 'none'} is used (choose another with connection.server)`);
  const info = isObject(doc.info) ? doc.info : {};
  return {
    name: clip(text(info.title) || 'Imported API', 100),
    baseUrl: chosen?.url ?? null,
    servers,
    server: chosen?.index ?? null,
    ...authOf(doc, notes),
  };
}

function openApiServers(doc: Json, documentUrl: string | undefined): ServerOption[] {
  const list = Array.isArray(doc.servers) && doc.servers.length > 0 ? doc.servers : [{ url: '/' }];
  return list.filter(isObject).map((server, index) => {
    let url = text(server.url);
    const variables = isObject(server.variables) ? server.variables : {};
    url = url.replace(/\{([^{}]+)\}/g, (whole, name: string) => {
      const variable = variables[name];
      return isObject(variable) && typeof variable.default === 'string' ? variable.default : whole;
    });
    return option(index, url, text(server.description), documentUrl);
  });
}

function swaggerServers(doc: Json, documentUrl: string | undefined): ServerOption[] {
  const from = documentUrl ? new URL(documentUrl) : undefined;
  const host = text(doc.host) || from?.host;
  if (!host) return [{ index: 0, url: text(doc.basePath) || '/', description: '', usable: false, note: 'the document names no host: give connection.baseUrl' }];
  const schemes = Array.isArray(doc.schemes) && doc.schemes.length > 0 ? doc.schemes.filter((s): s is string => s === 'https' || s === 'http') : [from?.protocol.replace(':', '') ?? 'https'];
  const basePath = text(doc.basePath);
  return schemes.map((scheme, index) => option(index, `${scheme}://${host}${basePath.startsWith('/') ? basePath : `/${basePath}`}`, '', undefined));
}

function option(index: number, raw: string, description: string, documentUrl: string | undefined): ServerOption {
  let url: URL;
  try {
    url = documentUrl ? new URL(raw, documentUrl) : new URL(raw);
  } catch {
    return { index, url: raw, description, usable: false, note: /^[a-z][a-z0-9+.-]*:/i.test(raw) ? 'not a valid URL' : 'a relative URL (relative to where the document is served): give connection.baseUrl' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { index, url: raw, description, usable: false, note: 'not an http(s) URL' };
  if (/%7B|\{/i.test(url.href)) return { index, url: raw, description, usable: false, note: 'a server variable has no default' };
  url.search = '';
  url.hash = '';
  const href = url.href.replace(/\/+$/, '');
  return { index, url: href, description, usable: true };
}

/** The security schemes in preference order: those the document requires first, then the others. */
function schemesOf(doc: Json): Array<[string, Json]> {
  const declared = doc.swagger === '2.0' ? doc.securityDefinitions : isObject(doc.components) ? doc.components.securitySchemes : undefined;
  if (!isObject(declared)) return [];
  const required = (Array.isArray(doc.security) ? doc.security : []).filter(isObject).flatMap((requirement) => Object.keys(requirement));
  const names = [...new Set([...required, ...Object.keys(declared)])].filter((name) => isObject(declared[name]));
  return names.map((name) => [name, declared[name] as Json]);
}

type Mapped = { auth: Exclude<DraftAuth, { type: 'none' }> } | { unsupported: string };

function mapScheme(scheme: Json): Mapped {
  const type = text(scheme.type);
  if (type === 'apiKey') {
    const where = text(scheme.in);
    const name = text(scheme.name);
    if ((where === 'header' || where === 'query') && name) return { auth: { type: 'api_key', in: where, name, value: '' } };
    return { unsupported: where === 'cookie' ? 'a key sent in a cookie is not supported: add a Cookie header to the connection by hand' : 'an API key without a name or place' };
  }
  if (type === 'basic') return { auth: { type: 'basic', username: '', password: '' } };
  if (type === 'http') {
    const kind = text(scheme.scheme).toLowerCase();
    if (kind === 'bearer') return { auth: { type: 'bearer', token: '' } };
    if (kind === 'basic') return { auth: { type: 'basic', username: '', password: '' } };
    return { unsupported: `HTTP "${kind}" authentication is not supported` };
  }
  if (type === 'oauth2' || type === 'openIdConnect') return { unsupported: `${type === 'oauth2' ? 'OAuth 2.0' : 'OpenID Connect'} flows are not supported: get an access token yourself and use bearer auth` };
  return { unsupported: `"${type}" security is not supported` };
}

function authOf(doc: Json, notes: string[]): Pick<ConnectionDraft, 'auth' | 'headers' | 'unsupportedAuth'> {
  let auth: DraftAuth = { type: 'none' };
  const headers: Record<string, string> = {};
  const unsupportedAuth: UnsupportedAuth[] = [];
  for (const [name, scheme] of schemesOf(doc)) {
    const mapped = mapScheme(scheme);
    if ('unsupported' in mapped) unsupportedAuth.push({ scheme: name, type: text(scheme.type), note: mapped.unsupported });
    else if (auth.type === 'none') auth = mapped.auth;
    else if (mapped.auth.type === 'api_key' && mapped.auth.in === 'header' && Object.keys(headers).length < 20) headers[mapped.auth.name] = '';
    else notes.push(`the security scheme "${name}" (${mapped.auth.type}) is not used: a connection holds one auth`);
  }
  return { auth, headers, unsupportedAuth };
}
