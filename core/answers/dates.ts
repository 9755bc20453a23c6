/**
 * Reading a calendar date out of free text, in the bot's timezone. Common relative phrases are read
 * here with plain calendar arithmetic on the bot-timezone wall clock (chrono's relative phrases depend
 * on the host timezone and get "the day after tomorrow" wrong across timezones); month-name dates and
 * the rest go to chrono-node, given a reference of the same wall clock.
 */
import { en } from 'chrono-node';
import { NUMBER_TOKEN, fold, smallNumberWord } from './result';
import { MONTH_NAMES, addDays, compareDates, isRealDate, offsetMinutes, type CalendarDate, type TimeOfDay, type WallClock } from './zoned';

/**
 * chrono's casual English parser, our own instance, made on first use. Not the library's shared
 * `en.casual`: chrono's parsers cache their compiled patterns on themselves, and the workflow worker
 * preloads this module's dependencies once for every run, frozen (worker/workflow-bundle.ts). A
 * compiled pattern is a pure function of the parser, so sharing this instance between runs is safe.
 */
let casual: InstanceType<typeof en.Chrono> | undefined;
const casualParser = (): InstanceType<typeof en.Chrono> => (casual ??= new en.Chrono(en.configuration.createCasualConfiguration(false)));

/** Where "now" is: the bot-timezone wall clock, and which way to read a date without a year. */
export interface DateContext {
  nowMs: number;
  timezone: string;
  today: WallClock;
  /** When only past dates are allowed, "28 November" is the last one, not the next one. */
  preferPast: boolean;
}

/** A time chrono read along with the date; `offsetMinutes` when the text named a zone ("5pm EST"). */
export type ReadTimeOfDay = TimeOfDay & { offsetMinutes?: number };

export type DateReading =
  /** `rest` is the text without the date phrase, where a datetime looks for its time. */
  | { ok: true; date: CalendarDate; rest: string; time?: ReadTimeOfDay }
  | { ok: false; reason: string }
  | null;

const WEEKDAYS: Record<string, number> = {
  sunday: 0, sun: 0, monday: 1, mon: 1, tuesday: 2, tues: 2, tue: 2, wednesday: 3, weds: 3, wed: 3,
  thursday: 4, thurs: 4, thur: 4, thu: 4, friday: 5, fri: 5, saturday: 6, sat: 6,
};

const count = (token: string) => (/^\d+$/.test(token) ? Number(token) : smallNumberWord(token, true));

/**
 * Relative phrases, first match wins. Weekday names, with or without "next"/"this"/"on", are the next
 * such day after today (today excluded: on a Thursday, "Thursday" is in 7 days); "last Thursday" is the
 * most recent one before today.
 */
const RELATIVE: [RegExp, (m: RegExpExecArray, today: CalendarDate & { weekday: number }) => CalendarDate | null][] = [
  [/\b(?:the )?day after tomorrow\b/, (_, d) => addDays(d, 2)],
  [/\b(?:the )?day before yesterday\b/, (_, d) => addDays(d, -2)],
  [/\btoday\b/, (_, d) => d],
  [/\b(?:tomorrow|tmrw|tmr)\b/, (_, d) => addDays(d, 1)],
  [/\byesterday\b/, (_, d) => addDays(d, -1)],
  [
    new RegExp(`\\b(?:in (${NUMBER_TOKEN}|an?) (days?|weeks?)|(${NUMBER_TOKEN}|an?) (days?|weeks?) from (?:now|today))\\b`),
    (m, d) => {
      const n = count(m[1] ?? m[3] ?? '');
      return n === null ? null : addDays(d, (m[2] ?? m[4] ?? '').startsWith('week') ? 7 * n : n);
    },
  ],
  [
    new RegExp(`\\b(?:(next|this|coming|this coming|last|past|previous|on|on next|on the) )?(${Object.keys(WEEKDAYS).join('|')})\\b\\.?`),
    (m, d) => {
      const target = WEEKDAYS[m[2] ?? ''] ?? 0;
      if (/^(?:last|past|previous)$/.test(m[1] ?? '')) return addDays(d, -((d.weekday - target + 7) % 7 || 7));
      return addDays(d, (target - d.weekday + 7) % 7 || 7);
    },
  ],
];

/** A two-digit year is this century unless that is over 20 years ahead ("85" → 1985). */
function fullYear(y: string, today: CalendarDate): number {
  if (y.length === 4) return Number(y);
  const year = 2000 + Number(y);
  return year > today.year + 20 ? year - 100 : year;
}

