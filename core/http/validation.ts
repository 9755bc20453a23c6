/**
 * Response validation: checks a tenant API's answer against the conversation's inputs before any of it
 * reaches the LLM or the visitor (e.g. "the order's email equals the verified contact's email"). It
 * fails closed: a missing response value, a missing input or an incomparable pair fails the rule.
 *
 * Semantics, per op (`actual` is the response value at `path`, `expected` is `inputs[input]` or `value`):
 * - `exists`: actual is present: not missing, not null, not a blank string.
 * - `equals`: scalars only; two numbers (or a number and a numeric string) compare as numbers, anything
 *   else as exact text (`true` equals `"true"`). Objects and arrays never equal anything.
 * - `equals_ignore_case`: as `equals`, ignoring case safely: email addresses must be valid and canonical
 *   on both sides (core/email.ts), and no character is folded into a different-looking one.
 * - `contains`: a string actual contains expected as a substring (case-sensitive); an array actual has
 *   an element that `equals` expected. An empty expected never matches.
 * - `regex`: the pattern is the rule's `value` (never an input), on RE2 (linear time, no lookarounds or
 *   backreferences), with `find()` semantics: it matches anywhere unless anchored with `^...$`. Applied
 *   to a scalar actual as text. A pattern that does not compile fails the rule.
 * - `gt`, `gte`, `lt`, `lte`: actual `op` expected, both finite numbers or numeric strings.
 */
import { RE2JS } from 're2js';
import type { ResponseValidation } from '../../models/connection.schema';
import type { VariableValue } from '../../models/flow.schema';
import { equalsIgnoreCase } from '../email';
import { readPath } from './jsonPath';

export type ValidationResult = { ok: true } | { ok: false; message: string };

type Scalar = string | number | boolean;

/** Runs `rules` in order against `body`; the first failing rule's message, or ok. */
export function checkResponse(rules: ResponseValidation[], body: unknown, inputs: Record<string, VariableValue>): ValidationResult {
  for (const rule of rules) {
    if (!passes(rule, body, inputs)) return { ok: false, message: rule.message };
  }
  return { ok: true };
}

function passes(rule: ResponseValidation, body: unknown, inputs: Record<string, VariableValue>): boolean {
  const actual = readPath(body, rule.path);
  if (rule.op === 'exists') return isScalar(actual) || (actual !== null && typeof actual === 'object');
  if (rule.op === 'regex') return typeof rule.value === 'string' && isScalar(actual) && findsPattern(rule.value, String(actual));
  const expected = rule.input !== undefined ? (Object.hasOwn(inputs, rule.input) ? inputs[rule.input] : undefined) : rule.value;
  if (!isScalar(expected)) return false;
  switch (rule.op) {
    case 'equals':
      return isScalar(actual) && equals(actual, expected);
    case 'equals_ignore_case':
      return isScalar(actual) && equalsIgnoreCase(String(actual), String(expected));
    case 'contains':
      if (Array.isArray(actual)) return actual.some((item) => isScalar(item) && equals(item, expected));
      return typeof actual === 'string' && actual.includes(String(expected));
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

/** Present scalars only: null, undefined, blank strings, NaN and objects are not. */
function isScalar(value: unknown): value is Scalar {
  if (typeof value === 'string') return value.trim() !== '';
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'boolean';
}

function equals(actual: Scalar, expected: Scalar): boolean {
  if (typeof actual === 'number' || typeof expected === 'number') {
    const a = toNumber(actual);
    const b = toNumber(expected);
    if (a !== undefined && b !== undefined) return a === b;
  }
  return String(actual) === String(expected);
}

function compare(actual: unknown, expected: Scalar, sign: (difference: number) => boolean): boolean {
  const a = toNumber(actual);
  const b = toNumber(expected);
  return a !== undefined && b !== undefined && sign(a - b);
}

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !NUMERIC.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return Number.isFinite(n) ? n : undefined;
}

function findsPattern(pattern: string, text: string): boolean {
  try {
    return RE2JS.compile(pattern).matcher(text).find();
  } catch {
    return false; // an invalid pattern fails closed
  }
}
