/** Free text, email addresses and phone numbers. */
import type { AnswerSpec } from '../../models/flow.schema';
import { checkEmail } from '../email';
import { accept, reject, type AnswerResult } from './result';

type TextSpec = Extract<AnswerSpec, { type: 'text' }>;

/** Trimmed text; lengths count characters (code points), so an emoji is one. */
export function parseText(spec: TextSpec, text: string): AnswerResult {
  const value = text.trim();
  const length = [...value].length;
  if (length === 0) return reject('Please type an answer.');
  if (spec.minLength !== undefined && length < spec.minLength) return reject(`Please use at least ${spec.minLength} characters.`);
  if (spec.maxLength !== undefined && length > spec.maxLength) return reject(`Please keep it to ${spec.maxLength} characters or fewer.`);
  return accept(value, value);
}

/**
 * An address such as "Ada@Example.COM", checked as written before anything is folded (core/email.ts):
 * the value is lower-cased ASCII ("ada@example.com", an IDN domain as its xn-- form), the display keeps
 * an IDN domain readable.
 */
export function parseEmail(text: string): AnswerResult {
  const checked = checkEmail(text);
  return checked.ok ? accept(checked.folded, checked.display) : reject(checked.reason);
}

/**
 * Digits with an optional leading +, and spaces, dashes, dots or parentheses between them; 7-15 digits
 * (E.164's maximum). The value keeps the + when given, then digits only: "+44 (20) 7946-0958" → "+442079460958".
 */
export function parsePhone(text: string): AnswerResult {
  const trimmed = text.trim();
  const digits = trimmed.replace(/\D/g, '');
  if (!/^\+?[\d\s().-]+$/.test(trimmed) || digits.length < 7 || digits.length > 15) {
    return reject("That doesn't look like a phone number.");
  }
  const value = trimmed.startsWith('+') ? `+${digits}` : digits;
  return accept(value, value);
}
