/**
 * The worker's outbound network: the deployment's policy (core/http/network-policy.ts) completed with
 * what only I/O can tell (the addresses the deny list's host names resolve to, and this machine's own
 * addresses), and one pair of safe agents per tenant request (private network asked for, or not).
 * Every outbound activity (tenant API calls, LLM providers, webhooks) takes its agents from here.
 */
import dns from 'node:dns';
import os from 'node:os';
import { parseDestination, PUBLIC_ONLY, type DestinationRule, type NetworkPolicy } from '../../core/http/network-policy';
import { createSafeAgents, type Lookup, type SafeAgents } from './safe-agent';

/** How often the deny list's host names are resolved again (a service can move). */
const REFRESH_MS = 60_000;

export interface OutboundNetwork {
  /** The agents for a tenant that asked for private networks (`true`) or not. */
  agents(privateRequested: boolean): SafeAgents;
  /** The policy as it stands now. */
  policy(): NetworkPolicy;
  /** Resolves the deny list's names again now (the first resolution is started at creation). */
  refresh(): Promise<void>;
  close(): void;
}

/**
 * Builds the network for `policy` (PUBLIC_ONLY when absent: no private destination, no internal one).
 * `resolve` is injectable for tests; the agents' own lookups use it too.
 */
export function createOutboundNetwork(policy: NetworkPolicy = PUBLIC_ONLY, options: { resolve?: Lookup; refreshMs?: number } = {}): OutboundNetwork {
  const resolve = options.resolve ?? dns.lookup;
  let current: NetworkPolicy = { ...policy, localAddresses: [...(policy.localAddresses ?? []), ...interfaceAddresses()] };
  const names = policy.deny.filter((rule): rule is Extract<DestinationRule, { kind: 'host' }> => rule.kind === 'host');

  const refresh = async (): Promise<void> => {
    if (names.length === 0) return;
    const resolved = await Promise.all(names.map((rule) => addressesOf(resolve, rule.host).then((addresses) => addresses.map((address) => ruleFor(address, rule)))));
    current = { ...current, deny: [...policy.deny, ...resolved.flat()] };
  };
  void refresh();
  const timer = names.length > 0 ? setInterval(() => void refresh(), options.refreshMs ?? REFRESH_MS) : undefined;
  timer?.unref();

  const rules = { policy: () => current };
  const publicOnly = createSafeAgents({ ...rules, privateRequested: false, resolve: options.resolve });
  let privateAllowed: SafeAgents | undefined; // created on first use: most deployments never need it
  return {
    agents(privateRequested) {
      if (!privateRequested) return publicOnly;
      privateAllowed ??= createSafeAgents({ ...rules, privateRequested: true, resolve: options.resolve });
      return privateAllowed;
    },
    policy: () => current,
    refresh,
    close() {
      if (timer) clearInterval(timer);
      for (const agents of [publicOnly, privateAllowed]) {
        agents?.http.destroy();
        agents?.https.destroy();
      }
    },
  };
}

/** Every address of a name; none when it does not resolve (a service not up yet is denied by name meanwhile). */
function addressesOf(resolve: Lookup, host: string): Promise<string[]> {
  return new Promise((done) => resolve(host, { all: true, family: 0 }, (err, addresses) => done(err ? [] : addresses.map((a) => a.address))));
}

function ruleFor(address: string, rule: Extract<DestinationRule, { kind: 'host' }>): DestinationRule {
  const port = rule.ports ? `:${rule.ports.from}-${rule.ports.to}` : '';
  return parseDestination(address.includes(':') ? `[${address}]${port}` : `${address}${port}`);
}

/** This machine's addresses: a service bound to 0.0.0.0 answers on each, so a deny entry on loopback covers them. */
function interfaceAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((nic) => nic !== undefined)
    .map((nic) => nic.address.replace(/%.*$/, ''));
}
