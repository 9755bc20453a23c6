import { judgeDestination, judgeUrl, parseDestination, parseDestinationList, parsePortList, PolicyParseError, type Destination, type NetworkPolicy } from './network-policy';

const policy = (allow: string, deny = '', publicPorts?: string, localAddresses?: string[]): NetworkPolicy => ({
  allow: parseDestinationList(allow),
  deny: parseDestinationList(deny),
  publicPorts: parsePortList(publicPorts),
  ...(localAddresses ? { localAddresses } : {}),
});

const to = (address: string, port: number, extra: Partial<Destination> = {}): Destination => ({ address, port, scheme: 'https', privateRequested: true, ...extra });
const reason = (p: NetworkPolicy, d: Destination): string => {
  const verdict = judgeDestination(p, d);
  return verdict.ok ? `ok:${verdict.via}` : verdict.reason;
};

describe('parseDestination', () => {
  it.each([
    ['10.0.0.0/8', 'cidr', undefined],
    ['10.0.0.0/8:8080', 'cidr', { from: 8080, to: 8080 }],
    ['127.0.0.1:4010', 'cidr', { from: 4010, to: 4010 }],
    ['127.0.0.1:10000-10999', 'cidr', { from: 10000, to: 10999 }],
    ['[::1]:4010', 'cidr', { from: 4010, to: 4010 }],
    ['[fd00::/8]:443', 'cidr', { from: 443, to: 443 }],
    ['::1', 'cidr', undefined],
    ['fd00::/8', 'cidr', undefined],
    ['Booking.Internal:8443', 'host', { from: 8443, to: 8443 }],
  ])('reads %s', (entry, kind, ports) => {
    const rule = parseDestination(entry);
    expect(rule.kind).toBe(kind);
    expect(rule.ports).toEqual(ports);
  });

  it.each([
    ['booking.internal', 'a host name needs a port'],
    ['10.0.0.0/33', 'not a valid CIDR range'],
    ['127.0.0.1:0', 'ports run from 1 to 65535'],
    ['127.0.0.1:70000', 'ports run from 1 to 65535'],
    ['127.0.0.1:20-10', 'low to high'],
    ['127.0.0.1:http', 'the port must be a number'],
    ['bad_host!:80', 'not an address'],
  ])('refuses %s, naming the entry', (entry, why) => {
    expect(() => parseDestination(entry)).toThrow(PolicyParseError);
    expect(() => parseDestination(entry)).toThrow(new RegExp(`"${entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": .*${why}`));
  });

  it('reads a list separated by commas or spaces, ignoring empties', () => {
    expect(parseDestinationList(' 10.0.0.0/8, 127.0.0.1:4010  ,,[::1]:1 ').map((r) => r.text)).toEqual(['10.0.0.0/8', '127.0.0.1:4010', '[::1]:1']);
    expect(parseDestinationList(undefined)).toEqual([]);
    expect(parseDestinationList('')).toEqual([]);
  });

  it('reads public ports, 443 by default', () => {
    expect([...parsePortList(undefined)]).toEqual([443]);
    expect([...parsePortList('443, 8443')]).toEqual([443, 8443]);
    expect(() => parsePortList('443,99999')).toThrow(PolicyParseError);
  });
});

