import { ResponseValidation } from '../../models/connection.schema';
import type { VariableValue } from '../../models/flow.schema';
import { checkResponse } from './validation';

type RuleSpec = { path: string; op: ResponseValidation['op']; input?: string; value?: string | number | boolean };

/** One rule, parsed through the schema as the API stores it. */
function rule(spec: RuleSpec, message = 'Sorry, that does not match our records.'): ResponseValidation {
  return ResponseValidation.parse({ ...spec, message });
}

function check(spec: RuleSpec, body: unknown, inputs: Record<string, VariableValue> = {}): boolean {
  return checkResponse([rule(spec)], body, inputs).ok;
}

const order = { email: 'Ann@Example.com', total: 42.5, count: '3', paid: true, tags: ['vip', 'eu'], customer: { id: 9 }, note: '', gone: null };

describe('checkResponse', () => {
  it('passes with no rules', () => expect(checkResponse([], undefined, {})).toEqual({ ok: true }));
  it('returns the first failing rule message', () => {
    const rules = [rule({ path: 'paid', op: 'equals', value: true }, 'first'), rule({ path: 'total', op: 'gt', value: 100 }, 'second'), rule({ path: 'x', op: 'exists' }, 'third')];
    expect(checkResponse(rules, order, {})).toEqual({ ok: false, message: 'second' });
  });
});

describe('equals / equals_ignore_case', () => {
  it('compares with an input', () => expect(check({ path: 'email', op: 'equals', input: 'email' }, order, { email: 'Ann@Example.com' })).toBe(true));
  it('is case-sensitive', () => expect(check({ path: 'email', op: 'equals', input: 'email' }, order, { email: 'ann@example.com' })).toBe(false));
  it('equals_ignore_case ignores case', () => expect(check({ path: 'email', op: 'equals_ignore_case', input: 'email' }, order, { email: 'ann@example.com' })).toBe(true));
  const owner = { email: 'Kate.Kirk@Example.com' };
  const rule = { path: 'email', op: 'equals_ignore_case' as const, input: 'email' };
  it.each([
    ['a Kelvin sign', '\u212Aate.kirk@example.com'],
    ['a fullwidth letter', 'k\uFF41te.kirk@example.com'],
    ['a zero-width space', 'kate.kirk@exa\u200Bmple.com'],
    ['a Cyrillic a', 'k\u0430te.kirk@example.com'],
    ['a dotless i', 'kate.k\u0131rk@example.com'],
    ['a sharp s', 'kate.kirk@exa\u00DFmple.com'],
  ])("equals_ignore_case withholds the data for an input with %s that looks like the owner's email", (_what, email) => {
    expect(check(rule, owner, { email })).toBe(false);
  });
  it('equals_ignore_case withholds the data when the stored email holds the look-alike', () => {
    expect(check(rule, { email: '\u212Aate.kirk@example.com' }, { email: 'kate.kirk@example.com' })).toBe(false);
  });
  it('equals_ignore_case accepts the owner in any ASCII case', () => expect(check(rule, owner, { email: ' KATE.KIRK@example.COM ' })).toBe(true));
  it('equals_ignore_case still needs the same text', () => expect(check({ path: 'email', op: 'equals_ignore_case', input: 'email' }, order, { email: 'bob@example.com' })).toBe(false));
  it('compares numbers with numeric text', () => expect(check({ path: 'total', op: 'equals', input: 'total' }, order, { total: '42.50' })).toBe(true));
  it('compares a boolean with its text', () => expect(check({ path: 'paid', op: 'equals', value: 'true' }, order)).toBe(true));
  it('compares with a literal value', () => expect(check({ path: 'customer.id', op: 'equals', value: 9 }, order)).toBe(true));
  it('never equals an object', () => expect(check({ path: 'customer', op: 'equals', value: '[object Object]' }, order)).toBe(false));
});

