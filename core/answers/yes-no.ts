/** Yes/no answers. "cancel" and "stop" are deliberately not "no": they are flow commands (FlowSettings). */
import { accept, fold, reject, type AnswerResult } from './result';

const YES = new Set([
  'yes', 'y', 'yeah', 'yea', 'yep', 'yup', 'sure', 'ok', 'okay', 'correct', 'confirm', 'confirmed', 'right',
  'absolutely', 'definitely', 'certainly', 'affirmative', 'yes please', 'of course', 'go ahead', 'sounds good',
  "that's right", 'that is right', "that's correct", 'that is correct', 'true', '👍', '✅', '✔',
]);
const NO = new Set([
  'no', 'n', 'nope', 'nah', 'no thanks', 'no thank you', 'not really', 'incorrect', 'wrong', 'negative', 'false',
  "that's wrong", 'that is wrong', '👎', '❌',
]);

/** Words that decide a short sentence they start ("yes please", "no, thanks"). */
const LEADING = new Set(['yes', 'yeah', 'yep', 'yup', 'sure', 'ok', 'okay', 'no', 'nope', 'nah']);

/** The visitor's words, folded, without trailing punctuation or emoji skin tones. */
function normalize(text: string): string {
  return fold(text).replace(/[\u{1F3FB}-\u{1F3FF}]|\uFE0F/gu, '').replace(/[\s.!?,;:]+$/u, '').replace(/^[\s.!?,;:]+/u, '');
}

/** true / false, or null when the answer is neither. Short sentences are read by their first word ("yes please", "no, thanks"). */
export function readYesNo(text: string): boolean | null {
  const t = normalize(text);
  if (YES.has(t)) return true;
  if (NO.has(t)) return false;
  const first = t.split(/[\s,.!]+/u)[0] ?? '';
  if (first !== t && LEADING.has(first)) return YES.has(first);
  return null;
}

export function parseYesNo(text: string): AnswerResult {
  const value = readYesNo(text);
  if (value === null) return reject('Please answer yes or no.');
  return accept(value, value ? 'Yes' : 'No');
}
