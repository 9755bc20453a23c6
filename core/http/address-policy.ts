/**
 * What kind of IP address a destination is. Only globally routable unicast addresses are public;
 * everything else (private, loopback, link-local, unique-local, carrier-grade NAT, multicast,
 * unspecified, reserved, broadcast, and IPv6 forms that embed such an IPv4 address) is private, and
 * reachable only where the operator allowlists it (network-policy.ts). Cloud metadata services are a
 * kind of their own: refused whatever the settings, since they hand out the worker's instance credentials.
 */
import ipaddr from 'ipaddr.js';

export type AddressKind = { kind: 'public' } | { kind: 'metadata' } | { kind: 'private'; range: string };

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

/** A parsed address, or undefined when the text is not one. A zone id (`fe80::1%eth0`) is kept on the value. */
export function parseAddress(text: string): { value: ipaddr.IPv4 | ipaddr.IPv6 } | undefined {
  try {
    return { value: ipaddr.parse(stripBrackets(text)) };
  } catch {
    return undefined;
  }
}

/** Classifies one address. */
export function classifyAddress(address: { value: ipaddr.IPv4 | ipaddr.IPv6 }): AddressKind {
  const parsed = address.value;
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).zoneId) return { kind: 'private', range: 'scoped' };
  const v4 = embeddedIPv4(parsed);
  const judged = v4 ?? parsed;
  if (METADATA.includes(judged.toNormalizedString()) || METADATA.includes(parsed.toNormalizedString())) return { kind: 'metadata' };
  const range = judged.range();
  return range === 'unicast' ? { kind: 'public' } : { kind: 'private', range };
}

/** Classifies an address given as text; `not_an_ip` for anything else. */
export function classifyAddressText(text: string): AddressKind | { kind: 'not_an_ip' } {
  const parsed = parseAddress(text);
  return parsed ? classifyAddress(parsed) : { kind: 'not_an_ip' };
}

/** The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 IPv6 address. */
export function embeddedIPv4(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | undefined {
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

export function stripBrackets(address: string): string {
  return address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
}
