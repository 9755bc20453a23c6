/**
 * Which IP addresses a tenant API call may connect to. Only globally routable unicast addresses are
 * public; everything else (private, loopback, link-local, unique-local, carrier-grade NAT, multicast,
 * unspecified, reserved, broadcast, and IPv6 forms that embed such an IPv4 address) needs the
 * connection's private-network allowance. Cloud metadata services are refused even then: a tenant that
 * reaches its own private network must never reach the worker's instance credentials.
 */
import ipaddr from 'ipaddr.js';

export type AddressVerdict = { ok: true } | { ok: false; reason: 'not_an_ip' | 'metadata' | 'private'; range?: string };

const METADATA = [
  '169.254.169.254', // AWS, GCP, Azure, DigitalOcean, OpenStack
  '169.254.170.2', // AWS ECS task credentials
  'fd00:ec2::254', // AWS over IPv6
  '100.100.100.200', // Alibaba Cloud
  '192.0.0.192', // Oracle Cloud
].map((a) => ipaddr.parse(a).toNormalizedString());

// IPv6 ranges that carry an IPv4 address in their low 32 bits: judged by that IPv4 address.
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/** Judges one address (as a string). `allowPrivate` admits every non-metadata address. */
export function checkAddress(address: string, allowPrivate: boolean): AddressVerdict {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(stripBrackets(address));
  } catch {
    return { ok: false, reason: 'not_an_ip' };
  }
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).zoneId) return { ok: false, reason: 'private', range: 'scoped' };
  const v4 = embeddedIPv4(parsed);
  const judged = v4 ?? parsed;
  if (METADATA.includes(judged.toNormalizedString()) || METADATA.includes(parsed.toNormalizedString())) return { ok: false, reason: 'metadata' };
  if (allowPrivate) return { ok: true };
  const range = judged.range();
  if (range === 'unicast') return { ok: true };
  return { ok: false, reason: 'private', range };
}

/** The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 IPv6 address. */
function embeddedIPv4(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | undefined {
  if (address.kind() === 'ipv4') return undefined;
  const v6 = address as ipaddr.IPv6;
  const low = (): ipaddr.IPv4 => new ipaddr.IPv4([v6.parts[6]! >> 8, v6.parts[6]! & 0xff, v6.parts[7]! >> 8, v6.parts[7]! & 0xff]);
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  // Deprecated IPv4-compatible form (`::a.b.c.d`); `::` and `::1` are IPv6's own unspecified and loopback.
  if (v6.match(IPV4_COMPATIBLE) && !(v6.parts[6] === 0 && v6.parts[7]! <= 1)) return low();
  if (v6.match(NAT64)) return low();
  if (v6.parts[0] === 0x2002) return new ipaddr.IPv4([v6.parts[1]! >> 8, v6.parts[1]! & 0xff, v6.parts[2]! >> 8, v6.parts[2]! & 0xff]);
  return undefined;
}

function stripBrackets(address: string): string {
  return address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
}

/**
 * Judges a URL host as written (before any DNS lookup): an IP literal is checked like a resolved
 * address, `localhost` (and `*.localhost`) counts as loopback; any other name is left to the worker,
 * which checks every address it resolves to at connect time.
 */
export function checkHostLiteral(hostname: string, allowPrivate: boolean): AddressVerdict {
  const host = stripBrackets(hostname.toLowerCase()).replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return allowPrivate ? { ok: true } : { ok: false, reason: 'private', range: 'loopback' };
  const verdict = checkAddress(host, allowPrivate);
  return !verdict.ok && verdict.reason === 'not_an_ip' ? { ok: true } : verdict;
}
