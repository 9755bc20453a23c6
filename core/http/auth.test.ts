import { applyAuth, type AuthSecrets, type AuthSettings } from './auth';
import type { RenderedRequest } from './request';
import { RequestRenderError } from './values';

const request = (): RenderedRequest => ({ method: 'GET', url: 'https://api.example.com/v1/orders?key=visitor', headers: { accept: 'application/json', authorization: 'from-parameter' } });
const secrets = (auth: AuthSecrets['auth'], headers: Record<string, string> = {}): AuthSecrets => ({ auth, headers });

describe('applyAuth', () => {
  it('leaves the request alone for none (but adds extra headers)', () => {
    const out = applyAuth(request(), { type: 'none' }, secrets({}, { 'X-Team': 'blue' }));
    expect(out.request.headers['x-team']).toBe('blue');
    expect(out.secretHeaders).toEqual(['x-team']);
    expect(out.secretValues).toEqual(['blue']);
  });
  it('puts an API key in a header', () => {
    const out = applyAuth(request(), { type: 'api_key', in: 'header', name: 'X-Api-Key' }, secrets({ value: 'k-123' }));
    expect(out.request.headers['x-api-key']).toBe('k-123');
    expect(out.secretHeaders).toContain('x-api-key');
    expect(out.secretValues).toEqual(['k-123']);
  });
  it('puts an API key in the query string, replacing a parameter of the same name', () => {
    const out = applyAuth(request(), { type: 'api_key', in: 'query', name: 'key' }, secrets({ value: 'k 1&2' }));
    expect(out.request.url).toBe('https://api.example.com/v1/orders?key=k+1%262');
  });
  it('sends a bearer token over any Authorization parameter', () => {
    const out = applyAuth(request(), { type: 'bearer' }, secrets({ token: 't0k' }));
    expect(out.request.headers.authorization).toBe('Bearer t0k');
    expect(out.secretHeaders).toEqual(['authorization']);
  });
  it('sends basic credentials as UTF-8 base64, and lists the encoded form as secret', () => {
    const out = applyAuth(request(), { type: 'basic', username: 'zoë' }, secrets({ password: 'pä55:word' }));
    const encoded = Buffer.from('zoë:pä55:word', 'utf8').toString('base64');
    expect(out.request.headers.authorization).toBe(`Basic ${encoded}`);
    expect(out.secretValues).toEqual(['pä55:word', encoded]);
  });
  it('lets credentials win over an extra header of the same name', () => {
    const out = applyAuth(request(), { type: 'bearer' }, secrets({ token: 't' }, { Authorization: 'other' }));
    expect(out.request.headers.authorization).toBe('Bearer t');
  });
  it.each<[AuthSettings, AuthSecrets]>([
    [{ type: 'bearer' }, secrets({})],
    [{ type: 'basic', username: 'u' }, secrets({})],
    [{ type: 'api_key', in: 'header', name: 'X-Key' }, secrets({})],
    [{ type: 'api_key', in: 'query', name: '' }, secrets({ value: 'k' })],
    [{ type: 'api_key', in: 'header', name: 'Bad Name' }, secrets({ value: 'k' })],
    [{ type: 'none' }, secrets({}, { 'X-A': 'line\r\nbreak' })],
  ])('refuses incomplete or invalid settings %#', (auth, s) => {
    expect(() => applyAuth(request(), auth, s)).toThrow(RequestRenderError);
  });
  it('does not modify the input request', () => {
    const req = request();
    applyAuth(req, { type: 'bearer' }, secrets({ token: 't' }));
    expect(req.headers.authorization).toBe('from-parameter');
  });
});
