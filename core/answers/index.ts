/**
 * Checking and normalizing a visitor's answer to an ask block (DESIGN.md, "Guided flows").
 *
 * Pure domain logic that runs inside Temporal workflow code: no I/O, no host clock, no randomness, no
 * dependence on the host's timezone. The caller passes `nowMs` (workflow time, from the replayed
 * history) and the bot's IANA timezone, so an answer reads the same on replay as it did live.
 */
import type { AnswerSpec } from '../../models/flow.schema';
import { parseChoice } from './choice';
import { parseDateAnswer, parseDateTimeAnswer } from './date-answers';
import { parseNumber } from './number';
import { parseRegex } from './regex';
import type { AnswerResult } from './result';
import { parseEmail, parsePhone, parseText } from './text';
import { parseTime } from './time';
import { parseYesNo } from './yes-no';

export type { AnswerResult } from './result';
export { matchChoice, type MatchableOption } from './choice';
export { compileSafePattern } from './regex';
export { isValidTimezone, offsetMinutes, wallClock, zonedIso, zonedTimeToInstant, type CalendarDate, type TimeOfDay, type WallClock } from './zoned';

/** One answer to check: the ask block's spec, what the visitor wrote, and the bot's clock. */
export interface ParseAnswerInput {
  spec: AnswerSpec;
  text: string;
  /** The instant the answer arrived (workflow time), ms since the epoch. */
  nowMs: number;
  /** The bot's IANA timezone, e.g. "Europe/London". An unknown name throws a RangeError. */
  timezone: string;
}

/** Checks a visitor's answer against an AnswerSpec: the value to store and its echo, or a visitor-safe reason. */
export function parseAnswer(input: ParseAnswerInput): AnswerResult {
  const { spec, text, nowMs, timezone } = input;
  switch (spec.type) {
    case 'text':
      return parseText(spec, text);
    case 'email':
      return parseEmail(text);
    case 'phone':
      return parsePhone(text);
    case 'number':
    case 'integer':
      return parseNumber(spec, text);
    case 'date':
      return parseDateAnswer(spec, text, { nowMs, timezone });
    case 'time':
      return parseTime(text);
    case 'datetime':
      return parseDateTimeAnswer(spec, text, { nowMs, timezone });
    case 'yes_no':
      return parseYesNo(text);
    case 'choice':
      return parseChoice(spec.options, text);
    case 'regex':
      return parseRegex(spec, text);
  }
}
