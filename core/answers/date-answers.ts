/** The date and datetime answer types: what the visitor wrote → a value in the bot's timezone. */
import type { AnswerSpec } from '../../models/flow.schema';
import { readDate, type DateContext } from './dates';
import { NUMBER_TOKEN, accept, fold, reject, smallNumberWord, type AnswerResult } from './result';
import { NEEDS_MERIDIEM, readTime } from './time';
import { compareDates, formatDate, formatTime, isRealDate, isoDate, utcMs, wallClock, zonedIso, zonedTimeToInstant } from './zoned';

type DateSpec = Extract<AnswerSpec, { type: 'date' }>;
type DateTimeSpec = Extract<AnswerSpec, { type: 'datetime' }>;

/** Where the answer is read: the instant of the visitor's message and the bot's IANA timezone. */
export interface Clock {
  nowMs: number;
  timezone: string;
}

const DATE_HELP = 'Sorry, I didn\'t understand that date. Please write it like "28 November" or "next Thursday".';
const DATETIME_HELP = 'Sorry, I didn\'t understand that. Please write a day and a time, like "tomorrow at 2pm" or "28 November 10:30".';

function context(spec: { allowPast?: boolean; allowFuture?: boolean }, clock: Clock): DateContext {
  const preferPast = spec.allowFuture === false && spec.allowPast !== false;
  return { ...clock, today: wallClock(clock.nowMs, clock.timezone), preferPast };
}

/**
 * value "YYYY-MM-DD", display "Thursday 26 November 2026". Today counts as neither past nor future.
 * allowPast/allowFuture default to true.
 */
export function parseDateAnswer(spec: DateSpec, text: string, clock: Clock): AnswerResult {
  const ctx = context(spec, clock);
  const reading = readDate(text, ctx);
  if (!reading) return reject(DATE_HELP);
  if (!reading.ok) return reject(reading.reason);
  const side = compareDates(reading.date, ctx.today);
  if (side < 0 && spec.allowPast === false) return reject('Please choose a date that is not in the past.');
  if (side > 0 && spec.allowFuture === false) return reject('Please choose a date that is not in the future.');
  return accept(isoDate(reading.date), formatDate(reading.date));
}

const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[t ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?\s*(z|[+-]\d{2}(?::?\d{2})?)?$/;
const RELATIVE_TIME = new RegExp(`^(?:in |within )?(${NUMBER_TOKEN}|an?|half an?) (minutes?|mins?|hours?|hrs?)(?: from now| time)?$`);

/** An ISO datetime, "now" or "in 2 hours": an exact instant. Null when the text is none of these. */
function readInstant(t: string, clock: Clock): number | 'invalid' | null {
  // To the minute: "in 2 hours" is an appointment, not a stopwatch.
  const thisMinute = Math.floor(clock.nowMs / 60_000) * 60_000;
  if (/^(?:right )?now$/.test(t)) return thisMinute;
  const rel = RELATIVE_TIME.exec(t);
  if (rel) {
    const amount = rel[1]?.startsWith('half') ? 0.5 : /^\d+$/.test(rel[1] ?? '') ? Number(rel[1]) : smallNumberWord(rel[1] ?? '', true);
    if (amount === null) return null;
    return thisMinute + amount * ((rel[2] ?? '').startsWith('h') ? 3_600_000 : 60_000);
  }
  const iso = ISO_DATETIME.exec(t);
  if (!iso) return null;
  const [year, month, day, hour, minute, second] = iso.slice(1, 7).map((n) => Number(n ?? 0)) as [number, number, number, number, number, number];
  const date = { year, month, day };
  if (!isRealDate(date) || hour > 23 || minute > 59 || second > 59) return 'invalid';
  const zone = iso[7];
  if (!zone) return zonedTimeToInstant(date, { hour, minute }, clock.timezone) + second * 1000;
  const [, sign, hh, mm] = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone) ?? [];
  const offset = zone === 'z' ? 0 : (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm ?? 0));
  return utcMs(date, { hour, minute }, second) - offset * 60_000;
}

/** The instant a visitor means, or a visitor-safe reason. */
function readDateTime(text: string, ctx: DateContext): number | { reason: string } {
  const t = fold(text).replace(/[\s!?,]+$/u, '');
  const instant = readInstant(t, ctx);
  if (instant === 'invalid') return { reason: "That date doesn't exist." };
  if (instant !== null) return instant;

  const reading = readDate(t, ctx);
  if (reading && !reading.ok) return reading;
  const rest = reading ? reading.rest.replace(/^[\s,;-]+|[\s,;-]+$/g, '') : t;
  const time = reading?.time ?? (rest ? readTime(rest) : null);
  if (time === 'needs_meridiem') return { reason: NEEDS_MERIDIEM };
  if (!time) return { reason: reading && !rest ? 'Please include a time as well, like "tomorrow at 2pm".' : DATETIME_HELP };
  // A time alone ("2pm") is today.
  const date = reading ? reading.date : ctx.today;
  const offset = reading?.time?.offsetMinutes;
  if (offset !== undefined) return utcMs(date, time) - offset * 60_000;
  return zonedTimeToInstant(date, time, ctx.timezone);
}

/**
 * value: ISO 8601 with the bot timezone's offset at that moment ("2026-11-26T14:00:00+00:00"); display
 * "Thursday 26 November 2026 at 2:00 pm". A wall time skipped by a DST change moves forward by the gap;
 * a repeated one is the first. Explicit offsets ("…Z", "+09:00", "5pm EST") are honoured, then shown in
 * the bot's timezone. Past/future is judged to the minute.
 */
export function parseDateTimeAnswer(spec: DateTimeSpec, text: string, clock: Clock): AnswerResult {
  const ctx = context(spec, clock);
  const instant = readDateTime(text, ctx);
  if (typeof instant !== 'number') return reject(instant.reason);
  const side = Math.floor(instant / 60_000) - Math.floor(clock.nowMs / 60_000);
  if (side < 0 && spec.allowPast === false) return reject('Please choose a time that is not in the past.');
  if (side > 0 && spec.allowFuture === false) return reject('Please choose a time that is not in the future.');
  const w = wallClock(instant, clock.timezone);
  return accept(zonedIso(instant, clock.timezone), `${formatDate(w)} at ${formatTime(w)}`);
}
