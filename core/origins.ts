/**
 * Web origins a website binding allows the chat widget to run on: `https://shop.example.com`,
 * `http://localhost:5173`, or one wildcard level `https://*.example.com` (any subdomain, never the bare
 * domain). Written the way browsers send the `Origin` header: scheme, host, and a port only when it is
 * not the scheme's default; no path, query, fragment or credentials.
 */
import { toAsciiLabel } from './punycode';

export interface ParsedOrigin {
  /** The canonical spelling (lower case, punycode host, default port dropped). */
  origin: string;
  scheme: 'http' | 'https';
  host: string;
  port: string;
  wildcard: boolean;
}

const SHAPE = /^(https?):\/\/(\*\.)?([^/:?#@\s]+)(?::(\d{1,5}))?\/?$/i;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses an allowed origin as a developer writes it; a string explains why it is refused. */
export function parseAllowedOrigin(input: string): ParsedOrigin | string {
  const match = SHAPE.exec(input.trim());
  if (!match) return 'must be an origin such as https://shop.example.com (scheme and host, an optional port, no path)';
  const scheme = match[1]!.toLowerCase() as 'http' | 'https';
  const wildcard = match[2] !== undefined;
  let host: string;
  try {
    host = match[3]!.toLowerCase().replace(/\.$/, '').split('.').map(toAsciiLabel).join('.');
  } catch {
    return 'has a host name that is not valid';
  }
  const ipv4 = IPV4.exec(host);
  if (ipv4) {
    if (wildcard) return 'a wildcard needs a domain name, not an IP address';
    if (ipv4.slice(1).some((octet) => Number(octet) > 255)) return 'has an IP address that is not valid';
  } else {
    const labels = host.split('.');
    if (!labels.every((label) => LABEL.test(label))) return 'has a host name that is not valid';
    // `*.com` would let every site in a top-level domain embed the widget.
    if (wildcard && labels.length < 2) return 'a wildcard must cover a registered domain, such as https://*.example.com';
  }
  const defaultPort = scheme === 'https' ? '443' : '80';
  const rawPort = match[4];
  if (rawPort !== undefined && (Number(rawPort) < 1 || Number(rawPort) > 65535)) return 'has a port out of range';
  const port = rawPort === undefined || String(Number(rawPort)) === defaultPort ? '' : String(Number(rawPort));
  const origin = `${scheme}://${wildcard ? '*.' : ''}${host}${port ? `:${port}` : ''}`;
  return { origin, scheme, host, port, wildcard };
}

/**
 * Whether a request's `Origin` header is one of the allowed origins. The header is compared as browsers
 * write it (already canonical); `null` (sandboxed frames, file: pages) never matches.
 */
export function originAllowed(requestOrigin: string | undefined, allowed: readonly string[]): boolean {
  if (!requestOrigin || requestOrigin === 'null') return false;
  const request = parseAllowedOrigin(requestOrigin);
  if (typeof request === 'string' || request.wildcard) return false;
  for (const entry of allowed) {
    const rule = parseAllowedOrigin(entry);
    if (typeof rule === 'string' || rule.scheme !== request.scheme || rule.port !== request.port) continue;
    if (rule.wildcard ? request.host.endsWith(`.${rule.host}`) : rule.host === request.host) return true;
  }
  return false;
}
