/** Free text, email addresses and phone numbers. */
import type { AnswerSpec } from '../../models/flow.schema';
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

// Dot-atom local part (RFC 5322 without quoted strings or comments); a domain of LDH labels with a
// letter TLD. Deliberately stricter than the RFC: it is what real mailboxes look like.
const LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** An address such as "Ada@Example.COM"; the value is lower-cased whole ("ada@example.com"). */
export function parseEmail(text: string): AnswerResult {
  const value = text.trim().replace(/^mailto:/i, '').replace(/^<(.*)>$/, '$1').toLowerCase();
  const at = value.lastIndexOf('@');
  const local = value.slice(0, at);
  const labels = value.slice(at + 1).split('.');
  const ok =
    at > 0 &&
    value.length <= 254 &&
    local.length <= 64 &&
    LOCAL.test(local) &&
    labels.length >= 2 &&
    labels.every((l) => LABEL.test(l)) &&
    TLD.test(labels[labels.length - 1] ?? '');
  return ok ? accept(value, value) : reject("That doesn't look like an email address.");
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
