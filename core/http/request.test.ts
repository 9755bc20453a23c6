import { EndpointParameter } from '../../models/connection.schema';
import type { VariableValue } from '../../models/flow.schema';
import { renderRequest, RequestRenderError, type RenderRequestInput } from './request';

type ParamSpec = { name: string; type?: EndpointParameter['type']; in?: EndpointParameter['in']; required?: boolean; enum?: string[] };

function param(spec: ParamSpec): EndpointParameter {
  return EndpointParameter.parse({ type: 'string', in: 'path', ...spec });
}

function render(options: { baseUrl?: string; method?: string; path?: string; params?: ParamSpec[]; bodyTemplate?: unknown; values?: Record<string, VariableValue> }) {
  const input: RenderRequestInput = {
    baseUrl: options.baseUrl ?? 'https://api.example.com/v2',
    endpoint: { method: options.method ?? 'GET', path: options.path ?? '/orders/{id}', parameters: (options.params ?? [{ name: 'id' }]).map(param), bodyTemplate: options.bodyTemplate },
    values: options.values ?? {},
  };
  return renderRequest(input);
}

/** The error a render throws, for asserting its code. */
function failure(run: () => unknown): RequestRenderError {
  try {
    run();
  } catch (error) {
    if (error instanceof RequestRenderError) return error;
    throw error;
  }
  throw new Error('expected a RequestRenderError');
}

const pathValue = (id: VariableValue) => render({ values: { id } });

describe('renderRequest: URL', () => {
  it('appends the rendered path to the base URL', () => expect(pathValue('A-1').url).toBe('https://api.example.com/v2/orders/A-1'));
  it('handles a base URL with a trailing slash or no path', () => {
    expect(render({ baseUrl: 'https://api.example.com/v2/', values: { id: 1 } }).url).toBe('https://api.example.com/v2/orders/1');
    expect(render({ baseUrl: 'https://api.example.com', values: { id: 1 } }).url).toBe('https://api.example.com/orders/1');
  });
  it('keeps a non-default port and drops user info and fragments of the base', () => {
    expect(render({ baseUrl: 'http://user:pw@127.0.0.1:8080/api#x', values: { id: 1 } }).url).toBe('http://127.0.0.1:8080/api/orders/1');
  });
  it('percent-encodes path values', () => {
    expect(pathValue('a b?x=1#frag').url).toBe('https://api.example.com/v2/orders/a%20b%3Fx%3D1%23frag');
    expect(pathValue('?x=1').url).toBe('https://api.example.com/v2/orders/%3Fx%3D1');
    expect(pathValue('#frag').url).toBe('https://api.example.com/v2/orders/%23frag');
  });
  it('encodes unicode as UTF-8', () => expect(pathValue('café→☃').url).toBe('https://api.example.com/v2/orders/caf%C3%A9%E2%86%92%E2%98%83'));
  it('encodes a literal percent sign', () => expect(pathValue('100%').url).toBe('https://api.example.com/v2/orders/100%25'));
  it('appends query parameters, encoded', () => {
    const req = render({ path: '/search', params: [{ name: 'q', in: 'query' }, { name: 'page', type: 'integer', in: 'query', required: false }], values: { q: 'a&b=c #d', page: '2' } });
    expect(req.url).toBe('https://api.example.com/v2/search?q=a%26b%3Dc+%23d&page=2');
  });
  it('omits optional query parameters left out', () => {
    expect(render({ path: '/search', params: [{ name: 'q', in: 'query', required: false }], values: { q: null } }).url).toBe('https://api.example.com/v2/search');
  });
  it('keeps the base URL query string', () => {
    expect(render({ baseUrl: 'https://api.example.com/v2?tenant=7', path: '/s', params: [{ name: 'q', in: 'query' }], values: { q: 'x' } }).url).toBe('https://api.example.com/v2/s?tenant=7&q=x');
  });
});

describe('renderRequest: hostile path values', () => {
  const refused = ['..', '.', '../admin', 'a/b', '/etc/passwd', '%2e%2e', '%2E%2e', '.%2e', '%2e', '%2F', 'a%2fb', '%252e%252e', '%25252F', '..\\admin', 'a\\b', 'http://evil', '//evil.com', ''];
  it.each(refused)('refuses %j', (value) => {
    const error = failure(() => pathValue(value));
    expect(error.code).toBe(value === '' ? 'missing_value' : 'invalid_value');
    expect(error.parameter).toBe('id');
  });
  it('refuses a lone surrogate', () => expect(failure(() => pathValue('\ud800')).code).toBe('invalid_value'));
  it('allows dots inside a value', () => expect(pathValue('v1.2..3').url).toBe('https://api.example.com/v2/orders/v1.2..3'));
  it('never leaves the base path, whatever the template', () => {
    expect(failure(() => render({ path: '/../admin', params: [] })).code).toBe('bad_endpoint');
    expect(failure(() => render({ path: '/a/%2e%2E/admin', params: [] })).code).toBe('bad_endpoint');
    expect(failure(() => render({ path: '/a\\..\\admin', params: [] })).code).toBe('bad_endpoint');
  });
  it('refuses a placeholder that is not a path parameter', () => {
    expect(failure(() => render({ path: '/orders/{other}', params: [{ name: 'id' }], values: { id: 1 } })).code).toBe('bad_endpoint');
    expect(failure(() => render({ path: '/orders/{q}', params: [{ name: 'q', in: 'query' }], values: { q: 'x' } })).code).toBe('bad_endpoint');
  });
  it('refuses a base URL that is not http(s)', () => expect(failure(() => render({ baseUrl: 'file:///etc', values: { id: 1 } })).code).toBe('bad_endpoint'));
});

