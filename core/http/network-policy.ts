/**
 * Where tenant-configured traffic may go: connections, webhooks, Smart AI providers, anything that
 * fetches a URL a tenant gave. Accounts sign up by themselves, so the policy is the operator's, never a
 * tenant's:
 *
 * - **Always refused**: cloud metadata addresses, and Parley's own services (its API, the codec server
 *   and its proxy, the Temporal frontend, its HTTP API and Web UI, the database, metrics ports), which
 *   the deployment names in its deny list. A deny entry on a loopback or unspecified address covers that
 *   port on every address of the machine, since a service bound to 0.0.0.0 answers on all of them.
 * - **Public destinations** (globally routable unicast): https on the public ports (443 unless the
 *   operator allows more). Plain http, or another port, only where the operator's allowlist names it.
 * - **Private destinations** (private, loopback, link-local, unique-local, CGNAT, reserved...): only
 *   where the allowlist covers the address *and* port, and only when the tenant asked for it
 *   (`allowPrivateNetwork`). The tenant's flag is a request; the allowlist decides.
 *
 * Matching is on address and port (or on the host name as written and port), because a development
 * machine serves tenant test APIs and Parley's own services from the same 127.0.0.1.
 *
 * Pure: the worker's agents judge every resolved address at connect time with this (DNS can change),
 * the API judges literals and resolved names at save time for an early, friendly refusal.
 */
import ipaddr from 'ipaddr.js';
import { classifyAddress, embeddedIPv4, parseAddress, stripBrackets } from './address-policy';

/** Inclusive port range. */
export interface PortRange {
  from: number;
  to: number;
}

/** One allowlist or deny-list entry: an address range or a host name, with the ports it covers (all when absent). */
export type DestinationRule =
  | { kind: 'cidr'; text: string; range: [ipaddr.IPv4 | ipaddr.IPv6, number]; ports?: PortRange }
  | { kind: 'host'; text: string; host: string; ports?: PortRange };

export interface NetworkPolicy {
  /** Destinations tenant traffic may reach besides the public internet. Empty by default. */
  allow: readonly DestinationRule[];
  /** Parley's own services: refused whatever `allow` says. */
  deny: readonly DestinationRule[];
  /** Ports public https destinations may use. */
  publicPorts: ReadonlySet<number>;
  /** This machine's own addresses (its interfaces): a deny entry on loopback covers them too. */
  localAddresses?: readonly string[];
}

export const DEFAULT_PUBLIC_PORTS: ReadonlySet<number> = new Set([443]);

/** A policy that allows only public https on 443 and refuses nothing else by name. */
export const PUBLIC_ONLY: NetworkPolicy = { allow: [], deny: [], publicPorts: DEFAULT_PUBLIC_PORTS };

export class PolicyParseError extends Error {
  override readonly name = 'PolicyParseError';
}

/**
 * Parses `10.0.0.0/8`, `10.0.0.0/8:8080`, `127.0.0.1:4010`, `127.0.0.1:10000-10999`, `[::1]:4010`,
 * `[fd00::/8]:443`, `::1`, `booking.internal:8443`, comma- or space-separated. A host name needs a port
 * (a name covering every port of whatever it resolves to would be a wide hole); an address or range
 * without a port covers all its ports.
 */
export function parseDestinationList(text: string | undefined): DestinationRule[] {
  if (!text) return [];
  return text
    .split(/[\s,]+/)
    .filter((entry) => entry.length > 0)
    .map(parseDestination);
}

export function parseDestination(entry: string): DestinationRule {
  const fail = (why: string): never => {
    throw new PolicyParseError(`"${entry}": ${why}`);
  };
  let hostPart = entry;
  let portPart: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.+))?$/.exec(entry);
  if (bracketed) {
    hostPart = bracketed[1]!;
    portPart = bracketed[2];
  } else if ((entry.match(/:/g) ?? []).length === 1) {
    [hostPart, portPart] = entry.split(':') as [string, string];
  } // more than one colon and no brackets: a bare IPv6 address or range, no port
  const ports = portPart === undefined ? undefined : parsePorts(portPart, fail);
  const host = hostPart.toLowerCase().replace(/\.$/, '');
  if (host.includes('/')) {
    try {
      const range = ipaddr.parseCIDR(host);
      return { kind: 'cidr', text: entry, range, ...(ports ? { ports } : {}) };
    } catch {
      return fail('not a valid CIDR range');
    }
  }
  if (ipaddr.isValid(host)) {
    const address = ipaddr.parse(host);
    return { kind: 'cidr', text: entry, range: [address, address.kind() === 'ipv4' ? 32 : 128], ...(ports ? { ports } : {}) };
  }
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(host)) return fail('not an address, a CIDR range or a host name');
  if (!ports) return fail('a host name needs a port (host:port or host:from-to)');
  return { kind: 'host', text: entry, host, ports };
}

