/** Times of day: "14:30", "2pm", "2:30 pm", "noon", "half past two in the afternoon". */
import { accept, fold, reject, smallNumberWord, type AnswerResult } from './result';
import { formatTime, isoTime, type TimeOfDay } from './zoned';

/** A time, or 'needs_meridiem' for a spoken time that could be am or pm ("half past two"), or null. */
export type TimeReading = TimeOfDay | 'needs_meridiem' | null;

const MERIDIEM = /\s*(a\.? ?m\.?|p\.? ?m\.?|(?:in the|this) (?:morning|afternoon|evening)|at night|tonight)$/;
const SPOKEN_MINUTES: Record<string, number> = { quarter: 15, half: 30, 'twenty five': 25, 'twenty-five': 25 };

/** 1-12 from "2" or "two". */
function clockHour(word: string): number | null {
  const n = /^\d{1,2}$/.test(word) ? Number(word) : smallNumberWord(word);
  return n !== null && n >= 1 && n <= 12 ? n : null;
}

function spokenMinutes(word: string): number | null {
  const w = word.replace(/ minutes?$/, '');
  const n = SPOKEN_MINUTES[w] ?? (/^\d{1,2}$/.test(w) ? Number(w) : smallNumberWord(w));
  return n !== null && n >= 1 && n <= 59 ? n : null;
}

/** 12h → 24h: 12 am is 0, 12 pm is 12. */
const to24 = (hour: number, pm: boolean) => (hour % 12) + (pm ? 12 : 0);

/**
 * Reads a time of day. Digits without am/pm are 24h ("2:30" is 02:30, "14" is 14:00); spoken forms
 * ("half past two", "three o'clock") need am/pm or "in the afternoon" etc., else 'needs_meridiem'.
 */
export function readTime(text: string): TimeReading {
  let t = fold(text)
    .replace(/[\s!?,]+$/u, '')
    .replace(/^(?:at|around|about|by|@)\s*/, '')
    .replace(/\s+please$/, '');
  if (!/[ap]\.? ?m\.$/.test(t)) t = t.replace(/\.+$/, ''); // keep the dot of "p.m."
  if (/^(?:12 )?(?:noon|midday)$/.test(t)) return { hour: 12, minute: 0 };
  if (/^(?:12 )?midnight$/.test(t)) return { hour: 0, minute: 0 };

  const meridiem = MERIDIEM.exec(t);
  const pm = meridiem ? /^\s*(?:p|in the (?:afternoon|evening)|this (?:afternoon|evening)|at night|tonight)/.test(meridiem[1] ?? '') : false;
  if (meridiem) t = t.slice(0, meridiem.index).trim();

  const digits = /^(\d{1,2})(?:(?::|\.|h)(\d{2}))?(?::\d{2})?h?$/.exec(t);
  if (digits) {
    const hour = Number(digits[1]);
    const minute = Number(digits[2] ?? 0);
    if (minute > 59) return null;
    if (!meridiem) return hour <= 23 ? { hour, minute } : null;
    if (hour >= 1 && hour <= 12) return { hour: to24(hour, pm), minute };
    return pm && hour > 12 && hour <= 23 ? { hour, minute } : null;
  }

  // Spoken: "three o'clock", "half past two", "quarter to four", "ten past 6".
  let hour12: number | null = null;
  let offset = 0;
  const oclock = /^(\w+) o'? ?clock$/.exec(t);
  const relative = /^(.+?) (past|after|to|before) (\w+)$/.exec(t);
  if (oclock) {
    hour12 = clockHour(oclock[1] ?? '');
  } else if (relative) {
    const minutes = spokenMinutes(relative[1] ?? '');
    hour12 = clockHour(relative[3] ?? '');
    if (minutes === null) return null;
    offset = relative[2] === 'past' || relative[2] === 'after' ? minutes : -minutes;
  } else if (meridiem) {
    hour12 = clockHour(t); // "two pm", "five in the afternoon"
  }
  if (hour12 === null) return null;
  if (!meridiem) return 'needs_meridiem';
  const total = (to24(hour12, pm) * 60 + offset + 1440) % 1440;
  return { hour: Math.floor(total / 60), minute: total % 60 };
}

export const NEEDS_MERIDIEM = 'Is that am or pm? Please write it like "2:30 pm" or "14:30".';

/** value "HH:MM" (24h); display "2:30 pm". */
export function parseTime(text: string): AnswerResult {
  const time = readTime(text);
  if (time === 'needs_meridiem') return reject(NEEDS_MERIDIEM);
  if (!time) return reject('Sorry, I didn\'t understand that time. Please write it like "14:30" or "2:30 pm".');
  return accept(isoTime(time), formatTime(time));
}
