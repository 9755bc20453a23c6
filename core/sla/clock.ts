/**
 * The SLA clock: how much business time lies between two instants, and when a given amount of it will have
 * passed. Pure and deterministic (no I/O, no `Date.now`), so the conversation workflow calls it directly to
 * set its durable timers: the same inputs give the same deadline on every replay. Time zones come from
 * `Intl` (the workflow sandbox has it); a deadline is a wall-clock instant, so a plain Temporal timer (sleep
 * until `dueMs`) pauses the SLA over nights, weekends and holidays with no timer per opening.
 *
 * Business hours are local wall-clock intervals per weekday, in the policy's time zone:
 * - a day absent or empty, or a holiday (a local date), is closed; overlapping intervals of a day are merged;
 * - `24:00` ends an interval at the next local midnight;
 * - DST: an interval lasts the real time between its ends. On a spring-forward day a local time that does
 *   not exist (02:30 in Paris) stands for the instant the clocks jump (03:00), so 01:00–04:00 lasts 2 hours;
 *   on a fall-back day a repeated local time is its first occurrence, so 01:00–04:00 lasts 4 hours.
 * - a schedule with no open time at all never accumulates any: `addBusinessTime` answers `NEVER` (Infinity),
 *   and so it does when the target would end more than `HORIZON_DAYS` ahead (the workflow then sets no timer).
 *
 * Cost: one `Intl` offset look-up per local day walked (about 4 µs), so 60 days of business time on a
 * 9-to-5 weekday schedule (about 250 calendar days) takes about a millisecond; never minute by minute.
 */
import type { BusinessHours } from '../../models/sla.schema';
import { WEEKDAYS, type Weekday } from '../../models/sla.schema';

/** The deadline of a target that can never be reached (no open time, or beyond the horizon). */
export const NEVER = Number.POSITIVE_INFINITY;
/** How far ahead `addBusinessTime` looks before answering `NEVER`: five years of calendar days. */
export const HORIZON_DAYS = 5 * 366;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Open minutes of a local day, [from, to) with to ≤ 1440, sorted and not overlapping. */
type DayPlan = Array<[number, number]>;

interface Schedule {
  /** Index 0 = Monday … 6 = Sunday. */
  week: DayPlan[];
  holidays: Set<string>;
  open: boolean;
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const schedules = new WeakMap<BusinessHours, Schedule>();

/** The business hours as minute intervals per weekday (merged), cached per policy object. */
function scheduleOf(hours: BusinessHours): Schedule {
  const cached = schedules.get(hours);
  if (cached) return cached;
  const week = WEEKDAYS.map((day: Weekday): DayPlan => {
    const intervals = (hours.days[day] ?? []).map((i): [number, number] => [minutesOf(i.from), minutesOf(i.to)]).filter(([a, b]) => a < b).sort((x, y) => x[0] - y[0]);
    const merged: DayPlan = [];
    for (const [a, b] of intervals) {
      const last = merged[merged.length - 1];
      if (last && a <= last[1]) last[1] = Math.max(last[1], b);
      else merged.push([a, b]);
    }
    return merged;
  });
  const schedule = { week, holidays: new Set(hours.holidays ?? []), open: week.some((d) => d.length > 0) };
  schedules.set(hours, schedule);
  return schedule;
}

// ---------------------------------------------------------------------------------------------------
// Time zones. A "local" millisecond count is the wall-clock reading written as if it were UTC.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timezone, f);
  }
  return f;
}

/** The zone's offset at an instant: local = utc + offset. */
export function offsetAt(utcMs: number, timezone: string): number {
  const at = Math.floor(utcMs / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const p of formatterOf(timezone).formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const local = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour! % 24, parts.minute!, parts.second!);
  return local - at;
}

/**
 * The instant a local wall-clock time names: its first occurrence when the clocks fall back, and the
 * instant the clocks jump when it falls in a spring-forward gap.
 */
export function localToUtc(localMs: number, timezone: string): number {
  // At most one transition lies within a day of any instant, so the offsets a day before and after are
  // the only candidates.
  const before = offsetAt(localMs - DAY, timezone);
  const after = offsetAt(localMs + DAY, timezone);
  const candidates = [localMs - before, localMs - after].filter((u) => offsetAt(u, timezone) === localMs - u);
  if (candidates.length > 0) return Math.min(...candidates);
  // A gap: the transition T satisfies localMs - after < T <= localMs - before. Transitions fall on whole
  // minutes; search the first minute at which the new offset holds.
  let lo = Math.floor((localMs - after) / MINUTE); // offset there is still `before`
  let hi = Math.ceil((localMs - before) / MINUTE); // offset there is `after`
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid * MINUTE, timezone) === after) hi = mid;
    else lo = mid;
  }
  return hi * MINUTE;
}

