import { classifyAddressText } from './address-policy';

describe('classifyAddressText', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.10.10', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['::ffff:0:127.0.0.1', 'rfc6145'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b:1::1', 'rfc6052'],
    ['2002:7f00:1::', 'loopback'],
    ['2001::1', 'teredo'],
    ['::2', 'unspecified'],
  ])('refuses %s (%s)', (address, range) => {
    expect(classifyAddressText(address)).toEqual({ kind: 'private', range });
  });

  it.each(['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200', '192.0.0.192', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe'])('refuses metadata address %s', (address) => {
    expect(classifyAddressText(address)).toEqual({ kind: 'metadata' });
  });

  it.each(['93.184.216.34', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8', '2002:0808:0808::1'])('allows public %s', (address) => {
    expect(classifyAddressText(address)).toEqual({ kind: 'public' });
  });

  it('counts scoped IPv6 addresses as private', () => expect(classifyAddressText('fe80::1%eth0')).toEqual({ kind: 'private', range: 'scoped' }));
  it('says what is not an IP address', () => expect(classifyAddressText('example.com')).toEqual({ kind: 'not_an_ip' }));
  it('reads bracketed IPv6', () => expect(classifyAddressText('[::1]')).toEqual({ kind: 'private', range: 'loopback' }));
});
