import type { AnswerSpec } from '../models/flow.schema';
import { compileSafePattern, isValidTimezone, matchChoice, parseAnswer, wallClock, zonedIso, zonedTimeToInstant, type AnswerResult } from './answers';

// Saturday 21 November 2026, 23:30 UTC — already Sunday 22 November, 08:30, in Tokyo.
const SAT_2330_UTC = Date.UTC(2026, 10, 21, 23, 30);
// Thursday 26 November 2026, 10:00 UTC.
const THU_1000_UTC = Date.UTC(2026, 10, 26, 10, 0);

function answer(spec: AnswerSpec, text: string, at: { nowMs?: number; timezone?: string } = {}): AnswerResult {
  return parseAnswer({ spec, text, nowMs: at.nowMs ?? SAT_2330_UTC, timezone: at.timezone ?? 'UTC' });
}
const ok = (value: string | number | boolean, display?: string) => ({ ok: true, value, display: display ?? expect.any(String) });
const rejected = (reason?: string) => ({ ok: false, reason: reason ?? expect.any(String) });

const date = (o: { allowPast?: boolean; allowFuture?: boolean } = {}): AnswerSpec => ({ type: 'date', allowPast: o.allowPast ?? true, allowFuture: o.allowFuture ?? true });
const datetime = (o: { allowPast?: boolean; allowFuture?: boolean } = {}): AnswerSpec => ({ type: 'datetime', allowPast: o.allowPast ?? true, allowFuture: o.allowFuture ?? true });

describe('text', () => {
  it('trims the answer', () => expect(answer({ type: 'text' }, '  hello there ')).toEqual(ok('hello there', 'hello there')));
  it('rejects a blank answer', () => expect(answer({ type: 'text' }, '   ')).toEqual(rejected('Please type an answer.')));
  it('enforces minLength on the trimmed text', () => expect(answer({ type: 'text', minLength: 3 }, '  ab  ')).toEqual(rejected('Please use at least 3 characters.')));
  it('enforces maxLength', () => expect(answer({ type: 'text', maxLength: 5 }, 'abcdef')).toEqual(rejected('Please keep it to 5 characters or fewer.')));
  it('counts an emoji as one character', () => expect(answer({ type: 'text', maxLength: 2 }, '👍👍')).toMatchObject({ ok: true }));
});

describe('email', () => {
  it.each([
    ['a Kelvin sign', '\u212Aate@example.com'],
    ['fullwidth letters', '\uFF4Bate@example.com'],
    ['a zero-width joiner', 'kate@exa\u200Dmple.com'],
    ['a Cyrillic homoglyph', 'kate@ex\u0430mple.com'],
    ['a dotless i in the local part', 'k\u0131rk@example.com'],
  ])('refuses an address with %s instead of folding it to ASCII', (_what, text) => {
    expect(answer({ type: 'email' }, text)).toEqual(rejected("That doesn't look like an email address."));
  });
  it('keeps a dotless-i domain (a valid Turkish name) apart from the dotted one', () => {
    expect(answer({ type: 'email' }, 'kate@l\u0131nk.com')).toMatchObject({ ok: true, value: 'kate@xn--lnk-jua.com' });
  });
  it('accepts an internationalised domain, storing its ASCII form and showing its Unicode one', () => {
    expect(answer({ type: 'email' }, 'Ada@bücher.de')).toMatchObject({ ok: true, value: 'ada@xn--bcher-kva.de', display: 'ada@bücher.de' });
  });
  it('accepts an address and lower-cases it', () => expect(answer({ type: 'email' }, ' Ada.Lovelace@Example.CO.UK ')).toEqual(ok('ada.lovelace@example.co.uk')));
  it('rejects an address without a domain suffix', () => expect(answer({ type: 'email' }, 'ada@localhost')).toEqual(rejected("That doesn't look like an email address.")));
  it('rejects consecutive dots and spaces', () => {
    expect(answer({ type: 'email' }, 'ada..l@example.com')).toMatchObject({ ok: false });
    expect(answer({ type: 'email' }, 'ada l@example.com')).toMatchObject({ ok: false });
  });
});

