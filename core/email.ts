/**
 * Email addresses where they gate access (the email answer type, email parameters, response
 * validation): two addresses a person would see as different must never compare equal.
 *
 * The order matters. Case-folding first is the bug: the Kelvin sign "K" (U+212A) lower-cases to an
 * ASCII "k", the fullwidth "Ａ" maps to "a" under compatibility normalisation, a zero-width space maps to
 * nothing. So an address is checked as written, and only an address already in canonical form is folded:
 *
 * 1. the local part must be plain ASCII (a dot-atom): no compatibility, fullwidth, zero-width or
 *    other-script characters at all;
 * 2. the domain is ASCII letters/digits/hyphens (an `xn--` label is taken as written), or an
 *    internationalised domain (IDN) already in its canonical form: NFC, lower-case, unchanged by
 *    compatibility normalisation (NFKC), made only of letters, marks and digits, so the Kelvin sign,
 *    fullwidth letters, ligatures, "ẞ", an upper-case "Ü" or a zero-width character are refused rather
 *    than mapped; and each label's letters are of one script (Latin with a Cyrillic "а" is a homoglyph,
 *    not a name). Conservative on purpose: a rare valid IDN may be refused, a look-alike never passes;
 * 3. only then is it folded: ASCII lower-case, domain as its ASCII (A-label) form.
 */
import { toAsciiLabel } from './punycode';

export type EmailCheck =
  /** `address`: local part as written, domain lower-case ASCII (what to send); `folded`: all lower-case (what to compare); `display`: domain in Unicode. */
  | { ok: true; address: string; folded: string; display: string }
  | { ok: false; reason: string };

