import { Condition, type ComparisonOp } from '../models/flow.schema';
import { conditionVariables, evaluateCondition } from './conditions';

type Value = string | number | boolean | null | undefined;

/** `variable op value` against `{ variable: actual }`, parsed through the schema as the API would. */
function check(actual: Value, op: ComparisonOp, value?: string | number | boolean): boolean {
  const condition = Condition.parse(value === undefined ? { variable: 'x', op } : { variable: 'x', op, value });
  return evaluateCondition(condition, { x: actual });
}

describe('evaluateCondition: equals / not_equals', () => {
  it('matches strings case-insensitively', () => expect(check('Paris', 'equals', 'paris')).toBe(true));
  it('ignores surrounding spaces', () => expect(check(' Paris ', 'equals', 'paris')).toBe(true));
  it('rejects different strings', () => expect(check('Paris', 'equals', 'Lyon')).toBe(false));
  it('compares numeric-looking strings as numbers', () => expect(check('10.0', 'equals', 10)).toBe(true));
  it('compares two numeric strings as numbers', () => expect(check('007', 'equals', '7')).toBe(true));
  it('does not treat a number-prefixed string as numeric', () => expect(check('10 people', 'equals', 10)).toBe(false));
  it('matches a boolean against yes/true', () => {
    expect(check(true, 'equals', 'yes')).toBe(true);
    expect(check('Yes', 'equals', true)).toBe(true);
    expect(check(false, 'equals', 'no')).toBe(true);
  });
  it('does not match a boolean against an unrelated word', () => expect(check(true, 'equals', 'maybe')).toBe(false));
  it('is false for a missing variable', () => expect(check(undefined, 'equals', 'x')).toBe(false));
  it('is false for a null variable', () => expect(check(null, 'equals', 'null')).toBe(false));
  it('not_equals is the negation of equals', () => {
    expect(check('Paris', 'not_equals', 'Lyon')).toBe(true);
    expect(check('Paris', 'not_equals', 'PARIS')).toBe(false);
  });
  it('not_equals holds for a missing variable', () => expect(check(undefined, 'not_equals', 'paid')).toBe(true));
});

describe('evaluateCondition: contains', () => {
  it('finds a substring case-insensitively', () => expect(check('I need a Vegan menu', 'contains', 'vegan')).toBe(true));
  it('is false when the substring is absent', () => expect(check('steak', 'contains', 'vegan')).toBe(false));
  it('works on numbers as text', () => expect(check(12345, 'contains', '234')).toBe(true));
  it('is false for a missing variable', () => expect(check(undefined, 'contains', 'a')).toBe(false));
  it('is false without a value', () => expect(check('abc', 'contains')).toBe(false));
});

describe('evaluateCondition: gt / gte / lt / lte', () => {
  it('compares numbers', () => {
    expect(check(5, 'gt', 3)).toBe(true);
    expect(check(3, 'gt', 3)).toBe(false);
    expect(check(3, 'gte', 3)).toBe(true);
    expect(check(2, 'lt', 3)).toBe(true);
    expect(check(3, 'lte', 3)).toBe(true);
    expect(check(4, 'lte', 3)).toBe(false);
  });
  it('compares numeric strings as numbers, not text', () => expect(check('10', 'gt', '9')).toBe(true));
  it('compares dates chronologically', () => {
    expect(check('2025-03-14', 'gt', '2025-02-28')).toBe(true);
    expect(check('2024-12-31', 'lt', '2025-01-01')).toBe(true);
    expect(check('2025-03-14', 'gte', '2025-03-14')).toBe(true);
  });
  it('compares datetimes as instants across offsets', () => {
    // 10:00+02:00 is 08:00Z, earlier than 09:00Z although its text sorts later.
    expect(check('2025-03-14T10:00:00+02:00', 'lt', '2025-03-14T09:00:00Z')).toBe(true);
    expect(check('2025-03-14T10:00:00+02:00', 'gt', '2025-03-14T09:00:00Z')).toBe(false);
  });
  it('compares a datetime with a date by calendar day', () => {
    expect(check('2025-03-15T09:00:00+01:00', 'gt', '2025-03-14')).toBe(true);
    expect(check('2025-03-14T23:00:00+01:00', 'gt', '2025-03-14')).toBe(false);
    expect(check('2025-03-14T23:00:00+01:00', 'gte', '2025-03-14')).toBe(true);
  });
  it('compares times of day', () => {
    expect(check('14:30', 'gt', '09:00')).toBe(true);
    expect(check('9:15', 'lt', '10:00')).toBe(true);
  });
  it('rejects impossible dates', () => expect(check('2025-13-01', 'gt', '2025-01-01')).toBe(false));
  it('is false for non-numeric, non-date values', () => expect(check('abc', 'gt', 3)).toBe(false));
  it('is false for a date against a number', () => expect(check('2025-03-14', 'gt', 5)).toBe(false));
  it('is false for a missing variable', () => expect(check(undefined, 'lt', 3)).toBe(false));
  it('is false for booleans', () => expect(check(true, 'gte', 0)).toBe(false));
});

describe('evaluateCondition: exists / not_exists', () => {
  it('a non-empty string exists', () => expect(check('a', 'exists')).toBe(true));
  it('zero and false exist', () => {
    expect(check(0, 'exists')).toBe(true);
    expect(check(false, 'exists')).toBe(true);
  });
  it('undefined, null and blank strings do not exist', () => {
    for (const value of [undefined, null, '', '   ']) expect(check(value, 'exists')).toBe(false);
    for (const value of [undefined, null, '', '   ']) expect(check(value, 'not_exists')).toBe(true);
  });
  it('not_exists is false for a value', () => expect(check('a', 'not_exists')).toBe(false));
  it('ignores inherited properties such as constructor', () => {
    expect(evaluateCondition({ variable: 'constructor', op: 'exists' }, {})).toBe(false);
  });
});

describe('evaluateCondition: all / any', () => {
  const vars = { guests: 4, city: 'Paris' };
  const big: Condition = { variable: 'guests', op: 'gte', value: 4 };
  const lyon: Condition = { variable: 'city', op: 'equals', value: 'Lyon' };
  it('all holds when every condition holds', () => expect(evaluateCondition({ all: [big, { variable: 'city', op: 'exists' }] }, vars)).toBe(true));
  it('all fails when one condition fails', () => expect(evaluateCondition({ all: [big, lyon] }, vars)).toBe(false));
  it('any holds when one condition holds', () => expect(evaluateCondition({ any: [lyon, big] }, vars)).toBe(true));
  it('any fails when no condition holds', () => expect(evaluateCondition({ any: [lyon, { variable: 'guests', op: 'lt', value: 2 }] }, vars)).toBe(false));
  it('nests', () => expect(evaluateCondition({ all: [{ any: [lyon, big] }, { variable: 'city', op: 'contains', value: 'ar' }] }, vars)).toBe(true));
});

describe('conditionVariables', () => {
  it('lists a comparison variable', () => expect(conditionVariables({ variable: 'a', op: 'exists' })).toEqual(['a']));
  it('lists nested variables once, in order', () => {
    const condition: Condition = { all: [{ variable: 'b', op: 'exists' }, { any: [{ variable: 'a', op: 'exists' }, { variable: 'b', op: 'equals', value: 1 }] }] };
    expect(conditionVariables(condition)).toEqual(['b', 'a']);
  });
});
