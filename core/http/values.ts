/**
 * Parameter values, checked against their declared type before they go into a request. Values arrive
 * from flows as text ("42", "true") as often as typed, so numeric and boolean text is accepted and
 * converted; anything that does not fit the type is refused rather than sent.
 */
import type { EndpointParameter } from '../../models/connection.schema';
import type { VariableValue } from '../../models/flow.schema';
import { checkEmail } from '../email';

export type Scalar = string | number | boolean;

export type RequestErrorCode = 'missing_value' | 'invalid_value' | 'bad_endpoint';

/** A request that cannot be built from these values (or this endpoint); the message is visitor-safe. */
export class RequestRenderError extends Error {
  override readonly name = 'RequestRenderError';
  constructor(
    readonly code: RequestErrorCode,
    message: string,
    readonly parameter?: string,
  ) {
    super(message);
  }
}

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The typed value of `parameter` from `values`, or undefined for an optional parameter left out (absent,
 * null or blank). Throws RequestRenderError for a missing required value or one of the wrong type.
 */
export function parameterValue(parameter: EndpointParameter, values: Record<string, VariableValue>): Scalar | undefined {
  const raw = Object.hasOwn(values, parameter.name) ? values[parameter.name] : undefined;
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    if (parameter.required) throw new RequestRenderError('missing_value', `A value for "${parameter.name}" is required.`, parameter.name);
    return undefined;
  }
  const value = coerce(parameter, raw);
  if (value === undefined) throw new RequestRenderError('invalid_value', `The value for "${parameter.name}" ${expectation(parameter)}.`, parameter.name);
  return value;
}

function coerce(parameter: EndpointParameter, raw: Scalar): Scalar | undefined {
  switch (parameter.type) {
    case 'string':
      return String(raw);
    case 'number':
      return toNumber(raw);
    case 'integer': {
      const n = toNumber(raw);
      return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
    }
    case 'boolean':
      return toBoolean(raw);
    case 'email': {
      // Checked as written (no compatibility, zero-width or look-alike characters), domain lower-cased.
      const checked = typeof raw === 'string' ? checkEmail(raw) : undefined;
      return checked?.ok ? checked.address : undefined;
    }
    case 'date': {
      const text = typeof raw === 'string' ? raw.trim() : '';
      return isCalendarDate(text) ? text : undefined;
    }
    case 'enum': {
      const text = String(raw);
      return parameter.enum?.includes(text) ? text : undefined;
    }
  }
}

function expectation(parameter: EndpointParameter): string {
  switch (parameter.type) {
    case 'string':
      return 'must be text';
    case 'number':
      return 'must be a number';
    case 'integer':
      return 'must be a whole number';
    case 'boolean':
      return 'must be true or false';
    case 'email':
      return 'must be an email address';
    case 'date':
      return 'must be a date (YYYY-MM-DD)';
    case 'enum':
      return `must be one of: ${(parameter.enum ?? []).join(', ')}`;
  }
}

function toNumber(raw: Scalar): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== 'string' || !NUMERIC.test(raw.trim())) return undefined;
  const n = Number(raw.trim());
  return Number.isFinite(n) ? n : undefined;
}

function toBoolean(raw: Scalar): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  const text = String(raw).trim().toLowerCase();
  if (text === 'true' || text === 'yes') return true;
  if (text === 'false' || text === 'no') return false;
  return undefined;
}

function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
