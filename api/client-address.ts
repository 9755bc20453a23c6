/**
 * The key a per-address limit counts a client under (sign-ups, logins, the public widget's per-client
 * limits). The address is the one Express derives (`req.ip`, believing X-Forwarded-For only from the
 * proxies TRUST_PROXY names).
 */
import ipaddr from 'ipaddr.js';

/** What every address that cannot be parsed is counted as: one shared bucket, so garbage cannot mint fresh limits. */
export const UNPARSED_ADDRESS_KEY = 'unparsed';

/**
 * `203.0.113.7` → `203.0.113.7`; `::ffff:203.0.113.7` (an IPv4 client on a dual-stack socket) →
 * `203.0.113.7`; `2001:db8:1:2:a:b:c:d` → `2001:db8:1:2::/64`.
 *
 * An IPv6 client is counted by its /64: that is the smallest block an ISP hands a subscriber (RFC 6177),
 * and a host picks any of its 2^64 addresses freely (privacy addresses rotate by themselves), so counting
 * single addresses would give every client an unlimited supply of fresh limits.
 */
export function addressLimitKey(address: string | undefined): string {
  if (!address) return UNPARSED_ADDRESS_KEY;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // `process` turns an IPv4-mapped IPv6 address into its IPv4 address.
    parsed = ipaddr.process(address.trim());
  } catch {
    return UNPARSED_ADDRESS_KEY;
  }
  // Other spellings of an IPv4 address (`0x7f.1`, which a trusted proxy's header could carry) print as
  // the dotted quad, so they count under the same key.
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
}