describe('phone', () => {
  it('keeps a leading + and the digits', () => expect(answer({ type: 'phone' }, '+44 (20) 7946-0958')).toEqual(ok('+442079460958', '+442079460958')));
  it('keeps digits only without a +', () => expect(answer({ type: 'phone' }, '020 7946 0958')).toEqual(ok('02079460958')));
  it('rejects fewer than 7 digits', () => expect(answer({ type: 'phone' }, '12-34-5')).toEqual(rejected("That doesn't look like a phone number.")));
  it('rejects more than 15 digits', () => expect(answer({ type: 'phone' }, '+1234567890123456')).toMatchObject({ ok: false }));
  it('rejects letters and a + in the middle', () => {
    expect(answer({ type: 'phone' }, 'call 555 1234 567')).toMatchObject({ ok: false });
    expect(answer({ type: 'phone' }, '555+1234567')).toMatchObject({ ok: false });
  });
});

describe('number', () => {
  const spec: AnswerSpec = { type: 'number' };
  it('reads a decimal point', () => expect(answer(spec, '12.5')).toEqual(ok(12.5, '12.5')));
  it('reads thousands separators', () => expect(answer(spec, '1,234.5')).toEqual(ok(1234.5, '1,234.5')));
  it('reads a decimal comma when it cannot be a thousands separator', () => expect(answer(spec, '12,5')).toEqual(ok(12.5)));
  it('reads a comma before exactly three digits as thousands', () => expect(answer(spec, '1,234')).toEqual(ok(1234)));
  it('reads European grouping', () => expect(answer(spec, '1.234.567,25')).toEqual(ok(1234567.25)));
  it('reads negative numbers', () => expect(answer(spec, '-4')).toEqual(ok(-4)));
  it('reads number words up to twenty', () => expect(answer(spec, 'Three')).toEqual(ok(3)));
  it('rejects text and mixed separators', () => {
    expect(answer(spec, 'a few')).toEqual(rejected('Please enter a number, e.g. 12.5.'));
    expect(answer(spec, '1,23,4')).toMatchObject({ ok: false });
  });
  it('enforces min', () => expect(answer({ type: 'number', min: 0.5 }, '0.25')).toEqual(rejected('Please enter a number of at least 0.5.')));
  it('enforces max', () => expect(answer({ type: 'number', max: 10 }, '10.01')).toEqual(rejected('Please enter a number of at most 10.')));
  it('accepts the bounds themselves', () => expect(answer({ type: 'number', min: 1, max: 10 }, '10')).toEqual(ok(10)));
});

describe('integer', () => {
  it('accepts whole numbers, with grouping', () => expect(answer({ type: 'integer' }, '1,000')).toEqual(ok(1000, '1,000')));
  it('rejects decimals', () => expect(answer({ type: 'integer' }, '2.5')).toEqual(rejected('Please enter a whole number, without decimals.')));
  it('rejects text', () => expect(answer({ type: 'integer' }, 'lots')).toEqual(rejected('Please enter a whole number, e.g. 42.')));
  it('enforces min and max together', () => {
    expect(answer({ type: 'integer', min: 1, max: 8 }, '9')).toEqual(rejected('Please enter a whole number between 1 and 8.'));
    expect(answer({ type: 'integer', min: 1, max: 8 }, 'zero')).toEqual(rejected('Please enter a whole number between 1 and 8.'));
  });
});

describe('date: relative phrases in the bot timezone', () => {
  it('reads "tomorrow" in UTC', () => expect(answer(date(), 'tomorrow')).toEqual(ok('2026-11-22', 'Sunday 22 November 2026')));
  it('reads "tomorrow" from Tokyo\'s today, already a day ahead of UTC', () =>
    expect(answer(date(), 'Tomorrow', { timezone: 'Asia/Tokyo' })).toEqual(ok('2026-11-23', 'Monday 23 November 2026')));
  it('reads "today" as Tokyo\'s date', () => expect(answer(date(), 'today', { timezone: 'Asia/Tokyo' })).toEqual(ok('2026-11-22')));
  it('reads "day after tomorrow" across the timezone', () =>
    expect(answer(date(), 'the day after tomorrow', { timezone: 'Asia/Tokyo' })).toEqual(ok('2026-11-24')));
  it('reads "yesterday"', () => expect(answer(date(), 'yesterday')).toEqual(ok('2026-11-20')));
  it('reads "in 3 days" and "in two weeks"', () => {
    expect(answer(date(), 'in 3 days')).toEqual(ok('2026-11-24'));
    expect(answer(date(), 'in two weeks')).toEqual(ok('2026-12-05'));
  });
  it('reads "Thursday" and "next Thursday" as the next upcoming Thursday', () => {
    expect(answer(date(), 'Thursday')).toEqual(ok('2026-11-26', 'Thursday 26 November 2026'));
    expect(answer(date(), 'next thursday')).toEqual(ok('2026-11-26'));
  });
  it('excludes today: "Thursday" said on a Thursday is a week later', () =>
    expect(answer(date(), 'Thursday', { nowMs: THU_1000_UTC })).toEqual(ok('2026-12-03')));
  it('reads "last Thursday" as the previous one', () => expect(answer(date(), 'last Thursday', { nowMs: THU_1000_UTC })).toEqual(ok('2026-11-19')));
  it('finds the weekday from Tokyo\'s today (Sunday there, Saturday in UTC)', () => {
    expect(answer(date(), 'Sunday')).toEqual(ok('2026-11-22'));
    expect(answer(date(), 'Sunday', { timezone: 'Asia/Tokyo' })).toEqual(ok('2026-11-29'));
  });
  it('follows a DST change: 23:30 UTC on 29 March 2026 is already the 30th in London (BST)', () => {
    expect(answer(date(), 'today', { nowMs: Date.UTC(2026, 2, 28, 23, 30), timezone: 'Europe/London' })).toEqual(ok('2026-03-28'));
    expect(answer(date(), 'today', { nowMs: Date.UTC(2026, 2, 29, 23, 30), timezone: 'Europe/London' })).toEqual(ok('2026-03-30'));
  });
});