describe('renderRequest: headers', () => {
  const header = (value: VariableValue, name = 'X_Tenant') => render({ path: '/a', params: [{ name, in: 'header' }], values: { [name]: value } });
  it('sends header parameters and accepts JSON', () => expect(header('t-1').headers).toEqual({ accept: 'application/json', x_tenant: 't-1' }));
  it('refuses CR/LF and other control characters', () => {
    expect(failure(() => header('a\r\nX-Admin: 1')).code).toBe('invalid_value');
    expect(failure(() => header('a\nb')).code).toBe('invalid_value');
    expect(failure(() => header('a\u0000b')).code).toBe('invalid_value');
  });
  it('refuses non-ASCII header values', () => expect(failure(() => header('café')).code).toBe('invalid_value'));
  it('refuses Host as a parameter', () => expect(failure(() => header('evil.com', 'Host')).code).toBe('bad_endpoint'));
});

describe('renderRequest: values and types', () => {
  const typed = (type: EndpointParameter['type'], value: VariableValue, extra: Partial<ParamSpec> = {}) => render({ path: '/a', params: [{ name: 'v', type, in: 'query', ...extra }], values: { v: value } }).url.split('?v=')[1];
  it('accepts and normalizes each type', () => {
    expect(typed('string', 42)).toBe('42');
    expect(typed('number', '3.5')).toBe('3.5');
    expect(typed('number', -2)).toBe('-2');
    expect(typed('integer', '7')).toBe('7');
    expect(typed('boolean', 'Yes')).toBe('true');
    expect(typed('boolean', false)).toBe('false');
    expect(typed('email', ' ann@example.com ')).toBe('ann%40example.com');
    expect(typed('email', 'Ann@EXAMPLE.com')).toBe('Ann%40example.com');
    expect(typed('email', 'ann@bücher.de')).toBe('ann%40xn--bcher-kva.de');
    expect(typed('date', '2024-02-29')).toBe('2024-02-29');
    expect(typed('enum', 'gold', { enum: ['gold', 'silver'] })).toBe('gold');
  });
  it.each([
    ['number', 'ten'],
    ['number', '1e999'],
    ['integer', 2.5],
    ['integer', '9007199254740993'],
    ['boolean', 'maybe'],
    ['email', 'not-an-email'],
    ['email', 42],
    ['email', '\u212Aate@example.com'],
    ['email', 'ann@\uFF45xample.com'],
    ['email', 'ann@exa\u200Bmple.com'],
    ['email', '\u0430nn@example.com'],
    ['date', '2023-02-29'],
    ['date', '2024-1-05'],
    ['date', '2024-01-05T00:00:00Z'],
  ] as const)('refuses %s %j', (type, value) => expect(failure(() => typed(type, value)).code).toBe('invalid_value'));
  it('refuses an enum value not listed', () => expect(failure(() => typed('enum', 'bronze', { enum: ['gold'] })).code).toBe('invalid_value'));
  it('requires required values', () => {
    expect(failure(() => typed('string', null)).code).toBe('missing_value');
    expect(failure(() => typed('string', '  ')).code).toBe('missing_value');
    expect(failure(() => render({ values: {} })).code).toBe('missing_value');
  });
  it('does not read inherited value names', () => expect(failure(() => render({ params: [{ name: 'constructor' }], path: '/{constructor}', values: {} })).code).toBe('missing_value'));
});

describe('renderRequest: body', () => {
  const params: ParamSpec[] = [
    { name: 'qty', type: 'integer', in: 'body' },
    { name: 'note', in: 'body', required: false },
    { name: 'gift', type: 'boolean', in: 'body', required: false },
  ];
  it('builds a JSON object from body parameters without a template', () => {
    const req = render({ method: 'POST', path: '/cart', params, values: { qty: '2', gift: true } });
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body!)).toEqual({ qty: 2, gift: true });
  });
  it('sends no body without body parameters or a template', () => expect(render({ values: { id: 1 } }).body).toBeUndefined());
  it('fills a template: whole placeholders keep their type, inline ones become text', () => {
    const bodyTemplate = { order: { quantity: '{{qty}}', label: 'Qty: {{ qty }} ({{note}})', gift: '{{gift}}', note: '{{note}}' }, list: ['{{note}}', '{{qty}}'], fixed: 1 };
    const req = render({ method: 'POST', path: '/cart', params, bodyTemplate, values: { qty: 3, gift: false } });
    expect(JSON.parse(req.body!)).toEqual({ order: { quantity: 3, label: 'Qty: 3 ()', gift: false }, list: [null, 3], fixed: 1 });
  });
  it('escapes values: a value cannot change the JSON structure', () => {
    const hostile = '", "admin": true, "x": "\u2028\r\n';
    const req = render({ method: 'POST', path: '/cart', params, bodyTemplate: { note: '{{note}}', text: 'n={{note}}', qty: '{{qty}}' }, values: { qty: 1, note: hostile } });
    expect(JSON.parse(req.body!)).toEqual({ note: hostile, text: `n=${hostile}`, qty: 1 });
  });
  it('keeps a "__proto__" template key as data', () => {
    const req = render({ method: 'POST', path: '/cart', params, bodyTemplate: JSON.parse('{"__proto__": {"qty": "{{qty}}"}}'), values: { qty: 1 } });
    expect(req.body).toBe('{"__proto__":{"qty":1}}');
  });
  it('refuses a placeholder that names no parameter', () => {
    expect(failure(() => render({ method: 'POST', path: '/cart', params, bodyTemplate: { x: '{{secret}}' }, values: { qty: 1 } })).code).toBe('bad_endpoint');
  });
});
