import { createMasker, MASK } from '../../core/http/mask';
import { failureMessage, MAX_FIELD_CHARS, MAX_RETRY_AFTER_MS, parseJson, pickFields, retryAfterMs } from './response';

describe('parseJson', () => {
  it('parses JSON', () => expect(parseJson('{"a":1}')).toEqual({ ok: true, value: { a: 1 } }));
  it('refuses text, HTML and empty bodies', () => {
    expect(parseJson('<html>')).toEqual({ ok: false });
    expect(parseJson('')).toEqual({ ok: false });
  });
});

describe('pickFields', () => {
  const mask = createMasker(['sekret']);
  const body = { order: { id: 7, status: 'shipped', paid: true, lines: [{ sku: 'A' }], echo: 'token=sekret', note: null, long: 'x'.repeat(MAX_FIELD_CHARS + 1) } };
  const pick = (path: string) => pickFields(body, [{ name: 'f', path }], mask).f;
  it('keeps scalars as they are', () => {
    expect(pick('order.id')).toBe(7);
    expect(pick('order.status')).toBe('shipped');
    expect(pick('order.paid')).toBe(true);
  });
  it('keeps objects and arrays as JSON text', () => expect(pick('order.lines')).toBe('[{"sku":"A"}]'));
  it('is null for missing, null and overlong values', () => {
    expect(pick('order.nope')).toBeNull();
    expect(pick('order.note')).toBeNull();
    expect(pick('order.long')).toBeNull();
  });
  it('masks a secret echoed back', () => expect(pick('order.echo')).toBe(`token=${MASK}`));
  it('keeps only the listed fields', () => expect(Object.keys(pickFields(body, [{ name: 'a', path: 'order.id' }], mask))).toEqual(['a']));
  it('stores a "__proto__" field name as data', () => {
    const fields = pickFields(body, [{ name: '__proto__', path: 'order.id' }], mask);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(Object.hasOwn(fields, '__proto__')).toBe(true);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads seconds', () => expect(retryAfterMs('3', now)).toBe(3000));
  it('reads an HTTP date', () => expect(retryAfterMs('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000));
  it('never goes below zero', () => expect(retryAfterMs('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0));
  it('caps long waits', () => expect(retryAfterMs('86400', now)).toBe(MAX_RETRY_AFTER_MS));
  it('is undefined when absent or unreadable', () => {
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-1', now)).toBeUndefined();
  });
});

describe('failureMessage', () => {
  it('never includes anything from the response', () => {
    for (const status of [301, 400, 401, 404, 409, 418, 500]) expect(failureMessage(status)).not.toMatch(/http:|\{/);
  });
});
