/**
 * Where the tests' tenant servers listen (the business APIs, model servers and webhook receivers they
 * play). The test stack's network policy allowlists exactly this range on 127.0.0.1, as an operator
 * allowlists a tenant's network: Parley's own services under test (its API, the Temporal dev server and
 * FerretDB, on ephemeral ports or on 20000-32000 by scripts/lib/infra.ts) share 127.0.0.1 but not these
 * ports, so a test that points a connection at them is refused, as in production.
 */
import { createServer, type Server } from 'node:net';
import { parseDestinationList, parsePortList, type NetworkPolicy } from '../core/http/network-policy';

/** The range the test stack allowlists: below infra's 20000-32000 and below the ephemeral ports. */
export const TENANT_PORTS = { from: 10_000, to: 19_999 };

/** `OUTBOUND_ALLOWLIST` for the test stack: the tenant range on loopback. */
export const TENANT_ALLOWLIST = `127.0.0.1:${TENANT_PORTS.from}-${TENANT_PORTS.to}`;

/** The ports of the Fetch standard's block list inside TENANT_PORTS (https://fetch.spec.whatwg.org/#bad-port). */
const FETCH_BAD_PORTS = new Set([10080]);

// Each jest worker process takes its own block of the range, so parallel test files never race for a port.
const BLOCK = 1000;
const block = (Number(process.env.JEST_WORKER_ID ?? '1') - 1) % ((TENANT_PORTS.to - TENANT_PORTS.from + 1) / BLOCK);
let next = TENANT_PORTS.from + block * BLOCK + Math.floor(Math.random() * 200);

/** Listens on 127.0.0.1 at the next free tenant port; resolves with the port. */
export async function listenTenant(server: Server): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = next;
    next = next + 1 >= TENANT_PORTS.from + (block + 1) * BLOCK ? TENANT_PORTS.from + block * BLOCK : next + 1;
    // A port the Fetch standard blocks: Node's fetch (undici) refuses to call it ("bad port").
    if (FETCH_BAD_PORTS.has(port)) continue;
    const listened = await new Promise<boolean>((resolve) => {
      const fail = (error: NodeJS.ErrnoException): void => {
        if (error.code !== 'EADDRINUSE') throw error;
        resolve(false);
      };
      server.once('error', fail);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', fail);
        resolve(true);
      });
    });
    if (listened) return port;
  }
  throw new Error(`no free tenant port on 127.0.0.1 in ${TENANT_PORTS.from}-${TENANT_PORTS.to}`);
}

/** The base URL of a tenant server listening on a tenant port. */
export async function listenTenantUrl(server: Server): Promise<string> {
  return `http://127.0.0.1:${await listenTenant(server)}`;
}

/** The test stack's network policy, for tests that build activities themselves: the tenant range allowed, Parley's servers refused. */
export function tenantNetworkPolicy(): NetworkPolicy {
  return { allow: parseDestinationList(TENANT_ALLOWLIST), deny: parseDestinationList(process.env.PARLEY_TEST_DENYLIST), publicPorts: parsePortList(undefined) };
}

/** A tenant port nothing listens on (taken, then released). */
export async function closedTenantPort(): Promise<number> {
  const probe = createServer();
  const port = await listenTenant(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
