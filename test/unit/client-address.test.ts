/**
 * The key per-address limits count a client under (api/client-address.ts): IPv4 as is, IPv4-mapped IPv6
 * as its IPv4, IPv6 by its /64, anything unreadable in one shared bucket.
 */
import { addressLimitKey, UNPARSED_ADDRESS_KEY } from '../../api/client-address';

describe('addressLimitKey', () => {
  it('keeps an IPv4 address as it is', () => {
    expect(addressLimitKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressLimitKey('127.0.0.1')).toBe('127.0.0.1');
  });

  it('counts an IPv4-mapped IPv6 address (a dual-stack socket) as its IPv4 address, in either spelling', () => {
    expect(addressLimitKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressLimitKey('::FFFF:cb00:7107')).toBe('203.0.113.7');
  });

  it('counts an IPv6 address by its /64, whatever the spelling of the address', () => {
    expect(addressLimitKey('2001:db8:1:2:a:b:c:d')).toBe('2001:db8:1:2::/64');
    expect(addressLimitKey('2001:0DB8:0001:0002:0000:0000:0000:0001')).toBe('2001:db8:1:2::/64');
    expect(addressLimitKey('2001:db8:1:2::ffff:1')).toBe('2001:db8:1:2::/64');
    expect(addressLimitKey('2001:db8::1')).toBe('2001:db8::/64');
    expect(addressLimitKey('::1')).toBe('::/64');
  });

  it('gives two addresses of one /64 the same key, and neighbouring /64s different ones', () => {
    const same = ['2001:db8:aa:bb::1', '2001:db8:aa:bb:1234:5678:9abc:def0', '2001:db8:aa:bb:ffff:ffff:ffff:ffff'].map(addressLimitKey);
    expect(new Set(same).size).toBe(1);
    expect(addressLimitKey('2001:db8:aa:bc::1')).not.toBe(same[0]);
    expect(addressLimitKey('2001:db8:aa:ba::1')).not.toBe(same[0]);
  });

  it('drops an IPv6 zone id (link-local addresses) with the host bits', () => {
    expect(addressLimitKey('fe80::1%eth0')).toBe('fe80::/64');
  });

  it('counts another spelling of an IPv4 address under its dotted quad, so it cannot mint a fresh limit', () => {
    expect(addressLimitKey('0x7f.1')).toBe('127.0.0.1');
  });

  it('puts every unreadable or missing address in one shared bucket', () => {
    for (const address of [undefined, '', 'unknown', 'garbage', '1.2.3.4.5', '2001:db8::1::2', '203.0.113.7:8080']) {
      expect(addressLimitKey(address)).toBe(UNPARSED_ADDRESS_KEY);
    }
  });
});
