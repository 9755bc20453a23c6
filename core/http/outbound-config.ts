/**
 * The deployment's network policy from its environment, the same in the API (save-time checks) and the
 * worker (connect-time checks):
 *
 * - `OUTBOUND_ALLOWLIST`: destinations tenant traffic may reach besides the public internet (CIDRs,
 *   address:port, host:port, port ranges). Empty by default.
 * - `OUTBOUND_DENYLIST`: Parley's own services, refused whatever the allowlist says. Each process adds
 *   what it knows itself: the Temporal frontend, every MongoDB host, and its own listening ports.
 * - `OUTBOUND_PUBLIC_PORTS`: the ports public https destinations may use; 443 by default.
 */
import { parseDestination, parseDestinationList, parsePortList, type DestinationRule, type NetworkPolicy } from './network-policy';

export interface OutboundSettings {
  OUTBOUND_ALLOWLIST?: string | undefined;
  OUTBOUND_DENYLIST?: string | undefined;
  OUTBOUND_PUBLIC_PORTS?: string | undefined;
}

/** What a process knows of the deployment's own services. */
export interface OwnServices {
  temporalAddress: string;
  mongodbUri: string;
  /** Ports this process listens on (any address of the machine). */
  localPorts?: readonly number[];
}

/** Builds the policy; throws PolicyParseError naming the entry that is wrong. */
export function outboundPolicy(settings: OutboundSettings, own: OwnServices): NetworkPolicy {
  const derived: DestinationRule[] = [
    ...hostPorts(own.temporalAddress, 7233),
    ...mongoHosts(own.mongodbUri),
    ...(own.localPorts ?? []).filter((port) => port > 0).map((port) => parseDestination(`127.0.0.1:${port}`)),
  ];
  return {
    allow: parseDestinationList(settings.OUTBOUND_ALLOWLIST),
    deny: [...parseDestinationList(settings.OUTBOUND_DENYLIST), ...derived],
    publicPorts: parsePortList(settings.OUTBOUND_PUBLIC_PORTS),
  };
}

/** `host:port` (or `[v6]:port`, or a bare host) as a rule; none when it cannot be read (the server's client reports that). */
function hostPorts(address: string, defaultPort: number): DestinationRule[] {
  const match = /^(\[[^\]]+\]|[^:/?#]+)(?::(\d{1,5}))?$/.exec(address.trim());
  if (!match) return [];
  try {
    return [parseDestination(`${match[1]!.toLowerCase()}:${match[2] ?? defaultPort}`)];
  } catch {
    return [];
  }
}

/** Every host of a `mongodb://` URI (a replica set lists several); a `mongodb+srv://` name on 27017. */
function mongoHosts(uri: string): DestinationRule[] {
  const match = /^mongodb(\+srv)?:\/\/(?:[^@/]*@)?([^/?#]+)/.exec(uri.trim());
  if (!match) return [];
  return match[2]!.split(',').flatMap((host) => hostPorts(host, 27017));
}
