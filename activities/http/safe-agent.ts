/**
 * SSRF protection at connect time. Checking a URL's hostname before sending is not enough: DNS can
 * answer differently a moment later (rebinding), and one name can resolve to several addresses. So the
 * agents below resolve the name themselves, refuse the connection if ANY resolved address is not
 * allowed (address-policy.ts), and hand the vetted addresses straight to the socket, which connects to
 * them without a second lookup. IP-literal hosts skip DNS in Node, so they are checked separately, and
 * every socket's remote address is checked again once connected.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { checkAddress } from './address-policy';

/** A connection refused by the address policy. Not retryable: the same name or address would be refused again. */
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

/**
 * A `lookup` for sockets: resolves every address of `hostname` and fails with BlockedAddressError when any
 * is not allowed. `resolve` is injectable so tests can play a resolver that answers with private addresses.
 */
export function safeLookup(allowPrivate: boolean, resolve: Lookup = dns.lookup): net.LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { family: options.family ?? 0, hints: options.hints, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (addresses.length === 0) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
      for (const { address } of addresses) {
        const verdict = checkAddress(address, allowPrivate);
        if (!verdict.ok) return callback(new BlockedAddressError(hostname, describe(address, verdict.reason)), []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

function describe(address: string, reason: string): string {
  if (reason === 'metadata') return `${address} is a cloud metadata address`;
  if (reason === 'not_an_ip') return `${address} is not an IP address`;
  return `${address} is a private, loopback, link-local or reserved address`;
}

/** Refuses an IP-literal host that the policy does not allow (Node connects to literals without lookup). */
function vetLiteral(host: string | null | undefined, allowPrivate: boolean): BlockedAddressError | undefined {
  const bare = (host ?? '').replace(/^\[|\]$/g, '');
  if (net.isIP(bare) === 0) return undefined;
  const verdict = checkAddress(bare, allowPrivate);
  return verdict.ok ? undefined : new BlockedAddressError(bare, describe(bare, verdict.reason));
}

/** After connecting: the peer must be an allowed address (defence in depth against any path around lookup). */
function vetPeer(socket: Duplex, allowPrivate: boolean): void {
  socket.once('connect', () => {
    const remote = (socket as net.Socket).remoteAddress;
    const verdict = remote ? checkAddress(remote, allowPrivate) : { ok: false as const, reason: 'unknown peer' };
    if (!verdict.ok) socket.destroy(new BlockedAddressError(remote ?? 'peer', describe(remote ?? 'peer', verdict.reason)));
  });
}

type Callback = (err: Error | null, stream: Duplex) => void;

function guarded(agent: http.Agent, allowPrivate: boolean, create: (options: http.ClientRequestArgs, callback?: Callback) => Duplex | null | undefined) {
  return (options: http.ClientRequestArgs, callback?: Callback): Duplex | null | undefined => {
    const refused = vetLiteral(options.host ?? options.hostname, allowPrivate);
    if (refused) {
      process.nextTick(() => callback?.(refused, undefined as unknown as Duplex));
      return undefined;
    }
    const socket = create.call(agent, options, callback);
    if (socket) vetPeer(socket, allowPrivate);
    return socket;
  };
}

export interface SafeAgents {
  http: http.Agent;
  https: https.Agent;
}

/**
 * One http and one https agent enforcing the policy. Keep-alive sockets are reused only within an agent,
 * and each agent has one policy, so a socket vetted for a private-network connection never serves a
 * public-only one. The idle timeout stays below common servers' keep-alive (5 s) to avoid reusing a
 * socket the server is closing.
 */
export function createSafeAgents({ allowPrivateNetwork, resolve }: { allowPrivateNetwork: boolean; resolve?: Lookup }): SafeAgents {
  const options = { keepAlive: true, timeout: 4_000, maxSockets: 64, lookup: safeLookup(allowPrivateNetwork, resolve) };
  const httpAgent = new http.Agent(options);
  const httpsAgent = new https.Agent(options);
  httpAgent.createConnection = guarded(httpAgent, allowPrivateNetwork, http.Agent.prototype.createConnection);
  httpsAgent.createConnection = guarded(httpsAgent, allowPrivateNetwork, https.Agent.prototype.createConnection);
  return { http: httpAgent, https: httpsAgent };
}
