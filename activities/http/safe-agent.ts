/**
 * SSRF protection at connect time. Checking a URL's hostname before sending is not enough: DNS can
 * answer differently a moment later (rebinding), and one name can resolve to several addresses. So the
 * agents below resolve the name themselves, refuse the connection if ANY resolved address is not
 * allowed at that port (core/http/network-policy.ts), and hand the vetted addresses straight to the
 * socket, which connects to them without a second lookup. IP-literal hosts skip DNS in Node, so they are
 * checked separately, and every socket's remote address and port are checked again once connected.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { judgeDestination, judgeUrl, type NetworkPolicy } from '../../core/http/network-policy';

/** A connection refused by the network policy. Not retryable: the same name or address would be refused again. */
export class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
  readonly code = 'ERR_BLOCKED_ADDRESS';
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`Refused to connect to ${host}: ${reason}`);
  }
}

/** dns.lookup with `all: true`, the only way the agents resolve names. */
export type Lookup = (hostname: string, options: dns.LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void;

/** What a socket is judged by: the deployment's policy (read at each connect, so it can be refreshed) and the tenant's request. */
export interface AgentPolicy {
  policy: () => NetworkPolicy;
  /** The tenant's `allowPrivateNetwork`: honoured only inside the policy's allowlist. */
  privateRequested: boolean;
}

interface Target {
  port: number;
  scheme: 'http' | 'https';
}

/**
 * A `lookup` for one socket to `target.port`: resolves every address of `hostname` and fails with
 * BlockedAddressError when any is not allowed. `resolve` is injectable so tests can play a resolver that
 * answers with private addresses.
 */
export function safeLookup(rules: AgentPolicy, target: Target, resolve: Lookup = dns.lookup): net.LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { family: options.family ?? 0, hints: options.hints, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (addresses.length === 0) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
      const policy = rules.policy();
      for (const { address } of addresses) {
        const verdict = judgeDestination(policy, { address, port: target.port, hostname, scheme: target.scheme, privateRequested: rules.privateRequested });
        if (!verdict.ok) return callback(new BlockedAddressError(hostname, verdict.message), []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/** Refuses an IP-literal host that the policy does not allow (Node connects to literals without lookup). */
function vetLiteral(host: string, rules: AgentPolicy, target: Target): BlockedAddressError | undefined {
  const bare = host.replace(/^\[|\]$/g, '');
  if (net.isIP(bare) === 0) return undefined;
  const verdict = judgeDestination(rules.policy(), { address: bare, port: target.port, hostname: bare, scheme: target.scheme, privateRequested: rules.privateRequested });
  return verdict.ok ? undefined : new BlockedAddressError(bare, verdict.message);
}

/** After connecting: the peer must be an allowed address and port (defence in depth against any path around lookup). */
function vetPeer(socket: Duplex, hostname: string, rules: AgentPolicy, scheme: Target['scheme']): void {
  socket.once('connect', () => {
    const { remoteAddress, remotePort } = socket as net.Socket;
    const verdict =
      remoteAddress && remotePort
        ? judgeDestination(rules.policy(), { address: remoteAddress, port: remotePort, hostname, scheme, privateRequested: rules.privateRequested })
        : { ok: false as const, message: 'unknown peer' };
    if (!verdict.ok) socket.destroy(new BlockedAddressError(remoteAddress ?? 'peer', verdict.message));
  });
}

type Callback = (err: Error | null, stream: Duplex) => void;

function guarded(agent: http.Agent, rules: AgentPolicy, scheme: Target['scheme'], resolve: Lookup | undefined, create: (options: http.ClientRequestArgs, callback?: Callback) => Duplex | null | undefined) {
  return (options: http.ClientRequestArgs, callback?: Callback): Duplex | null | undefined => {
    const host = String(options.host ?? options.hostname ?? '').toLowerCase();
    const target: Target = { port: Number(options.port ?? (scheme === 'https' ? 443 : 80)), scheme };
    const refused = vetLiteral(host, rules, target);
    if (refused) {
      process.nextTick(() => callback?.(refused, undefined as unknown as Duplex));
      return undefined;
    }
    // The lookup is per socket because the verdict depends on the port, which Node's lookup is not given.
    const socket = create.call(agent, { ...options, lookup: safeLookup(rules, target, resolve) } as http.ClientRequestArgs, callback);
    if (socket) vetPeer(socket, host.replace(/^\[|\]$/g, ''), rules, scheme);
    return socket;
  };
}

export interface SafeAgents {
  http: http.Agent;
  https: https.Agent;
  /** The refusal, before connecting, of a URL this policy can already judge (scheme, port, literal host); undefined when none. */
  vetUrl(url: URL): string | undefined;
}

/**
 * One http and one https agent enforcing the policy. Keep-alive sockets are reused only within an agent,
 * and each agent has one policy, so a socket vetted for a private-network request never serves a
 * public-only one. The idle timeout stays below common servers' keep-alive (5 s) to avoid reusing a
 * socket the server is closing.
 */
export function createSafeAgents(rules: AgentPolicy & { resolve?: Lookup }): SafeAgents {
  const options = { keepAlive: true, timeout: 4_000, maxSockets: 64 };
  const httpAgent = new http.Agent(options);
  const httpsAgent = new https.Agent(options);
  httpAgent.createConnection = guarded(httpAgent, rules, 'http', rules.resolve, http.Agent.prototype.createConnection);
  httpsAgent.createConnection = guarded(httpsAgent, rules, 'https', rules.resolve, https.Agent.prototype.createConnection);
  return {
    http: httpAgent,
    https: httpsAgent,
    vetUrl(url) {
      const verdict = judgeUrl(rules.policy(), url, rules.privateRequested);
      return verdict && !verdict.ok ? verdict.message : undefined;
    },
  };
}
