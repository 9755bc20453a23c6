import { punycodeEncode, toAsciiLabel } from './punycode';

describe('punycode', () => {
  // RFC 3492 section 7.1 samples and well-known IDN labels.
  it.each([
    ['bücher', 'bcher-kva'],
    ['münchen', 'mnchen-3ya'],
    ['пример', 'e1afmkfd'],
    ['例え', 'r8jz45g'],
    ['テスト', 'zckzah'],
    ['straße', 'strae-oqa'],
    ['\u0644\u064A\u0647\u0645\u0627\u0628\u062A\u0643\u0644\u0645\u0648\u0634\u0639\u0631\u0628\u064A\u061F', 'egbpdaj6bu4bxfgehfvwxn'],
    ['\u4ED6\u4EEC\u4E3A\u4EC0\u4E48\u4E0D\u8BF4\u4E2D\u6587', 'ihqwcrb4cv8a8dqg056pqjye'],
  ])('encodes %s as %s', (label, encoded) => expect(punycodeEncode(label)).toBe(encoded));

  it('leaves ASCII labels alone and prefixes the others', () => {
    expect(toAsciiLabel('example')).toBe('example');
    expect(toAsciiLabel('bücher')).toBe('xn--bcher-kva');
  });
});
