/**
 * The SLA clock (core/sla/clock.ts): business time in real time zones, across DST changes, weekends,
 * holidays, several intervals a day and overnight shifts, and long targets without walking minute by minute.
 */
import { BusinessHours, WEEKDAYS, type Weekday } from '../../models/sla.schema';
import { addBusinessTime, businessTimeBetween, HORIZON_DAYS, localToUtc, NEVER, slaDeadlines, slaStateAt } from '../../core/sla/clock';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad date ${iso}`);
  return ms;
};
const iso = (ms: number): string => new Date(ms).toISOString();

/** Business hours from `{ mon: ['09:00-17:00'], ... }`, parsed by the real schema. */
function hours(days: Partial<Record<Weekday | 'weekdays' | 'all', string[]>>, holidays: string[] = []): BusinessHours {
  const out: Partial<Record<Weekday, { from: string; to: string }[]>> = {};
  const toIntervals = (list: string[]) => list.map((s) => ({ from: s.slice(0, 5), to: s.slice(6, 11) }));
  for (const [key, list] of Object.entries(days)) {
    const targets: readonly Weekday[] = key === 'weekdays' ? WEEKDAYS.slice(0, 5) : key === 'all' ? WEEKDAYS : [key as Weekday];
    for (const d of targets) out[d] = toIntervals(list!);
  }
  return BusinessHours.parse({ days: out, holidays });
}

const nineToFive = hours({ weekdays: ['09:00-17:00'] });
const always = hours({ all: ['00:00-24:00'] });

describe('wall clock (no business hours)', () => {
  it('adds the duration as it is', () => {
    expect(addBusinessTime(at('2026-03-29T00:30:00Z'), 2 * HOUR, null, 'Europe/Paris')).toBe(at('2026-03-29T02:30:00Z'));
  });
  it('measures the plain difference, never negative', () => {
    expect(businessTimeBetween(0, 5 * MIN, null, 'UTC')).toBe(5 * MIN);
    expect(businessTimeBetween(5 * MIN, 0, null, 'UTC')).toBe(0);
  });
});

describe('weekday business hours in Europe/Paris', () => {
  const tz = 'Europe/Paris';
  it('runs inside opening hours', () => {
    expect(iso(addBusinessTime(at('2026-01-05T10:00:00+01:00'), 3 * HOUR, nineToFive, tz))).toBe(iso(at('2026-01-05T13:00:00+01:00')));
  });
  it('ends exactly at closing time rather than at the next opening', () => {
    expect(iso(addBusinessTime(at('2026-01-05T16:00:00+01:00'), HOUR, nineToFive, tz))).toBe(iso(at('2026-01-05T17:00:00+01:00')));
  });
  it('pauses over the weekend: Friday 16:00 + 2 h is Monday 10:00', () => {
    expect(iso(addBusinessTime(at('2026-01-09T16:00:00+01:00'), 2 * HOUR, nineToFive, tz))).toBe(iso(at('2026-01-12T10:00:00+01:00')));
  });
  it('waits for the opening when it starts outside hours (Saturday)', () => {
    expect(iso(addBusinessTime(at('2026-01-10T12:00:00+01:00'), 30 * MIN, nineToFive, tz))).toBe(iso(at('2026-01-12T09:30:00+01:00')));
  });
  it('skips a holiday (a local date)', () => {
    const withHoliday = hours({ weekdays: ['09:00-17:00'] }, ['2026-01-12']);
    expect(iso(addBusinessTime(at('2026-01-09T16:00:00+01:00'), 2 * HOUR, withHoliday, tz))).toBe(iso(at('2026-01-13T10:00:00+01:00')));
    expect(businessTimeBetween(at('2026-01-09T00:00:00+01:00'), at('2026-01-14T00:00:00+01:00'), withHoliday, tz)).toBe(16 * HOUR);
  });
  it('counts only open time between two instants', () => {
    expect(businessTimeBetween(at('2026-01-09T16:00:00+01:00'), at('2026-01-12T10:00:00+01:00'), nineToFive, tz)).toBe(2 * HOUR);
  });
  it('crosses the spring-forward weekend at the same local opening hours', () => {
    // Friday 27 March (UTC+1) to Monday 30 March (UTC+2).
    expect(iso(addBusinessTime(at('2026-03-27T16:00:00+01:00'), 2 * HOUR, nineToFive, tz))).toBe(iso(at('2026-03-30T10:00:00+02:00')));
  });
});

describe('DST change days', () => {
  const tz = 'Europe/Paris';
  it('a 24/7 spring-forward Sunday lasts 23 hours', () => {
    expect(businessTimeBetween(at('2026-03-29T00:00:00+01:00'), at('2026-03-30T00:00:00+02:00'), always, tz)).toBe(23 * HOUR);
  });
  it('a 24/7 fall-back Sunday lasts 25 hours', () => {
    expect(businessTimeBetween(at('2026-10-25T00:00:00+02:00'), at('2026-10-26T00:00:00+01:00'), always, tz)).toBe(25 * HOUR);
  });
  it('an interval over the jump lasts its real time: 01:00–04:00 is 2 hours in spring', () => {
    const sunday = hours({ sun: ['01:00-04:00'] });
    expect(businessTimeBetween(at('2026-03-28T00:00:00Z'), at('2026-03-30T00:00:00Z'), sunday, tz)).toBe(2 * HOUR);
    // 01:00 CET + 90 min: 02:00 does not exist, so 01:00–02:00 then 03:00–03:30.
    expect(iso(addBusinessTime(at('2026-03-29T01:00:00+01:00'), 90 * MIN, sunday, tz))).toBe(iso(at('2026-03-29T03:30:00+02:00')));
  });
  it('an interval that does not exist on the spring-forward day is closed, and one ending in the gap ends at the jump', () => {
    expect(businessTimeBetween(at('2026-03-28T00:00:00Z'), at('2026-03-30T00:00:00Z'), hours({ sun: ['02:00-02:30'] }), tz)).toBe(0);
    expect(businessTimeBetween(at('2026-03-28T00:00:00Z'), at('2026-03-30T00:00:00Z'), hours({ sun: ['01:00-02:30'] }), tz)).toBe(HOUR);
  });
  it('an interval over the repeated hour lasts 4 hours in autumn: 01:00–04:00', () => {
    const sunday = hours({ sun: ['01:00-04:00'] });
    expect(businessTimeBetween(at('2026-10-24T00:00:00Z'), at('2026-10-26T00:00:00Z'), sunday, tz)).toBe(4 * HOUR);
    expect(iso(addBusinessTime(at('2026-10-25T01:00:00+02:00'), 3.5 * HOUR, sunday, tz))).toBe(iso(at('2026-10-25T03:30:00+01:00')));
  });
  it('reads local times in a gap as the jump, and repeated ones as their first occurrence', () => {
    expect(iso(localToUtc(Date.UTC(2026, 2, 29, 2, 30), tz))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(localToUtc(Date.UTC(2026, 9, 25, 2, 30), tz))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(localToUtc(Date.UTC(2026, 0, 5, 9, 0), tz))).toBe('2026-01-05T08:00:00.000Z');
  });
});

describe('America/New_York', () => {
  const tz = 'America/New_York';
  it('Friday 16:00 EST + 2 h is Monday 10:00 EDT across the March change', () => {
    expect(iso(addBusinessTime(at('2026-03-06T16:00:00-05:00'), 2 * HOUR, nineToFive, tz))).toBe(iso(at('2026-03-09T10:00:00-04:00')));
  });
  it('the November fall-back Sunday lasts 25 hours on a 24/7 schedule', () => {
    expect(businessTimeBetween(at('2026-11-01T00:00:00-04:00'), at('2026-11-02T00:00:00-05:00'), always, tz)).toBe(25 * HOUR);
  });
  it('an evening in New York is the next UTC day: a Friday 20:00 start waits until Monday', () => {
    expect(iso(addBusinessTime(at('2026-01-09T20:00:00-05:00'), HOUR, nineToFive, tz))).toBe(iso(at('2026-01-12T10:00:00-05:00')));
  });
});

describe('Asia/Kolkata (UTC+05:30)', () => {
  const tz = 'Asia/Kolkata';
  const india = hours({ weekdays: ['09:00-18:00'] });
  it('opens at 03:30 UTC and closes at 12:30 UTC', () => {
    expect(iso(addBusinessTime(at('2026-01-05T12:00:00Z'), HOUR, india, tz))).toBe('2026-01-06T04:00:00.000Z');
    expect(businessTimeBetween(at('2026-01-05T00:00:00Z'), at('2026-01-06T00:00:00Z'), india, tz)).toBe(9 * HOUR);
  });
});

describe('days with several intervals, and overnight shifts', () => {
  const tz = 'Europe/Paris';
  it('skips the lunch break', () => {
    const split = hours({ weekdays: ['09:00-12:00', '13:00-17:00'] });
    expect(iso(addBusinessTime(at('2026-01-05T11:00:00+01:00'), 2 * HOUR, split, tz))).toBe(iso(at('2026-01-05T14:00:00+01:00')));
    expect(businessTimeBetween(at('2026-01-05T00:00:00+01:00'), at('2026-01-06T00:00:00+01:00'), split, tz)).toBe(7 * HOUR);
  });
  it('runs through midnight with 22:00–24:00 and 00:00–06:00', () => {
    const night = hours({ all: ['00:00-06:00', '22:00-24:00'] });
    expect(iso(addBusinessTime(at('2026-01-05T23:00:00+01:00'), 3 * HOUR, night, tz))).toBe(iso(at('2026-01-06T02:00:00+01:00')));
    expect(iso(addBusinessTime(at('2026-01-06T05:00:00+01:00'), 2 * HOUR, night, tz))).toBe(iso(at('2026-01-06T23:00:00+01:00')));
  });
  it('merges overlapping intervals instead of counting them twice', () => {
    const overlapping = hours({ mon: ['09:00-12:00', '11:00-13:00'] });
    expect(businessTimeBetween(at('2026-01-05T00:00:00+01:00'), at('2026-01-06T00:00:00+01:00'), overlapping, tz)).toBe(4 * HOUR);
  });
});

describe('schedules that never open, and long targets', () => {
  it('never reaches a target when no day is open', () => {
    const closed = hours({});
    expect(addBusinessTime(at('2026-01-05T10:00:00Z'), MIN, closed, 'UTC')).toBe(NEVER);
    expect(businessTimeBetween(at('2026-01-05T10:00:00Z'), at('2026-02-05T10:00:00Z'), closed, 'UTC')).toBe(0);
    expect(slaStateAt(at('2027-01-01T00:00:00Z'), at('2026-01-05T10:00:00Z'), NEVER, 25, closed, 'UTC')).toBe('running');
  });
  it('reaches a target on a schedule open one hour a week, skipping a holiday on that day', () => {
    const saturdays = hours({ sat: ['09:00-10:00'] }, ['2026-01-10']);
    expect(iso(addBusinessTime(at('2026-01-05T00:00:00Z'), 2 * HOUR, saturdays, 'UTC'))).toBe('2026-01-24T10:00:00.000Z');
  });
  it('answers 60 days of business time on a 9-to-5 schedule at once, exactly', () => {
    const start = at('2026-01-05T08:00:00Z');
    const duration = 60 * DAY;
    const t0 = performance.now();
    const due = addBusinessTime(start, duration, nineToFive, 'Europe/Paris');
    const took = performance.now() - t0;
    // 1,440 hours at 40 a week: 36 weeks from Monday 5 January 09:00, so the Friday of the 36th week at 17:00.
    expect(iso(due)).toBe(iso(at('2026-09-11T17:00:00+02:00')));
    expect(businessTimeBetween(start, due, nineToFive, 'Europe/Paris')).toBe(duration);
    expect(took).toBeLessThan(200);
  });
  it('gives up past the horizon rather than walking for ever (a minute a week, 60 days)', () => {
    const sparse = hours({ mon: ['09:00-09:01'] });
    const t0 = performance.now();
    expect(addBusinessTime(0, 60 * DAY, sparse, 'UTC')).toBe(NEVER);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(addBusinessTime(0, 60 * MIN, sparse, 'UTC')).toBeLessThan(HORIZON_DAYS * DAY);
  });
});

describe('round trips on random inputs', () => {
  const zones = ['Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC'];
  const schedules = [nineToFive, always, hours({ weekdays: ['08:30-12:00', '13:30-18:00'], sat: ['10:00-14:00'] }, ['2026-03-30', '2026-11-02']), hours({ all: ['00:00-06:00', '22:00-24:00'] })];
  // A fixed pseudo-random sequence: the test is the same on every run.
  let seed = 42;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  it('businessTimeBetween(start, addBusinessTime(start, d)) is d, and the deadline never comes earlier for a longer d', () => {
    for (let i = 0; i < 400; i++) {
      const tz = zones[i % zones.length]!;
      const schedule = schedules[Math.floor(random() * schedules.length)]!;
      const start = at('2026-01-01T00:00:00Z') + Math.floor(random() * 330 * DAY);
      const d = Math.floor(random() * 20 * DAY) + 1;
      const due = addBusinessTime(start, d, schedule, tz);
      expect(businessTimeBetween(start, due, schedule, tz)).toBe(d);
      expect(addBusinessTime(start, d + MIN, schedule, tz)).toBeGreaterThan(due);
    }
  });
  it('splits additively: the time from a to c is a→b plus b→c', () => {
    for (let i = 0; i < 200; i++) {
      const tz = zones[i % zones.length]!;
      const schedule = schedules[i % schedules.length]!;
      const a = at('2026-01-01T00:00:00Z') + Math.floor(random() * 330 * DAY);
      const b = a + Math.floor(random() * 10 * DAY);
      const c = b + Math.floor(random() * 10 * DAY);
      expect(businessTimeBetween(a, c, schedule, tz)).toBe(businessTimeBetween(a, b, schedule, tz) + businessTimeBetween(b, c, schedule, tz));
    }
  });
});

describe('SLA state and deadlines', () => {
  const tz = 'Europe/Paris';
  const start = at('2026-01-09T16:00:00+01:00'); // Friday
  it('turns at risk with 25% left, counted in business time, and breached when due', () => {
    const { dueAt, atRiskAt } = slaDeadlines(start, 4 * HOUR, 25, nineToFive, tz);
    expect(iso(dueAt)).toBe(iso(at('2026-01-12T12:00:00+01:00')));
    expect(iso(atRiskAt)).toBe(iso(at('2026-01-12T11:00:00+01:00')));
    // Saturday: the clock is paused with 3 hours left.
    expect(slaStateAt(at('2026-01-10T12:00:00+01:00'), start, dueAt, 25, nineToFive, tz)).toBe('running');
    expect(slaStateAt(atRiskAt - 1, start, dueAt, 25, nineToFive, tz)).toBe('running');
    expect(slaStateAt(atRiskAt, start, dueAt, 25, nineToFive, tz)).toBe('at_risk');
    expect(slaStateAt(dueAt, start, dueAt, 25, nineToFive, tz)).toBe('breached');
  });
  it('works on the wall clock without business hours', () => {
    const { dueAt, atRiskAt } = slaDeadlines(0, 10 * MIN, 50, null, 'UTC');
    expect([dueAt, atRiskAt]).toEqual([10 * MIN, 5 * MIN]);
    expect(slaStateAt(4 * MIN, 0, dueAt, 50, null, 'UTC')).toBe('running');
    expect(slaStateAt(6 * MIN, 0, dueAt, 50, null, 'UTC')).toBe('at_risk');
  });
});
