/** The outcome of checking one answer. */
export type AnswerResult =
  /** `value` is stored in the ask block's variable; `display` is the human-readable echo. */
  | { ok: true; value: string | number | boolean; display: string }
  /** `reason` is safe to show the visitor, e.g. "That doesn't look like an email address." */
  | { ok: false; reason: string };

export const accept = (value: string | number | boolean, display: string): AnswerResult => ({ ok: true, value, display });
export const reject = (reason: string): AnswerResult => ({ ok: false, reason });

/**
 * Lower-case, accent-free, trimmed, single-spaced: "  Crème  Brûlée " → "creme brulee". The basis of
 * every case- and accent-insensitive comparison here.
 */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Words only, single-spaced: "Option #2, please!" → "option 2 please". */
export function words(text: string): string {
  return fold(text).split(/[^\p{L}\p{N}]+/u).filter(Boolean).join(' ');
}

const SMALL_NUMBERS = [
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
  'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty',
];

/** "three" → 3, "a"/"an" → 1 when `article`; 0-20 only. Null otherwise. */
export function smallNumberWord(word: string, article = false): number | null {
  if (article && (word === 'a' || word === 'an')) return 1;
  const i = SMALL_NUMBERS.indexOf(word);
  return i < 0 ? null : i;
}

/** Regex source matching a digit run or a number word (for use inside larger patterns). */
export const NUMBER_TOKEN = `\\d{1,3}|${SMALL_NUMBERS.join('|')}`;