describe('fails closed', () => {
  it('fails when the response value is missing', () => expect(check({ path: 'nope', op: 'equals', value: 'x' }, order)).toBe(false));
  it('fails when the response value is null', () => expect(check({ path: 'gone', op: 'equals', value: 'null' }, order)).toBe(false));
  it('fails when the response value is blank', () => expect(check({ path: 'note', op: 'equals', input: 'note' }, order, { note: '' })).toBe(false));
  it('fails when the input is missing', () => expect(check({ path: 'email', op: 'equals', input: 'email' }, order, {})).toBe(false));
  it('fails when the input is null', () => expect(check({ path: 'email', op: 'equals', input: 'email' }, order, { email: null })).toBe(false));
  it('fails without an input or a value', () => expect(check({ path: 'email', op: 'equals' }, order)).toBe(false));
  it('fails when the body is not JSON', () => expect(check({ path: 'email', op: 'exists' }, undefined)).toBe(false));
  it('does not read inherited input names', () => expect(check({ path: 'email', op: 'equals', input: 'constructor' }, order, {})).toBe(false));
});

describe('contains', () => {
  it('finds a substring', () => expect(check({ path: 'email', op: 'contains', value: '@Example' }, order)).toBe(true));
  it('is case-sensitive', () => expect(check({ path: 'email', op: 'contains', value: '@example' }, order)).toBe(false));
  it('finds an array element', () => expect(check({ path: 'tags', op: 'contains', input: 'tag' }, order, { tag: 'vip' })).toBe(true));
  it('does not match part of an array element', () => expect(check({ path: 'tags', op: 'contains', value: 'vi' }, order)).toBe(false));
  it('never matches an empty expected value', () => expect(check({ path: 'email', op: 'contains', input: 'q' }, order, { q: '' })).toBe(false));
});

describe('regex', () => {
  it('finds the pattern anywhere (find semantics)', () => expect(check({ path: 'email', op: 'regex', value: 'Example\\.com' }, order)).toBe(true));
  it('respects anchors', () => expect(check({ path: 'email', op: 'regex', value: '^Example' }, order)).toBe(false));
  it('applies to numbers as text', () => expect(check({ path: 'total', op: 'regex', value: '^\\d+\\.5$' }, order)).toBe(true));
  it('fails for a pattern RE2 cannot compile', () => expect(check({ path: 'email', op: 'regex', value: '(?=Ann)Ann' }, order)).toBe(false));
  it('fails without a pattern (never takes one from an input)', () => expect(check({ path: 'email', op: 'regex', input: 'p' }, order, { p: '.*' })).toBe(false));
  it('fails on a missing value', () => expect(check({ path: 'nope', op: 'regex', value: '.*' }, order)).toBe(false));
});

describe('exists', () => {
  it('holds for a present value', () => expect(check({ path: 'customer', op: 'exists' }, order)).toBe(true));
  it('holds for false', () => expect(check({ path: 'paid', op: 'exists' }, { paid: false })).toBe(true));
  it('fails for null, blank or missing', () => {
    expect(check({ path: 'gone', op: 'exists' }, order)).toBe(false);
    expect(check({ path: 'note', op: 'exists' }, order)).toBe(false);
    expect(check({ path: 'nope', op: 'exists' }, order)).toBe(false);
  });
});

describe('numeric comparisons', () => {
  it('gt / gte / lt / lte', () => {
    expect(check({ path: 'total', op: 'gt', value: 42 }, order)).toBe(true);
    expect(check({ path: 'total', op: 'gt', value: 42.5 }, order)).toBe(false);
    expect(check({ path: 'total', op: 'gte', value: 42.5 }, order)).toBe(true);
    expect(check({ path: 'total', op: 'lt', value: 50 }, order)).toBe(true);
    expect(check({ path: 'total', op: 'lte', value: 42 }, order)).toBe(false);
  });
  it('accepts numeric text on both sides', () => expect(check({ path: 'count', op: 'lte', input: 'max' }, order, { max: '10' })).toBe(true));
  it('compares numbers, not text', () => expect(check({ path: 'count', op: 'gt', value: '10' }, order)).toBe(false));
  it('fails for non-numeric values', () => {
    expect(check({ path: 'email', op: 'gt', value: 1 }, order)).toBe(false);
    expect(check({ path: 'total', op: 'lt', input: 'max' }, order, { max: 'lots' })).toBe(false);
    expect(check({ path: 'paid', op: 'gte', value: 0 }, order)).toBe(false);
    expect(check({ path: 'count', op: 'gt', value: 1 }, { count: '3 items' })).toBe(false);
  });
});