describe('judgeDestination', () => {
  const empty = policy('');

  it('lets public https on 443 through, and nothing else public by default', () => {
    expect(reason(empty, to('93.184.216.34', 443))).toBe('ok:public');
    expect(reason(empty, to('93.184.216.34', 6379))).toBe('port');
    expect(reason(empty, to('93.184.216.34', 80, { scheme: 'http' }))).toBe('scheme');
    expect(reason(policy('', '', '443,8443'), to('93.184.216.34', 8443))).toBe('ok:public');
  });

  it('lets plain http and other ports reach a public destination the operator allowlists', () => {
    expect(reason(policy('93.184.216.34:8080'), to('93.184.216.34', 8080, { scheme: 'http', privateRequested: false }))).toBe('ok:allowlist');
    expect(reason(policy('partner.example.com:8080'), to('93.184.216.34', 8080, { hostname: 'partner.example.com', scheme: 'http' }))).toBe('ok:allowlist');
    expect(reason(policy('partner.example.com:8080'), to('93.184.216.34', 8080, { hostname: 'other.example.com', scheme: 'http' }))).toBe('scheme');
  });

  it('never lets a tenant reach a private address on its own say-so', () => {
    expect(reason(empty, to('127.0.0.1', 7243, { privateRequested: true }))).toBe('not_allowlisted');
    expect(reason(empty, to('10.0.0.5', 443, { privateRequested: false }))).toBe('private');
  });

  it('lets a tenant that asks reach exactly the allowlisted address and port', () => {
    const dev = policy('127.0.0.1:4010,10.0.0.0/8:8080');
    expect(reason(dev, to('127.0.0.1', 4010, { scheme: 'http' }))).toBe('ok:allowlist');
    expect(reason(dev, to('127.0.0.1', 4011, { scheme: 'http' }))).toBe('not_allowlisted');
    expect(reason(dev, to('10.200.1.1', 8080))).toBe('ok:allowlist');
    expect(reason(dev, to('10.200.1.1', 8081))).toBe('not_allowlisted');
    expect(reason(dev, to('127.0.0.1', 4010, { privateRequested: false }))).toBe('private');
  });

  it('matches IPv4-mapped and NAT64 forms of an address as the address', () => {
    const dev = policy('127.0.0.1:4010', '127.0.0.1:7233');
    expect(reason(dev, to('::ffff:127.0.0.1', 4010))).toBe('ok:allowlist');
    expect(reason(dev, to('::ffff:7f00:1', 7233))).toBe('internal');
    expect(reason(dev, to('64:ff9b::7f00:1', 7233))).toBe('internal');
  });

  it('refuses metadata addresses whatever the allowlist says', () => {
    expect(reason(policy('169.254.0.0/16'), to('169.254.169.254', 80, { scheme: 'http' }))).toBe('metadata');
    expect(reason(policy('0.0.0.0/0'), to('::ffff:169.254.169.254', 443))).toBe('metadata');
  });

  it("refuses the deployment's own services even inside an allowlisted range", () => {
    const wide = policy('127.0.0.0/8,10.0.0.0/8', '127.0.0.1:7233,127.0.0.1:7243,10.0.0.7:27017,temporal:7233');
    expect(reason(wide, to('127.0.0.1', 7243, { scheme: 'http' }))).toBe('internal');
    expect(reason(wide, to('127.0.0.1', 4010, { scheme: 'http' }))).toBe('ok:allowlist');
    expect(reason(wide, to('10.0.0.7', 27017))).toBe('internal');
    expect(reason(wide, to('10.0.0.8', 27017))).toBe('ok:allowlist');
    expect(reason(wide, to('10.0.0.9', 7233, { hostname: 'temporal' }))).toBe('internal');
  });

  it('counts a deny entry on loopback or 0.0.0.0 on every address of the machine', () => {
    const local = policy('0.0.0.0/0,::/0', '127.0.0.1:8234,0.0.0.0:9464', undefined, ['192.168.1.20', 'fd00::20']);
    for (const address of ['127.0.0.2', '::1', '0.0.0.0', '192.168.1.20', 'fd00::20', '::ffff:192.168.1.20']) {
      expect(reason(local, to(address, 8234))).toBe('internal');
      expect(reason(local, to(address, 9464))).toBe('internal');
    }
    expect(reason(local, to('192.168.1.21', 8234))).toBe('ok:allowlist');
  });

  it('says why in words', () => {
    const verdict = judgeDestination(empty, to('127.0.0.1', 7243, { scheme: 'http' }));
    expect(verdict).toEqual({ ok: false, reason: 'not_allowlisted', message: "127.0.0.1:7243 is a loopback address that the deployment's allowlist does not cover" });
    expect(judgeDestination(empty, to('::1', 80))).toMatchObject({ message: expect.stringContaining('[::1]:80') });
  });
});

describe('judgeUrl', () => {
  const judge = (p: NetworkPolicy, url: string, requested = true) => {
    const verdict = judgeUrl(p, new URL(url), requested);
    return verdict === undefined ? 'resolve' : verdict.ok ? `ok:${verdict.via}` : verdict.reason;
  };

  it('refuses a public name on a port other than the public ones at save', () => {
    expect(judge(policy(''), 'https://api.example.com:6379/')).toBe('port');
    expect(judge(policy(''), 'http://api.example.com/')).toBe('scheme');
    expect(judge(policy(''), 'https://api.example.com/')).toBe('resolve');
  });

  it('judges literals and localhost fully', () => {
    expect(judge(policy(''), 'http://127.0.0.1:7243/api/v1/namespaces')).toBe('not_allowlisted');
    expect(judge(policy('127.0.0.1:4010'), 'http://localhost:4010')).toBe('ok:allowlist');
    expect(judge(policy('127.0.0.1:4010'), 'http://[::ffff:127.0.0.1]:4010')).toBe('ok:allowlist');
    expect(judge(policy(''), 'http://169.254.169.254/latest/meta-data')).toBe('metadata');
    expect(judge(policy(''), 'https://93.184.216.34')).toBe('ok:public');
  });

  it('leaves a name to its addresses when an allowlisted range could cover it', () => {
    expect(judge(policy('10.0.0.0/8:8080'), 'http://booking.internal:8080')).toBe('resolve');
    expect(judge(policy('10.0.0.0/8:8080'), 'http://booking.internal:8081')).toBe('scheme');
    expect(judge(policy('booking.internal:8080'), 'http://booking.internal:8080')).toBe('resolve');
    expect(judge(policy('10.0.0.0/8', 'temporal:7233'), 'http://temporal:7233')).toBe('internal');
  });

  it('refuses other schemes', () => expect(judge(policy(''), 'ftp://example.com')).toBe('scheme'));
});