/**
 * Rewrites numeric dates to month-name dates chrono cannot misread: "2026-11-21" and "21/11/2026" →
 * "21 november 2026". Day/month order: day-first when the first number is over 12, month-first when
 * the second is; when both are 12 or under and differ ("05/06/2026"), the answer is refused as
 * ambiguous rather than guessed.
 */
function rewriteNumericDates(text: string, today: CalendarDate): { ok: true; text: string } | { ok: false; reason: string } {
  let reason: string | null = null;
  const spell = (raw: string, d: CalendarDate | null, withYear: boolean) => {
    const probe = d && { ...d, year: withYear ? d.year : 2000 };
    if (!d || !probe || !isRealDate(probe)) {
      reason ??= `"${raw}" doesn't look like a real date.`;
      return raw;
    }
    return ` ${d.day} ${MONTH_NAMES[d.month - 1]?.toLowerCase()}${withYear ? ` ${d.year}` : ''} `;
  };
  const dayMonth = (raw: string, a: number, b: number, year: number): CalendarDate | null => {
    if (a > 12 || a === b) return { year, month: b, day: a };
    if (b > 12) return { year, month: a, day: b };
    reason ??= `"${raw}" could be ${a} ${MONTH_NAMES[b - 1]} or ${b} ${MONTH_NAMES[a - 1]}. Please write the month as a word, e.g. "${a} ${MONTH_NAMES[b - 1]}".`;
    return null;
  };
  const out = text
    .replace(/(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)/g, (raw, y: string, m: string, d: string) =>
      spell(raw, { year: Number(y), month: Number(m), day: Number(d) }, true),
    )
    .replace(/(?<![\d/.-])(\d{1,2})\/(\d{1,2})(?:\/(\d{4}|\d{2}))?(?![\d/])/g, (raw, a: string, b: string, y?: string) => {
      const year = y ? fullYear(y, today) : today.year;
      const date = dayMonth(raw, Number(a), Number(b), year);
      return reason ? raw : spell(raw, date, y !== undefined);
    })
    .replace(/(?<![\d.-])(\d{1,2})([.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d.-])/g, (raw, a: string, _s: string, b: string, y: string) => {
      const date = dayMonth(raw, Number(a), Number(b), fullYear(y, today));
      return reason ? raw : spell(raw, date, true);
    });
  return reason ? { ok: false, reason } : { ok: true, text: out.replace(/\s+/g, ' ').trim() };
}

/** The year of a date given without one: the next such day from today, or the last one when preferPast. */
function implyYear(d: CalendarDate, ctx: DateContext): CalendarDate {
  const step = ctx.preferPast ? -1 : 1;
  let date = { ...d, year: ctx.today.year };
  const wrongSide = (x: CalendarDate) => compareDates(x, ctx.today) * step < 0;
  for (let i = 0; i < 9 && (!isRealDate(date) || wrongSide(date)); i++) date = { ...date, year: date.year + step };
  return date;
}

/** Reads the first date in `text`; null when there is none. */
export function readDate(text: string, ctx: DateContext): DateReading {
  const rewritten = rewriteNumericDates(fold(text), ctx.today);
  if (!rewritten.ok) return rewritten;
  const t = rewritten.text;

  for (const [pattern, resolve] of RELATIVE) {
    const m = pattern.exec(t);
    const date = m && resolve(m, ctx.today);
    if (m && date) return { ok: true, date, rest: `${t.slice(0, m.index)} ${t.slice(m.index + m[0].length)}`.trim() };
  }

  const reference = { instant: new Date(ctx.nowMs), timezone: offsetMinutes(ctx.nowMs, ctx.timezone) };
  const found = casualParser().parse(t, reference, { forwardDate: !ctx.preferPast })[0];
  if (!found || !found.start.isCertain('day')) return null;
  const s = found.start;
  const read = { year: s.get('year') ?? ctx.today.year, month: s.get('month') ?? 1, day: s.get('day') ?? 1 };
  const date = s.isCertain('year') ? read : implyYear(read, ctx);
  if (!isRealDate(date)) return { ok: false, reason: "That date doesn't exist." };
  const time: ReadTimeOfDay | undefined = s.isCertain('hour')
    ? { hour: s.get('hour') ?? 0, minute: s.get('minute') ?? 0, offsetMinutes: s.isCertain('timezoneOffset') ? (s.get('timezoneOffset') ?? undefined) : undefined }
    : undefined;
  const rest = `${t.slice(0, found.index)} ${t.slice(found.index + found.text.length)}`.trim();
  return { ok: true, date, rest, time };
}
