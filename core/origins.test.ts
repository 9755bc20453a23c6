import { originAllowed, parseAllowedOrigin } from './origins';

describe('allowed origins', () => {
  it.each([
    ['https://Shop.Example.com', 'https://shop.example.com'],
    ['https://shop.example.com/', 'https://shop.example.com'],
    ['https://shop.example.com:443', 'https://shop.example.com'],
    ['http://localhost:5173', 'http://localhost:5173'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['https://*.example.com', 'https://*.example.com'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
  ])('%s is written %s', (input, canonical) => {
    const parsed = parseAllowedOrigin(input);
    expect(typeof parsed === 'string' ? parsed : parsed.origin).toBe(canonical);
  });

  it.each(['shop.example.com', 'ftp://example.com', 'https://example.com/path', 'https://example.com?x=1', 'https://user@example.com', 'https://*.com', 'https://*.1.2.3.4', 'https://999.1.1.1', 'https://exa mple.com', 'https://-bad-.com', 'https://example.com:70000', 'javascript:alert(1)'])(
    '%s is refused with a reason',
    (input) => {
      expect(typeof parseAllowedOrigin(input)).toBe('string');
    },
  );

  it('matches exact origins, with scheme and port', () => {
    const allowed = ['https://shop.example.com', 'http://localhost:5173'];
    expect(originAllowed('https://shop.example.com', allowed)).toBe(true);
    expect(originAllowed('http://shop.example.com', allowed)).toBe(false);
    expect(originAllowed('https://shop.example.com:8443', allowed)).toBe(false);
    expect(originAllowed('http://localhost:5173', allowed)).toBe(true);
    expect(originAllowed('http://localhost:5174', allowed)).toBe(false);
    expect(originAllowed('https://shop.example.com.evil.test', allowed)).toBe(false);
  });

  it('matches a wildcard on subdomains only', () => {
    const allowed = ['https://*.example.com'];
    expect(originAllowed('https://a.example.com', allowed)).toBe(true);
    expect(originAllowed('https://a.b.example.com', allowed)).toBe(true);
    expect(originAllowed('https://example.com', allowed)).toBe(false);
    expect(originAllowed('https://badexample.com', allowed)).toBe(false);
    expect(originAllowed('https://a.example.com.evil.test', allowed)).toBe(false);
  });

  it('never matches a missing, null or malformed Origin', () => {
    const allowed = ['https://shop.example.com'];
    expect(originAllowed(undefined, allowed)).toBe(false);
    expect(originAllowed('null', allowed)).toBe(false);
    expect(originAllowed('https://*.example.com', ['https://*.example.com'])).toBe(false);
    expect(originAllowed('https://shop.example.com/x/y', allowed)).toBe(false);
  });
});
