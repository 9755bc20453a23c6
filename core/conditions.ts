/**
 * Condition blocks' comparisons. Answers arrive as text ("42", "Yes", "2025-03-14"), so comparisons are
 * forgiving about representation: case-insensitive strings, numbers compared as numbers, dates and times
 * chronologically. Pure and clock-free, so the conversation workflow can evaluate them during replay.
 */
import type { Condition } from '../models/flow.schema';
import type { TemplateVariables } from './template';
import { foldForComparison } from './email';

type Value = string | number | boolean | null | undefined;

/** True when `condition` holds for `variables`. A comparison that makes no sense (e.g. "abc" > 3) is false. */
export function evaluateCondition(condition: Condition, variables: TemplateVariables): boolean {
  if ('all' in condition) return condition.all.every((c) => evaluateCondition(c, variables));
  if ('any' in condition) return condition.any.some((c) => evaluateCondition(c, variables));
  const actual: Value = Object.hasOwn(variables, condition.variable) ? variables[condition.variable] : undefined;
  const expected = condition.value;
  switch (condition.op) {
    case 'exists':
      return isPresent(actual);
    case 'not_exists':
      return !isPresent(actual);
    case 'equals':
      return equals(actual, expected);
    case 'not_equals':
      return !equals(actual, expected);
    case 'contains':
      return isPresent(actual) && isPresent(expected) && text(actual).includes(text(expected));
    case 'gt':
      return compare(actual, expected, (d) => d > 0);
    case 'gte':
      return compare(actual, expected, (d) => d >= 0);
    case 'lt':
      return compare(actual, expected, (d) => d < 0);
    case 'lte':
      return compare(actual, expected, (d) => d <= 0);
  }
}

/** The distinct variable names a condition reads, in order of first use. */
export function conditionVariables(condition: Condition): string[] {
  if ('all' in condition) return [...new Set(condition.all.flatMap(conditionVariables))];
  if ('any' in condition) return [...new Set(condition.any.flatMap(conditionVariables))];
  return [condition.variable];
}

/** Present means not null, undefined, or a blank string (an ask with nothing typed). */
function isPresent(value: Value): value is string | number | boolean {
  return value !== null && value !== undefined && !(typeof value === 'string' && value.trim() === '');
}

function equals(actual: Value, expected: Value): boolean {
  if (!isPresent(actual) || !isPresent(expected)) return false;
  if (typeof actual === 'boolean' || typeof expected === 'boolean') {
    const a = toBoolean(actual);
    return a !== undefined && a === toBoolean(expected);
  }
  const a = toNumber(actual);
  const b = toNumber(expected);
  if (a !== undefined && b !== undefined) return a === b;
  return text(actual) === text(expected);
}

/** `sign` receives actual − expected (its sign only); false when the two are not comparable. */
function compare(actual: Value, expected: Value, sign: (difference: number) => boolean): boolean {
  const difference = numeric(actual, expected) ?? chronological(actual, expected) ?? timeOfDay(actual, expected);
  return difference !== undefined && sign(difference);
}

function numeric(actual: Value, expected: Value): number | undefined {
  const a = toNumber(actual);
  const b = toNumber(expected);
  return a !== undefined && b !== undefined ? a - b : undefined;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/**
 * Dates ("2025-03-14") compare as strings, which is chronological for that format. Datetimes ("…T14:30+02:00")
 * compare as instants (a missing offset counts as UTC). A date against a datetime compares the calendar
 * day as written, so "2025-03-14T09:00" is neither before nor after "2025-03-14".
 */
function chronological(actual: Value, expected: Value): number | undefined {
  if (typeof actual !== 'string' || typeof expected !== 'string') return undefined;
  const a = parseMoment(actual.trim());
  const b = parseMoment(expected.trim());
  if (!a || !b) return undefined;
  if (a.instant !== undefined && b.instant !== undefined) return a.instant - b.instant;
  return a.day < b.day ? -1 : a.day > b.day ? 1 : 0;
}

function parseMoment(value: string): { day: string; instant?: number } | undefined {
  const date = DATE.exec(value);
  if (date) return validDay(date[2]!, date[3]!) ? { day: value } : undefined;
  const m = DATETIME.exec(value);
  if (!m || !validDay(m[2]!, m[3]!) || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59) return undefined;
  const ms = Number(`0.${m[7] ?? '0'}`) * 1000;
  // Date.UTC is plain arithmetic (deterministic); only the clock is off-limits in workflow code.
  const local = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), ms);
  return { day: value.slice(0, 10), instant: local - offsetMinutes(m[8]) * 60_000 };
}

function validDay(month: string, day: string): boolean {
  return Number(month) >= 1 && Number(month) <= 12 && Number(day) >= 1 && Number(day) <= 31;
}

function offsetMinutes(offset: string | undefined): number {
  if (!offset || offset.toUpperCase() === 'Z') return 0;
  const digits = offset.replace(':', '');
  const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
  return digits.startsWith('-') ? -minutes : minutes;
}

/** Times of day ("09:30", "14:00:15"), as an ask of type time stores them. */
function timeOfDay(actual: Value, expected: Value): number | undefined {
  const a = typeof actual === 'string' ? secondsOfDay(actual.trim()) : undefined;
  const b = typeof expected === 'string' ? secondsOfDay(expected.trim()) : undefined;
  return a !== undefined && b !== undefined ? a - b : undefined;
}

function secondsOfDay(value: string): number | undefined {
  const m = TIME.exec(value);
  if (!m) return undefined;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  return h <= 23 && min <= 59 && s <= 59 ? h * 3600 + min * 60 + s : undefined;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

function toNumber(value: Value): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !NUMBER.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** yes/no answers may be stored as booleans or as the words the visitor typed. */
function toBoolean(value: string | number | boolean): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const word = text(value);
  if (word === 'true' || word === 'yes') return true;
  if (word === 'false' || word === 'no') return false;
  return undefined;
}

function text(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return foldForComparison(String(value).trim());
}
