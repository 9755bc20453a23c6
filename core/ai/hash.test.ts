import { createHash } from 'node:crypto';
import { argumentsHash, canonicalJson, sha256Hex } from './hash';

describe('sha256Hex', () => {
  it.each(['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'a'.repeat(1000), 'Zoë 🙂 日本'])('matches node:crypto for %j', (text) => {
    expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[2,{"y":2,"z":1}]},"b":1}');
  });
});

describe('argumentsHash', () => {
  it('is the same for the same arguments in any key order', () => {
    expect(argumentsHash('book', { date: '2026-12-02', time: '10:00' })).toBe(argumentsHash('book', { time: '10:00', date: '2026-12-02' }));
  });
  it('changes with any argument or the tool', () => {
    const base = argumentsHash('book', { date: '2026-12-02', time: '10:00' });
    expect(argumentsHash('book', { date: '2026-12-02', time: '11:00' })).not.toBe(base);
    expect(argumentsHash('cancel', { date: '2026-12-02', time: '10:00' })).not.toBe(base);
    expect(argumentsHash('book', { date: '2026-12-02', time: 10 })).not.toBe(argumentsHash('book', { date: '2026-12-02', time: '10' }));
  });
});
