/** Numbers and whole numbers, with the separators people type. */
import type { AnswerSpec } from '../../models/flow.schema';
import { accept, fold, reject, smallNumberWord, type AnswerResult } from './result';

type NumberSpec = Extract<AnswerSpec, { type: 'number' | 'integer' }>;

/**
 * Reads "12.5", "-3", "1,234.5", "1.234,5", "1 234", "12,5" (a lone comma is a decimal comma unless it
 * is followed by exactly three digits: "1,234" is one thousand two hundred and thirty-four) and the
 * words "zero" to "twenty". A lone dot is always a decimal point ("1.234" is 1.234). Null otherwise.
 */
export function readNumber(text: string): number | null {
  const t = fold(text).replace(/[\u00a0\u202f]/g, ' ');
  if (t.length > 40) return null;
  const word = smallNumberWord(t);
  if (word !== null) return word;

  const m = /^([+-])?\s*(\d[\d.,' ]*|[.,]\d+)$/.exec(t);
  if (!m) return null;
  const sign = m[1] === '-' ? '-' : '';
  const body = m[2] ?? '';
  let plain: string | null = null;
  if (/^\d+$/.test(body)) {
    plain = body;
  } else if (/^\d*[.,]\d+$/.test(body)) {
    // One separator: a comma before exactly three digits groups thousands; anything else is a decimal mark.
    plain = /^\d{1,3},\d{3}$/.test(body) ? body.replace(',', '') : body.replace(',', '.');
  } else {
    // Thousands groups with one consistent separator, then an optional decimal part with the other mark.
    const grouped = /^\d{1,3}([,. '])\d{3}(?:\1\d{3})*(?:([.,])(\d+))?$/.exec(body);
    if (grouped && grouped[1] !== grouped[2]) {
      const [int, frac] = grouped[2] ? [body.slice(0, body.lastIndexOf(grouped[2])), grouped[3]] : [body, undefined];
      plain = int.replace(/\D/g, '') + (frac ? `.${frac}` : '');
    }
  }
  if (plain === null) return null;
  const value = Number(sign + plain);
  return Number.isFinite(value) ? value : null;
}

const display = new Intl.NumberFormat('en-US', { maximumFractionDigits: 20 });

function rangeReason(what: string, min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `Please enter ${what} between ${min} and ${max}.`;
  if (min !== undefined) return `Please enter ${what} of at least ${min}.`;
  return `Please enter ${what} of at most ${max}.`;
}

/** number: any finite number; integer: whole numbers only (safe integers). Both honour min/max. */
export function parseNumber(spec: NumberSpec, text: string): AnswerResult {
  const value = readNumber(text);
  const what = spec.type === 'integer' ? 'a whole number' : 'a number';
  if (value === null) return reject(`Please enter ${what}, e.g. ${spec.type === 'integer' ? '42' : '12.5'}.`);
  if (spec.type === 'integer' && !Number.isSafeInteger(value)) return reject('Please enter a whole number, without decimals.');
  if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
    return reject(rangeReason(what, spec.min, spec.max));
  }
  return accept(value, display.format(value));
}