describe('date: written dates', () => {
  it('reads month-name dates', () => {
    expect(answer(date(), 'Nov 28')).toEqual(ok('2026-11-28', 'Saturday 28 November 2026'));
    expect(answer(date(), '28 November')).toEqual(ok('2026-11-28'));
    expect(answer(date(), 'December 3rd 2026')).toEqual(ok('2026-12-03', 'Thursday 3 December 2026'));
  });
  it('gives a year-less date its next occurrence', () => expect(answer(date(), 'Jan 5')).toEqual(ok('2027-01-05')));
  it('gives a year-less date its last occurrence when future dates are not allowed', () =>
    expect(answer(date({ allowFuture: false }), 'Nov 28')).toEqual(ok('2025-11-28')));
  it('reads ISO dates', () => expect(answer(date(), '2026-11-26')).toEqual(ok('2026-11-26')));
  it('reads day-first when the first number is over 12', () => expect(answer(date(), '21/11/2026')).toEqual(ok('2026-11-21')));
  it('reads month-first when the second number is over 12', () => expect(answer(date(), '11/21/2026')).toEqual(ok('2026-11-21')));
  it('refuses an ambiguous day/month instead of guessing', () =>
    expect(answer(date(), '05/06/2026')).toEqual(rejected('"05/06/2026" could be 5 June or 6 May. Please write the month as a word, e.g. "5 June".')));
  it('rejects a date that does not exist', () => expect(answer(date(), '31/02/2026')).toEqual(rejected('"31/02/2026" doesn\'t look like a real date.')));
  it('rejects text that holds no date', () => expect(answer(date(), 'whenever suits')).toEqual(rejected(expect.stringContaining("didn't understand that date"))));
  it('rejects a month without a day', () => expect(answer(date(), 'November 2026')).toMatchObject({ ok: false }));
  it('rejects past dates when allowPast is false', () =>
    expect(answer(date({ allowPast: false }), 'yesterday')).toEqual(rejected('Please choose a date that is not in the past.')));
  it('rejects future dates when allowFuture is false', () =>
    expect(answer(date({ allowFuture: false }), 'tomorrow')).toEqual(rejected('Please choose a date that is not in the future.')));
  it('counts today as neither past nor future', () => expect(answer(date({ allowPast: false, allowFuture: false }), 'today')).toEqual(ok('2026-11-21')));
  it('reads the same whatever the host timezone', () => {
    const previous = process.env.TZ;
    const inputs = ['tomorrow', 'Nov 28', 'Sunday', 'next week'];
    const asUtcHost = inputs.map((t) => answer(date(), t, { timezone: 'Asia/Tokyo' }));
    try {
      process.env.TZ = 'America/Los_Angeles';
      expect(inputs.map((t) => answer(date(), t, { timezone: 'Asia/Tokyo' }))).toEqual(asUtcHost);
    } finally {
      if (previous === undefined) delete process.env.TZ;
      else process.env.TZ = previous;
    }
  });
});