function parsePorts(text: string, fail: (why: string) => never): PortRange {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!match) return fail('the port must be a number or a range from-to');
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  if (from < 1 || to > 65535 || from > to) return fail('ports run from 1 to 65535, low to high');
  return { from, to };
}

/** Parses `443,8443`. */
export function parsePortList(text: string | undefined): Set<number> {
  if (text === undefined || text.trim() === '') return new Set(DEFAULT_PUBLIC_PORTS);
  const ports = new Set<number>();
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const port = Number(part);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PolicyParseError(`"${part}" is not a port number`);
    ports.add(port);
  }
  return ports;
}

/** What a destination is judged on: one resolved (or literal) address, the port, the host as written, the scheme. */
export interface Destination {
  address: string;
  port: number;
  /** The host name as the URL wrote it (lower case); the address itself for a literal. */
  hostname?: string;
  scheme: 'http' | 'https';
  /** The tenant's `allowPrivateNetwork`: a request, honoured only inside the allowlist. */
  privateRequested: boolean;
}

export type DestinationRefusal = 'not_an_ip' | 'metadata' | 'internal' | 'private' | 'not_allowlisted' | 'scheme' | 'port';

export type DestinationVerdict = { ok: true; via: 'public' | 'allowlist' } | { ok: false; reason: DestinationRefusal; message: string };

/** Judges one destination. Every resolved address of a name must pass for the connection to go ahead. */
export function judgeDestination(policy: NetworkPolicy, destination: Destination): DestinationVerdict {
  const { port, scheme } = destination;
  const address = parseAddress(destination.address);
  const where = `${destination.address.includes(':') ? `[${stripBrackets(destination.address)}]` : destination.address}:${port}`;
  if (!address) return refuse('not_an_ip', `${destination.address} is not an IP address`);
  const kind = classifyAddress(address);
  if (kind.kind === 'metadata') return refuse('metadata', `${where} is a cloud metadata address`);
  const hostname = destination.hostname?.toLowerCase().replace(/\.$/, '');
  // `::ffff:127.0.0.1`, `64:ff9b::7f00:1` and `127.0.0.1` are one destination: match lists on the IPv4 inside.
  const subject = embeddedIPv4(address.value) ?? address.value;
  if (isDenied(policy, subject, port, hostname)) return refuse('internal', `${where} is one of the deployment's own services`);
  const allowlisted = policy.allow.some((rule) => matches(rule, subject, port, hostname));
  if (kind.kind === 'public') {
    if (allowlisted) return { ok: true, via: 'allowlist' };
    if (scheme !== 'https') return refuse('scheme', `plain http reaches only destinations the deployment allowlists, not ${where}`);
    if (!policy.publicPorts.has(port)) return refuse('port', `public destinations use port ${[...policy.publicPorts].join(' or ')}, not ${port}`);
    return { ok: true, via: 'public' };
  }
  if (!allowlisted) {
    return destination.privateRequested
      ? refuse('not_allowlisted', `${where} is a ${kind.range} address that the deployment's allowlist does not cover`)
      : refuse('private', `${where} is a ${kind.range} address`);
  }
  if (!destination.privateRequested) return refuse('private', `${where} is a ${kind.range} address; set allowPrivateNetwork to reach it`);
  return { ok: true, via: 'allowlist' };
}

function refuse(reason: DestinationRefusal, message: string): DestinationVerdict {
  return { ok: false, reason, message };
}

function portCovered(ports: PortRange | undefined, port: number): boolean {
  return !ports || (port >= ports.from && port <= ports.to);
}

/** Whether a host-name entry of `rules` names `host` (lower case, as written) on `port`. */
export function namesHost(rules: readonly DestinationRule[], host: string, port: number): boolean {
  return rules.some((rule) => rule.kind === 'host' && rule.host === host && portCovered(rule.ports, port));
}