/** Days since 1970-01-01 → `YYYY-MM-DD` (proleptic Gregorian). */
function dateOf(day: number): string {
  const d = new Date(day * DAY);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
const weekdayOf = (day: number): number => (((day + 3) % 7) + 7) % 7;

/**
 * Walks the local days of a time zone, giving each day's open intervals as instants. One offset look-up
 * per day: when the offset is the same from 15 hours before a day's start to 57 hours after it (no zone
 * changes twice in three days), the day's conversions are plain arithmetic; otherwise each end is
 * converted exactly.
 */
class DayWalker {
  private readonly samples = new Map<number, number>();

  constructor(
    private readonly schedule: Schedule,
    private readonly timezone: string,
  ) {}

  private sample(day: number): number {
    let s = this.samples.get(day);
    if (s === undefined) {
      s = offsetAt(day * DAY - 15 * HOUR, this.timezone);
      this.samples.set(day, s);
      this.samples.delete(day - 4);
    }
    return s;
  }

  /** The local day an instant falls on. */
  dayOf(utcMs: number): number {
    return Math.floor((utcMs + offsetAt(utcMs, this.timezone)) / DAY);
  }

  /** The day's open intervals as [startMs, endMs) instants, in order (empty when closed). */
  intervals(day: number): Array<[number, number]> {
    const plan = this.schedule.week[weekdayOf(day)]!;
    if (plan.length === 0 || this.schedule.holidays.has(dateOf(day))) return [];
    const offset = this.sample(day);
    const steady = offset === this.sample(day + 3);
    const toUtc = (minute: number): number => (steady ? day * DAY + minute * MINUTE - offset : localToUtc(day * DAY + minute * MINUTE, this.timezone));
    const out: Array<[number, number]> = [];
    for (const [from, to] of plan) {
      const a = toUtc(from);
      const b = toUtc(to);
      if (b > a) out.push([a, b]);
    }
    return out;
  }
}

/**
 * The instant when `durationMs` of business time has passed since `startMs` (`hours` null: wall-clock
 * time). `NEVER` (Infinity) when the schedule has no open time, or when that instant lies more than
 * `HORIZON_DAYS` ahead. A start outside business hours waits for the next opening.
 */
export function addBusinessTime(startMs: number, durationMs: number, hours: BusinessHours | null, timezone: string): number {
  if (!hours) return startMs + Math.max(0, durationMs);
  const schedule = scheduleOf(hours);
  if (!schedule.open) return NEVER;
  if (durationMs <= 0) return startMs;
  const walker = new DayWalker(schedule, timezone);
  let remaining = durationMs;
  // The previous local day too: its intervals end at the latest at its midnight, which can be after
  // startMs only around a transition, and it costs one look-up.
  const first = walker.dayOf(startMs) - 1;
  for (let day = first; day <= first + HORIZON_DAYS; day++) {
    for (const [a, b] of walker.intervals(day)) {
      const from = Math.max(a, startMs);
      if (b <= from) continue;
      if (remaining <= b - from) return from + remaining;
      remaining -= b - from;
    }
  }
  return NEVER;
}

/** Business time between two instants (0 when `bMs` is not after `aMs`; `hours` null: wall-clock time). */
export function businessTimeBetween(aMs: number, bMs: number, hours: BusinessHours | null, timezone: string): number {
  if (!(bMs > aMs)) return 0;
  if (!hours) return bMs - aMs;
  const schedule = scheduleOf(hours);
  if (!schedule.open) return 0;
  if (!Number.isFinite(bMs)) return NEVER;
  const walker = new DayWalker(schedule, timezone);
  let total = 0;
  const last = walker.dayOf(bMs);
  for (let day = walker.dayOf(aMs) - 1; day <= last; day++) {
    for (const [a, b] of walker.intervals(day)) {
      const overlap = Math.min(b, bMs) - Math.max(a, aMs);
      if (overlap > 0) total += overlap;
    }
  }
  return total;
}

export type SlaClockState = 'running' | 'at_risk' | 'breached';

/**
 * When a target started at `startMs` of `durationMs` business time is due, and when it turns "at risk"
 * (less than `atRiskPercent` of it left). The workflow sleeps until `atRiskAt`, then until `dueAt`.
 */
export function slaDeadlines(startMs: number, durationMs: number, atRiskPercent: number, hours: BusinessHours | null, timezone: string): { dueAt: number; atRiskAt: number } {
  const used = Math.round((durationMs * (100 - atRiskPercent)) / 100);
  return { dueAt: addBusinessTime(startMs, durationMs, hours, timezone), atRiskAt: addBusinessTime(startMs, used, hours, timezone) };
}

/**
 * The state at `nowMs` of a target started at `startMs` and due at `dueMs` (from `addBusinessTime`):
 * breached once due; at risk once less than `atRiskPercent` of its business time is left.
 */
export function slaStateAt(nowMs: number, startMs: number, dueMs: number, atRiskPercent: number, hours: BusinessHours | null, timezone: string): SlaClockState {
  if (nowMs >= dueMs) return 'breached';
  if (!Number.isFinite(dueMs)) return 'running';
  const total = businessTimeBetween(startMs, dueMs, hours, timezone);
  const left = businessTimeBetween(Math.max(nowMs, startMs), dueMs, hours, timezone);
  return left * 100 <= total * atRiskPercent ? 'at_risk' : 'running';
}