describe('time', () => {
  const spec: AnswerSpec = { type: 'time' };
  it('reads "2pm"', () => expect(answer(spec, '2pm')).toEqual(ok('14:00', '2:00 pm')));
  it('reads "2:30 p.m."', () => expect(answer(spec, '2:30 p.m.')).toEqual(ok('14:30', '2:30 pm')));
  it('reads 24h "14:30" and "14h30"', () => {
    expect(answer(spec, '14:30')).toEqual(ok('14:30', '2:30 pm'));
    expect(answer(spec, '14h30')).toEqual(ok('14:30'));
  });
  it('reads digits without am/pm as 24h', () => expect(answer(spec, 'at 9')).toEqual(ok('09:00', '9:00 am')));
  it('reads noon and midnight', () => {
    expect(answer(spec, 'noon')).toEqual(ok('12:00', '12:00 pm'));
    expect(answer(spec, 'midnight')).toEqual(ok('00:00', '12:00 am'));
  });
  it('reads 12am as midnight and 12pm as noon', () => {
    expect(answer(spec, '12am')).toEqual(ok('00:00'));
    expect(answer(spec, '12:15pm')).toEqual(ok('12:15'));
  });
  it('reads spoken times with am/pm', () => {
    expect(answer(spec, 'half past two pm')).toEqual(ok('14:30'));
    expect(answer(spec, 'quarter to four in the afternoon')).toEqual(ok('15:45'));
  });
  it('asks for am/pm when a spoken time could be either', () => expect(answer(spec, 'half past two')).toEqual(rejected('Is that am or pm? Please write it like "2:30 pm" or "14:30".')));
  it('rejects impossible times', () => {
    expect(answer(spec, '25:00')).toMatchObject({ ok: false });
    expect(answer(spec, '10:75')).toMatchObject({ ok: false });
    expect(answer(spec, '0am')).toMatchObject({ ok: false });
  });
  it('rejects text that is not a time', () => expect(answer(spec, 'after lunch')).toMatchObject({ ok: false }));
});

describe('datetime', () => {
  it('reads "tomorrow at 2pm" with the offset', () =>
    expect(answer(datetime(), 'tomorrow at 2pm')).toEqual(ok('2026-11-22T14:00:00+00:00', 'Sunday 22 November 2026 at 2:00 pm')));
  it('reads "tomorrow at 2pm" from Tokyo\'s today with +09:00', () =>
    expect(answer(datetime(), 'tomorrow at 2pm', { timezone: 'Asia/Tokyo' })).toEqual(ok('2026-11-23T14:00:00+09:00')));
  it('reads "next Thursday 10:30" and the time before the day', () => {
    expect(answer(datetime(), 'next Thursday 10:30')).toEqual(ok('2026-11-26T10:30:00+00:00'));
    expect(answer(datetime(), '2pm tomorrow')).toEqual(ok('2026-11-22T14:00:00+00:00'));
  });
  it('reads month-name dates with a time', () => expect(answer(datetime(), 'Nov 28 at 5pm')).toEqual(ok('2026-11-28T17:00:00+00:00')));
  it('reads ISO without an offset as bot-timezone wall time', () =>
    expect(answer(datetime(), '2026-11-26T14:00', { timezone: 'Asia/Tokyo' })).toEqual(ok('2026-11-26T14:00:00+09:00')));
  it('honours an explicit offset and shows it in the bot timezone', () => {
    expect(answer(datetime(), '2026-11-26T14:00:00Z', { timezone: 'Asia/Tokyo' })).toEqual(ok('2026-11-26T23:00:00+09:00'));
    expect(answer(datetime(), 'Nov 28 at 5pm EST', { timezone: 'Europe/London' })).toEqual(ok('2026-11-28T22:00:00+00:00'));
  });
  it('takes a time alone as today', () => expect(answer(datetime(), '9pm', { timezone: 'Asia/Tokyo' })).toEqual(ok('2026-11-22T21:00:00+09:00')));
  it('asks for a time when only a day is given', () => expect(answer(datetime(), 'tomorrow')).toEqual(rejected('Please include a time as well, like "tomorrow at 2pm".')));
  it('rejects text with no day or time', () => expect(answer(datetime(), 'soonish')).toEqual(rejected(expect.stringContaining("didn't understand"))));
  it('rejects an ISO date that does not exist', () => expect(answer(datetime(), '2026-02-30T10:00')).toEqual(rejected("That date doesn't exist.")));
  it('counts "in 2 hours" in real time across the spring DST change', () =>
    expect(answer(datetime(), 'in 2 hours', { nowMs: Date.UTC(2026, 2, 29, 0, 30), timezone: 'Europe/London' })).toEqual(ok('2026-03-29T03:30:00+01:00')));
  it('moves a wall time skipped by the spring DST change forward (London 01:30 → 02:30 BST)', () =>
    expect(answer(datetime(), 'tomorrow at 1:30', { nowMs: Date.UTC(2026, 2, 28, 12), timezone: 'Europe/London' })).toEqual(
      ok('2026-03-29T02:30:00+01:00', 'Sunday 29 March 2026 at 2:30 am'),
    ));
  it('takes the first of a wall time repeated by the autumn DST change', () =>
    expect(answer(datetime(), '2026-10-25 01:30', { timezone: 'Europe/London' })).toEqual(ok('2026-10-25T01:30:00+01:00')));
  it('uses the offset in force at that moment, not now', () => {
    const now = { nowMs: Date.UTC(2026, 9, 24, 12), timezone: 'Europe/London' };
    expect(answer(datetime(), 'today at noon', now)).toEqual(ok('2026-10-24T12:00:00+01:00'));
    expect(answer(datetime(), 'tomorrow at noon', now)).toEqual(ok('2026-10-25T12:00:00+00:00'));
  });
  it('rejects a past moment when allowPast is false', () =>
    expect(answer(datetime({ allowPast: false }), 'today at 8am', { timezone: 'Asia/Tokyo' })).toEqual(rejected('Please choose a time that is not in the past.')));
  it('accepts a later time today when allowPast is false', () =>
    expect(answer(datetime({ allowPast: false }), 'today at 9am', { timezone: 'Asia/Tokyo', nowMs: Date.UTC(2026, 10, 21, 23, 0) })).toMatchObject({ ok: true }));
  it('rejects a future moment when allowFuture is false', () =>
    expect(answer(datetime({ allowFuture: false }), 'tomorrow at 2pm')).toEqual(rejected('Please choose a time that is not in the future.')));
});