function matches(rule: DestinationRule, address: ipaddr.IPv4 | ipaddr.IPv6, port: number, hostname: string | undefined): boolean {
  if (!portCovered(rule.ports, port)) return false;
  if (rule.kind === 'host') return hostname !== undefined && hostname === rule.host;
  return inRange(address, rule.range);
}

function inRange(address: ipaddr.IPv4 | ipaddr.IPv6, range: [ipaddr.IPv4 | ipaddr.IPv6, number]): boolean {
  const [base] = range;
  if (address.kind() === base.kind()) return address.match(range);
  // An IPv4 range also covers the IPv4-mapped IPv6 form of its addresses, and the other way round.
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) return (address as ipaddr.IPv6).toIPv4Address().match(range);
  if (address.kind() === 'ipv4' && (base as ipaddr.IPv6).isIPv4MappedAddress()) return (address as ipaddr.IPv4).toIPv4MappedAddress().match(range);
  return false;
}

const LOOPBACK_OR_ANY = ['127.0.0.0/8', '::1/128', '0.0.0.0/32', '::/128'].map((cidr) => ipaddr.parseCIDR(cidr));

/** A deny rule on loopback or 0.0.0.0 covers every address of this machine on its ports. */
function isDenied(policy: NetworkPolicy, address: ipaddr.IPv4 | ipaddr.IPv6, port: number, hostname: string | undefined): boolean {
  const local = isLocal(policy, address);
  return policy.deny.some((rule) => {
    if (matches(rule, address, port, hostname)) return true;
    if (!local || rule.kind !== 'cidr' || !portCovered(rule.ports, port)) return false;
    return LOOPBACK_OR_ANY.some((range) => inRange(rule.range[0], range));
  });
}

// A policy's local addresses, parsed once (a connect judges every resolved address against them).
const localSets = new WeakMap<readonly string[], Set<string>>();

function isLocal(policy: NetworkPolicy, address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (LOOPBACK_OR_ANY.some((range) => inRange(address, range))) return true;
  const locals = policy.localAddresses;
  if (!locals || locals.length === 0) return false;
  let set = localSets.get(locals);
  if (!set) {
    set = new Set(locals.map((local) => parseAddress(local)).flatMap((parsed) => (parsed ? [normalized(parsed.value)] : [])));
    localSets.set(locals, set);
  }
  return set.has(normalized(address));
}

function normalized(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) return (address as ipaddr.IPv6).toIPv4Address().toNormalizedString();
  return address.toNormalizedString();
}

/** The port a URL connects to. */
export function urlPort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'http:' ? 80 : 443;
}

/** Whether the host as written is `localhost` or a name under it (which resolves to loopback). */
export function isLocalhostName(hostname: string): boolean {
  const host = stripBrackets(hostname.toLowerCase()).replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost');
}

/**
 * Judges a URL from what it says, before any lookup: an IP literal (or `localhost`, as 127.0.0.1) fully;
 * a host name by scheme, port, and the name entries of both lists (its addresses are judged when they are
 * known: at save by the API's lookup, and at every connect by the worker). Undefined: nothing to refuse yet.
 */
export function judgeUrl(policy: NetworkPolicy, url: URL, privateRequested: boolean): DestinationVerdict | undefined {
  const scheme = url.protocol === 'http:' ? 'http' : url.protocol === 'https:' ? 'https' : undefined;
  if (!scheme) return refuse('scheme', 'only http and https URLs are allowed');
  const port = urlPort(url);
  const host = stripBrackets(url.hostname.toLowerCase()).replace(/\.$/, '');
  if (ipaddr.isValid(host)) return judgeDestination(policy, { address: host, port, hostname: host, scheme, privateRequested });
  if (isLocalhostName(host)) return judgeDestination(policy, { address: '127.0.0.1', port, hostname: host, scheme, privateRequested });
  if (namesHost(policy.deny, host, port)) {
    return refuse('internal', `${host}:${port} is one of the deployment's own services`);
  }
  if (namesHost(policy.allow, host, port)) return undefined;
  // A name may resolve into an allowlisted range: then only its addresses can tell.
  const rangeMayCover = policy.allow.some((rule) => rule.kind === 'cidr' && portCovered(rule.ports, port));
  if (scheme !== 'https' && !rangeMayCover) return refuse('scheme', `plain http reaches only destinations the deployment allowlists, not ${host}:${port}`);
  if (!policy.publicPorts.has(port) && !rangeMayCover) return refuse('port', `public destinations use port ${[...policy.publicPorts].join(' or ')}, not ${port}`);
  return undefined;
}