const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`);
const ASCII_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const TLD = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

const NOT_AN_EMAIL = "That doesn't look like an email address.";

/** Checks and canonicalises an email address (see the module comment for the rules and their order). */
export function checkEmail(text: string): EmailCheck {
  const value = text.trim().replace(/^mailto:/i, '').replace(/^<(.*)>$/, '$1');
  const at = value.lastIndexOf('@');
  if (at <= 0 || value.length > 254) return { ok: false, reason: NOT_AN_EMAIL };
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (local.length > 64 || !LOCAL.test(local)) return { ok: false, reason: NOT_AN_EMAIL };
  const host = canonicalDomain(domain);
  if (!host) return { ok: false, reason: NOT_AN_EMAIL };
  return { ok: true, address: `${local}@${host.ascii}`, folded: `${local.toLowerCase()}@${host.ascii}`, display: `${local.toLowerCase()}@${host.unicode}` };
}

/** True when both are valid addresses of the same mailbox (ASCII case aside); anything invalid never matches. */
export function sameEmail(a: string, b: string): boolean {
  const x = checkEmail(a);
  const y = checkEmail(b);
  return x.ok && y.ok && x.folded === y.folded;
}

/** The domain's ASCII and Unicode forms, or undefined when it is not valid and canonical. */
function canonicalDomain(domain: string): { ascii: string; unicode: string } | undefined {
  if (domain.length === 0 || domain.length > 253) return undefined;
  if (PRINTABLE_ASCII.test(domain)) return validAscii(domain.toLowerCase()) ? { ascii: domain.toLowerCase(), unicode: domain.toLowerCase() } : undefined;
  if (domain.normalize('NFC') !== domain || domain.normalize('NFKC') !== domain) return undefined;
  const labels = domain.split('.');
  if (!labels.every(canonicalULabel)) return undefined;
  let ascii: string;
  try {
    ascii = labels.map(toAsciiLabel).join('.');
  } catch {
    return undefined;
  }
  return validAscii(ascii) ? { ascii, unicode: domain } : undefined;
}

/** LDH labels of 1-63 characters, at least two, the last one letters (or an `xn--` label); 253 at most. */
function validAscii(domain: string): boolean {
  const labels = domain.split('.');
  return domain.length <= 253 && labels.length >= 2 && labels.every((l) => ASCII_LABEL.test(l)) && TLD.test(labels[labels.length - 1]!);
}

/** A label with non-ASCII characters: lower-case letters, marks and digits (no case, symbols or invisibles), one script. */
function canonicalULabel(label: string): boolean {
  if (PRINTABLE_ASCII.test(label)) return ASCII_LABEL.test(label) && label === label.toLowerCase();
  if (label.startsWith('-') || label.endsWith('-') || label.slice(2, 4) === '--' || /^\p{M}/u.test(label)) return false;
  for (const char of label) {
    if (char === '-' || /[a-z0-9]/.test(char)) continue;
    if (!/^[\p{Ll}\p{Lo}\p{Lm}\p{Mn}\p{Mc}\p{Nd}]$/u.test(char) || char.toLowerCase() !== char) return false;
  }
  return singleScript(label);
}

const SCRIPTS = ['Latin', 'Cyrillic', 'Greek', 'Armenian', 'Hebrew', 'Arabic', 'Devanagari', 'Bengali', 'Thai', 'Georgian', 'Hangul', 'Hiragana', 'Katakana', 'Han', 'Bopomofo', 'Ethiopic', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Gujarati', 'Gurmukhi', 'Khmer', 'Lao', 'Myanmar', 'Sinhala', 'Tibetan'] as const;
const SCRIPT_TESTS = SCRIPTS.map((name) => [name, new RegExp(`\\p{Script=${name}}`, 'u')] as const);
/** Script mixes a real name may use (UTS #39 "highly restrictive"): Japanese, Chinese with Bopomofo, Korean. */
const ALLOWED_MIXES: ReadonlySet<string>[] = [new Set(['Latin', 'Han', 'Hiragana', 'Katakana']), new Set(['Latin', 'Han', 'Bopomofo']), new Set(['Latin', 'Han', 'Hangul'])];

/** One script per label (digits, hyphens and combining marks belong to none). */
function singleScript(label: string): boolean {
  const scripts = new Set<string>();
  for (const char of label) {
    if (!/\p{L}/u.test(char)) continue;
    scripts.add(SCRIPT_TESTS.find(([, test]) => test.test(char))?.[0] ?? `other:${char}`);
  }
  if (scripts.size <= 1) return true;
  return ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.has(s)));
}

/**
 * Case-insensitive text equality that never lets a character turn into a different-looking one. Text is
 * put in NFC (canonical equivalence: a decomposed "é" is "é"), except that a non-ASCII character whose
 * normal form is ASCII (the Kelvin sign's is "K") is kept apart; and a character is lower-cased only when
 * that does not produce ASCII from non-ASCII ("İ" does not become "i"). Nothing is compatibility-mapped,
 * and zero-width characters are kept, so they make texts differ. Only for comparing, not for display.
 */
export function foldForComparison(text: string): string {
  let guarded = '';
  for (const char of text) guarded += isAscii(char) || !isAscii(char.normalize('NFC')) ? char : `\uFFFF${char.codePointAt(0)!.toString(16)}\uFFFF`;
  let out = '';
  for (const char of guarded.normalize('NFC')) {
    const lower = char.toLowerCase();
    out += !isAscii(char) && [...lower].some(isAscii) ? char : lower;
  }
  return out;
}

const isAscii = (text: string): boolean => [...text].every((c) => c.charCodeAt(0) <= 0x7f);

/** Text with something on both sides of one `@`: compared as an email address. */
const EMAIL_LIKE = /^[^@\s]+@[^@\s]+$/u;

/** Equal ignoring case, safely: email addresses by `sameEmail`, other text by `foldForComparison`. */
export function equalsIgnoreCase(a: string, b: string): boolean {
  const x = a.trim();
  const y = b.trim();
  if (EMAIL_LIKE.test(x) || EMAIL_LIKE.test(y)) return sameEmail(x, y);
  return foldForComparison(x) === foldForComparison(y);
}