describe('yes_no', () => {
  it.each(['yes', 'Y', 'yeah!', 'yep', 'Sure', 'OK.', 'okay', 'correct', 'confirm', '👍', '👍🏽', 'yes please'])('reads %p as yes', (text) =>
    expect(answer({ type: 'yes_no' }, text)).toEqual(ok(true, 'Yes')),
  );
  it.each(['no', 'N', 'nope', 'nah', 'No thanks', 'no, thank you'])('reads %p as no', (text) => expect(answer({ type: 'yes_no' }, text)).toEqual(ok(false, 'No')));
  it('does not read "cancel" as no (it is a flow command)', () => expect(answer({ type: 'yes_no' }, 'cancel')).toEqual(rejected('Please answer yes or no.')));
  it('rejects anything else', () => {
    expect(answer({ type: 'yes_no' }, 'maybe')).toMatchObject({ ok: false });
    expect(answer({ type: 'yes_no' }, 'not sure')).toMatchObject({ ok: false });
  });
});

describe('choice', () => {
  const sizes = [
    { label: 'Small', value: 's' },
    { label: 'Medium', value: 'm', synonyms: ['regular'] },
    { label: 'Large', value: 'l', synonyms: ['big'] },
  ];
  it('matches a label, case-insensitively and trimmed', () => expect(matchChoice(sizes, '  MEDIUM! ')).toBe(1));
  it('matches accents-insensitively', () => expect(matchChoice([{ label: 'Crème brûlée', value: 'cb' }, { label: 'Tart', value: 't' }], 'creme brulee')).toBe(0));
  it('matches a value', () => expect(matchChoice(sizes, 'l')).toBe(2));
  it('matches a synonym', () => expect(matchChoice(sizes, 'Regular')).toBe(1));
  it('matches a 1-based position', () => {
    expect(matchChoice(sizes, '2')).toBe(1);
    expect(matchChoice(sizes, 'option 3')).toBe(2);
    expect(matchChoice(sizes, 'the first one')).toBe(0);
  });
  it('prefers an exact label over a position', () => expect(matchChoice([{ label: 'Other', value: 'o' }, { label: '1', value: 'one' }], '1')).toBe(1));
  it('returns -1 for a position out of range', () => expect(matchChoice(sizes, '4')).toBe(-1));
  it('finds a term among other words', () => expect(matchChoice(sizes, 'a big one please')).toBe(2));
  it('finds the text inside a term', () => expect(matchChoice(sizes, 'med')).toBe(1));
  it('returns -1 when words match several options', () => expect(matchChoice(sizes, 'small or large')).toBe(-1));
  it('returns -1 when the text is inside several terms', () => expect(matchChoice([{ label: 'Apple pie', value: 'ap' }, { label: 'Apple tart', value: 'at' }], 'apple')).toBe(-1));
  it('picks the longer term that contains a shorter one', () => expect(matchChoice([{ label: 'Pro', value: 'p' }, { label: 'Pro Plus', value: 'pp' }], 'I want pro plus')).toBe(1));
  it('returns -1 when nothing matches', () => expect(matchChoice(sizes, 'pepperoni')).toBe(-1));
  it('stores the value and echoes the label', () => expect(answer({ type: 'choice', options: sizes }, 'big')).toEqual(ok('l', 'Large')));
  it('lists the labels when nothing matches', () => expect(answer({ type: 'choice', options: sizes }, 'huge')).toEqual(rejected('Please choose one of: Small, Medium or Large.')));
  it('says so when the answer is ambiguous', () =>
    expect(answer({ type: 'choice', options: sizes }, 'small or large')).toEqual(rejected('That matches more than one option. Please choose one of: Small, Medium or Large.')));
});

