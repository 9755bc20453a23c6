import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseDestinationList, PUBLIC_ONLY, type NetworkPolicy } from '../../core/http/network-policy';
import { BlockedAddressError, createSafeAgents, safeLookup, type Lookup } from './safe-agent';

let server: http.Server;
let port: number;
let hits = 0;
/** The test server's address and port, allowlisted: what an operator's `127.0.0.1:<port>` entry does. */
const allowServer = (): NetworkPolicy => ({ ...PUBLIC_ONLY, allow: parseDestinationList(`127.0.0.1:${port}`) });
const publicOnly = { policy: () => PUBLIC_ONLY, privateRequested: false };
const privateAsked = { policy: allowServer, privateRequested: true };

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    hits++;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** GETs `url` through `agent`: the body, or the error the request failed with. */
function get(url: string, agent: http.Agent): Promise<{ body?: string; error?: Error }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ body }));
    });
    req.on('error', (error) => resolve({ error }));
  });
}

/** A resolver answering every name with `addresses`, counting its calls. */
function fakeResolver(addresses: string[]): Lookup & { calls: number } {
  const resolve = ((_host, _options, callback) => {
    resolve.calls++;
    callback(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  }) as Lookup & { calls: number };
  resolve.calls = 0;
  return resolve;
}

describe('WHATWG URL parsing normalizes IPv4 spellings before we see the host', () => {
  it.each(['http://2130706433/', 'http://0x7f000001/', 'http://0177.0.0.1/', 'http://127.1/', 'http://0x7f.0.0.1/'])('%s is 127.0.0.1', (url) => {
    expect(new URL(url).hostname).toBe('127.0.0.1');
  });
  it('keeps brackets on IPv6 and normalizes mapped forms', () => {
    expect(new URL('http://[::ffff:127.0.0.1]/').hostname).toBe('[::ffff:7f00:1]');
    expect(new URL('http://[0:0:0:0:0:0:0:1]/').hostname).toBe('[::1]');
  });
});

describe('createSafeAgents (public only)', () => {
  const agents = createSafeAgents(publicOnly);
  afterAll(() => agents.http.destroy());

  it.each(['127.0.0.1', '2130706433', '0x7f000001', '0177.0.0.1', 'localhost'])('refuses http://%s:<port> without connecting', async (host) => {
    const before = hits;
    const { error } = await get(`http://${host}:${port}/`, agents.http);
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(hits).toBe(before);
  });
  it.each(['[::1]', '[::ffff:127.0.0.1]', '169.254.169.254', '[fd00:ec2::254]', '10.0.0.1', '0.0.0.0'])('refuses %s before any connection', async (host) => {
    const { error } = await get(`http://${host}:${port}/`, agents.http);
    expect(error).toBeInstanceOf(BlockedAddressError);
  });
  it('refuses a name when ANY of its addresses is private', async () => {
    const mixed = createSafeAgents({ ...publicOnly, resolve: fakeResolver(['93.184.216.34', '127.0.0.1']) });
    const { error } = await get(`http://tenant.example:${port}/`, mixed.http);
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect((error as BlockedAddressError).host).toBe('tenant.example');
  });
});

describe('createSafeAgents (private network asked for, the server allowlisted)', () => {
  it('connects to the allowlisted 127.0.0.1:<port>', async () => {
    const agents = createSafeAgents(privateAsked);
    expect(await get(`http://127.0.0.1:${port}/`, agents.http)).toEqual({ body: 'ok' });
    agents.http.destroy();
  });
  it('refuses another port on the same address (the policy matches host and port)', async () => {
    const agents = createSafeAgents({ policy: () => ({ ...PUBLIC_ONLY, allow: parseDestinationList(`127.0.0.1:${port + 1}`) }), privateRequested: true });
    const before = hits;
    expect((await get(`http://127.0.0.1:${port}/`, agents.http)).error).toBeInstanceOf(BlockedAddressError);
    expect((await get(`http://localhost:${port}/`, agents.http)).error).toBeInstanceOf(BlockedAddressError);
    expect(hits).toBe(before);
  });
  it('refuses the allowlisted server when the tenant did not ask for private networks', async () => {
    const agents = createSafeAgents({ policy: allowServer, privateRequested: false });
    expect((await get(`http://127.0.0.1:${port}/`, agents.http)).error).toBeInstanceOf(BlockedAddressError);
  });
  it('refuses a denied service inside an allowlisted range', async () => {
    const agents = createSafeAgents({ policy: () => ({ ...PUBLIC_ONLY, allow: parseDestinationList('127.0.0.0/8'), deny: parseDestinationList(`127.0.0.1:${port}`) }), privateRequested: true });
    const { error } = await get(`http://127.0.0.2:${port}/`, agents.http);
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error?.message).toMatch(/own services/);
  });
  it('still refuses the metadata address', async () => {
    const agents = createSafeAgents(privateAsked);
    expect((await get(`http://169.254.169.254/latest/meta-data/`, agents.http)).error).toBeInstanceOf(BlockedAddressError);
  });
  it('connects to the vetted address with one lookup (no second resolution to rebind)', async () => {
    const resolve = fakeResolver(['127.0.0.1']);
    const agents = createSafeAgents({ ...privateAsked, resolve });
    expect(await get(`http://rebind.example:${port}/`, agents.http)).toEqual({ body: 'ok' });
    expect(resolve.calls).toBe(1);
    agents.http.destroy();
  });
});

describe('safeLookup', () => {
  it('answers in the single-address form when asked', (done) => {
    safeLookup(publicOnly, { port: 443, scheme: 'https' }, fakeResolver(['93.184.216.34', '2606:4700::1']))('x.example', {}, (err, address, family) => {
      expect(err).toBeNull();
      expect(address).toBe('93.184.216.34');
      expect(family).toBe(4);
      done();
    });
  });
  it('answers every address when asked for all', (done) => {
    safeLookup(publicOnly, { port: 443, scheme: 'https' }, fakeResolver(['93.184.216.34', '2606:4700::1']))('x.example', { all: true }, (err, addresses) => {
      expect(err).toBeNull();
      expect(addresses).toHaveLength(2);
      done();
    });
  });
  it('judges the port it is made for', (done) => {
    safeLookup(publicOnly, { port: 6379, scheme: 'https' }, fakeResolver(['93.184.216.34']))('x.example', {}, (err) => {
      expect(err).toBeInstanceOf(BlockedAddressError);
      expect(err?.message).toMatch(/port 443, not 6379/);
      done();
    });
  });
  it('fails with ENOTFOUND for an empty answer', (done) => {
    safeLookup(publicOnly, { port: 443, scheme: 'https' }, fakeResolver([]))('x.example', {}, (err) => {
      expect(err?.code).toBe('ENOTFOUND');
      done();
    });
  });
});
