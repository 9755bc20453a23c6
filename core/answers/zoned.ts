/**
 * Calendar and timezone arithmetic without the host's timezone: every conversion goes through
 * `Intl.DateTimeFormat({ timeZone })` (available in Temporal's workflow sandbox) and `Date.UTC`-style
 * arithmetic, so a worker running in any TZ gives the same answers — which replay determinism needs.
 */

/** A calendar date; month 1-12. */
export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

/** A wall-clock time of day, 24h. */
export interface TimeOfDay {
  hour: number;
  minute: number;
}

/** What a wall clock in a timezone shows at an instant. month 1-12; weekday 0 = Sunday … 6 = Saturday. */
export interface WallClock extends CalendarDate, TimeOfDay {
  second: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    // hourCycle h23: some ICU versions print midnight as "24" with hour12: false.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** True when `timezone` is an IANA name this runtime knows (for validating a bot's settings). */
export function isValidTimezone(timezone: string): boolean {
  try {
    formatter(timezone);
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds since the epoch of a UTC wall-clock reading (years 0-99 are not shifted to 19xx). */
export function utcMs(d: CalendarDate, t: TimeOfDay = { hour: 0, minute: 0 }, second = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(d.year, d.month - 1, d.day);
  date.setUTCHours(t.hour, t.minute, second, 0);
  return date.getTime();
}

/**
 * The wall clock in `timezone` at `nowMs`. Throws a RangeError for an unknown timezone.
 * Example: wallClock(Date.UTC(2026, 10, 21, 23, 30), 'Asia/Tokyo') → 2026-11-22 08:30, weekday 0 (Sunday).
 */
export function wallClock(nowMs: number, timezone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(new Date(nowMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const date = { year: parts.year ?? 0, month: parts.month ?? 1, day: parts.day ?? 1 };
  return { ...date, hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0, weekday: weekdayOf(date) };
}

/** The UTC offset of `timezone` at an instant, in minutes east of UTC (Tokyo +540, New York -300/-240). */
export function offsetMinutes(instantMs: number, timezone: string): number {
  const w = wallClock(instantMs, timezone);
  const wholeSecond = Math.floor(instantMs / 1000) * 1000;
  return Math.round((utcMs(w, w, w.second) - wholeSecond) / 60_000);
}

/**
 * The instant a wall-clock reading in `timezone` names. Like Temporal's "compatible" disambiguation:
 * a time skipped by a DST change (01:30 on 2026-03-29 in London) moves forward by the gap (02:30 BST);
 * a time that happens twice (01:30 on 2026-10-25 in London) is the earlier one (BST).
 */
export function zonedTimeToInstant(date: CalendarDate, time: TimeOfDay, timezone: string): number {
  const asUtc = utcMs(date, time);
  const day = 86_400_000;
  // DST rules change at most once within a day either side, so these are the only candidate offsets.
  const before = offsetMinutes(asUtc - day, timezone);
  const after = offsetMinutes(asUtc + day, timezone);
  const valid = [before, after]
    .map((o) => asUtc - o * 60_000)
    .filter((instant) => utcMs(wallClock(instant, timezone), wallClock(instant, timezone)) === asUtc);
  if (valid.length > 0) return Math.min(...valid);
  return asUtc - before * 60_000;
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** "YYYY-MM-DD". */
export function isoDate(d: CalendarDate): string {
  return `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
}

/** "HH:MM", 24h. */
export function isoTime(t: TimeOfDay): string {
  return `${pad(t.hour)}:${pad(t.minute)}`;
}

/**
 * ISO 8601 of an instant as the wall clock in `timezone` shows it, with that moment's offset (DST-correct):
 * zonedIso(Date.UTC(2026, 10, 26, 14), 'UTC') → "2026-11-26T14:00:00+00:00".
 */
export function zonedIso(instantMs: number, timezone: string): string {
  const w = wallClock(instantMs, timezone);
  const offset = offsetMinutes(instantMs, timezone);
  const sign = offset < 0 ? '-' : '+';
  return `${isoDate(w)}T${isoTime(w)}:${pad(w.second)}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(d: CalendarDate): number {
  return new Date(utcMs(d)).getUTCDay();
}

export function addDays(d: CalendarDate, days: number): CalendarDate {
  const t = new Date(utcMs(d) + days * 86_400_000);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

export function isRealDate(d: CalendarDate): boolean {
  if (!Number.isInteger(d.year) || d.month < 1 || d.month > 12 || d.day < 1) return false;
  const back = addDays(d, 0);
  return back.year === d.year && back.month === d.month && back.day === d.day;
}

/** Negative when a is before b, 0 when the same day. */
export function compareDates(a: CalendarDate, b: CalendarDate): number {
  return utcMs(a) - utcMs(b);
}

export const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "Thursday 26 November 2026". */
export function formatDate(d: CalendarDate): string {
  return `${WEEKDAY_NAMES[weekdayOf(d)]} ${d.day} ${MONTH_NAMES[d.month - 1]} ${d.year}`;
}

/** "2:00 pm", "12:00 pm" for noon, "12:30 am" for half past midnight. */
export function formatTime(t: TimeOfDay): string {
  return `${t.hour % 12 === 0 ? 12 : t.hour % 12}:${pad(t.minute)} ${t.hour < 12 ? 'am' : 'pm'}`;
}