describe('regex', () => {
  const code: AnswerSpec = { type: 'regex', pattern: '[A-Z]{2}\\d{4}' };
  it('accepts a whole match and trims it', () => expect(answer(code, ' AB1234 ')).toEqual(ok('AB1234', 'AB1234')));
  it('rejects a match that is only part of the answer', () => {
    expect(answer(code, 'AB12345')).toEqual(rejected("That doesn't look right. Please check the format and try again."));
    expect(answer(code, 'xAB1234')).toMatchObject({ ok: false });
  });
  it('is case-sensitive without flags', () => expect(answer(code, 'ab1234')).toMatchObject({ ok: false }));
  it('honours the i flag', () => expect(answer({ ...code, flags: 'i' }, 'ab1234')).toEqual(ok('ab1234')));
  it('does not backtrack catastrophically on ^(a+)+$', () =>
    expect(answer({ type: 'regex', pattern: '^(a+)+$' }, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!')).toMatchObject({ ok: false }));
  it('still matches with that pattern when it should', () => expect(answer({ type: 'regex', pattern: '^(a+)+$' }, 'aaaa')).toEqual(ok('aaaa')));
  it('gives a generic reason for a pattern RE2 cannot run', () =>
    expect(answer({ type: 'regex', pattern: 'a(?=b)' }, 'ab')).toEqual(rejected("Sorry, I can't check this answer right now.")));
  it('compileSafePattern accepts RE2 syntax', () => expect(compileSafePattern('^[a-z]+\\d{2,4}$', 'i')).toEqual({ ok: true }));
  it('compileSafePattern rejects a lookahead', () => expect(compileSafePattern('(?=x)')).toEqual({ ok: false, reason: expect.stringContaining('(?=') }));
  it('compileSafePattern rejects a backreference', () => expect(compileSafePattern('(a)\\1')).toMatchObject({ ok: false }));
  it('compileSafePattern rejects flags other than i', () => expect(compileSafePattern('a', 'g')).toMatchObject({ ok: false }));
});

describe('timezone helpers', () => {
  it('wallClock reads the clock in a timezone', () =>
    expect(wallClock(SAT_2330_UTC, 'Asia/Tokyo')).toEqual({ year: 2026, month: 11, day: 22, hour: 8, minute: 30, second: 0, weekday: 0 }));
  it('zonedIso writes the offset in force, DST-correct', () => {
    expect(zonedIso(Date.UTC(2026, 6, 1, 12), 'Europe/London')).toBe('2026-07-01T13:00:00+01:00');
    expect(zonedIso(Date.UTC(2026, 6, 1, 12), 'America/St_Johns')).toBe('2026-07-01T09:30:00-02:30');
  });
  it('zonedTimeToInstant resolves a wall time', () =>
    expect(zonedTimeToInstant({ year: 2026, month: 11, day: 26 }, { hour: 14, minute: 0 }, 'Asia/Tokyo')).toBe(Date.UTC(2026, 10, 26, 5)));
  it('isValidTimezone knows IANA names', () => {
    expect(isValidTimezone('Europe/London')).toBe(true);
    expect(isValidTimezone('Mars/Olympus')).toBe(false);
  });
});
