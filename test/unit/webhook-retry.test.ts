/**
 * The waits of a webhook delivery: Retry-After as the delivery activity reads it, the jitter the workflow
 * adds to each delay, and the default schedule's span.
 */
import { jitterDelay, nextAttemptDelay } from '../../core/webhooks/schedule';
import { webhookRetryAfterMs } from '../../activities/webhooks';
import { STANDARD_RETRY_SCHEDULE_MS, WEBHOOK_LIMITS, WEBHOOK_RETRY_SCHEDULE_MS } from '../../models/limits';

const now = Date.parse('2025-01-01T00:00:00Z');
const HOUR = 3_600_000;

describe('webhookRetryAfterMs', () => {
  it('reads seconds on a 429', () => expect(webhookRetryAfterMs({ status: 429, headers: { 'retry-after': '120' }, now })).toBe(120_000));
  it('reads an HTTP date on a 503', () => expect(webhookRetryAfterMs({ status: 503, headers: { 'retry-after': 'Wed, 01 Jan 2025 00:10:00 GMT' }, now })).toBe(600_000));
  it('caps a long wait at an hour', () => expect(webhookRetryAfterMs({ status: 429, headers: { 'retry-after': '86400' }, now })).toBe(WEBHOOK_LIMITS.retryAfterMaxMs));
  it('caps a far HTTP date at an hour', () => expect(webhookRetryAfterMs({ status: 503, headers: { 'retry-after': 'Fri, 03 Jan 2025 00:00:00 GMT' }, now })).toBe(HOUR));
  it('reads a date in the past as no wait', () => expect(webhookRetryAfterMs({ status: 503, headers: { 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }, now })).toBe(0));
  it('ignores Retry-After on other statuses', () => {
    expect(webhookRetryAfterMs({ status: 500, headers: { 'retry-after': '120' }, now })).toBeNull();
    expect(webhookRetryAfterMs({ status: 200, headers: { 'retry-after': '120' }, now })).toBeNull();
    expect(webhookRetryAfterMs({ status: null, headers: {}, now })).toBeNull();
  });
  it('is null when absent or unreadable', () => {
    expect(webhookRetryAfterMs({ status: 429, headers: {}, now })).toBeNull();
    expect(webhookRetryAfterMs({ status: 429, headers: { 'retry-after': 'soon' }, now })).toBeNull();
    expect(webhookRetryAfterMs({ status: 429, headers: { 'retry-after': '-5' }, now })).toBeNull();
    expect(webhookRetryAfterMs({ status: 429, headers: { 'retry-after': '1.5' }, now })).toBeNull();
  });
});

describe('nextAttemptDelay', () => {
  it('waits for a Retry-After longer than the schedule', () => expect(nextAttemptDelay({ scheduledMs: 5_000, retryAfterMs: 60_000 })).toBe(60_000));
  it('never comes sooner than the schedule for a short Retry-After', () => expect(nextAttemptDelay({ scheduledMs: 300_000, retryAfterMs: 1_000 })).toBe(300_000));
  it('keeps the schedule without Retry-After', () => {
    expect(nextAttemptDelay({ scheduledMs: 5_000, retryAfterMs: null })).toBe(5_000);
    expect(nextAttemptDelay({ scheduledMs: 5_000, retryAfterMs: undefined })).toBe(5_000);
  });
});

describe('jitterDelay', () => {
  const ratio = WEBHOOK_LIMITS.jitter;
  it('keeps "immediately" immediate', () => expect(jitterDelay({ delayMs: 0, random: 0.99, ratio })).toBe(0));
  it('spreads a delay down to -10%', () => expect(jitterDelay({ delayMs: 36_000_000, random: 0, ratio })).toBe(32_400_000));
  it('spreads a delay up to +10%', () => expect(jitterDelay({ delayMs: 36_000_000, random: 1 - Number.EPSILON, ratio })).toBe(39_600_000));
  it('leaves a delay as it is in the middle', () => expect(jitterDelay({ delayMs: 5_000, random: 0.5, ratio })).toBe(5_000));
  it('gives whole milliseconds', () => expect(Number.isInteger(jitterDelay({ delayMs: 333, random: 0.123, ratio }))).toBe(true));
  it('is the same for the same random number (what makes a replay draw the same waits)', () => {
    expect(jitterDelay({ delayMs: 7_200_000, random: 0.42, ratio })).toBe(jitterDelay({ delayMs: 7_200_000, random: 0.42, ratio }));
    expect(jitterDelay({ delayMs: 7_200_000, random: 0.42, ratio })).not.toBe(jitterDelay({ delayMs: 7_200_000, random: 0.43, ratio }));
  });
});

describe('the default schedule', () => {
  const total = (delays: readonly number[]): number => delays.reduce((sum, d) => sum + d, 0);

  it('begins with the Standard Webhooks schedule', () => expect(WEBHOOK_RETRY_SCHEDULE_MS.slice(0, STANDARD_RETRY_SCHEDULE_MS.length)).toEqual(STANDARD_RETRY_SCHEDULE_MS));

  it('spans about three days (71.6 hours, as the README says)', () => {
    expect(WEBHOOK_RETRY_SCHEDULE_MS).toHaveLength(11);
    expect(total(WEBHOOK_RETRY_SCHEDULE_MS) / HOUR).toBeCloseTo(71.58, 2);
  });

  it('stays between 64 and 79 hours whatever the jitter draws', () => {
    const jittered = (random: number) => total(WEBHOOK_RETRY_SCHEDULE_MS.map((delayMs) => jitterDelay({ delayMs, random, ratio: WEBHOOK_LIMITS.jitter })));
    expect(jittered(0) / HOUR).toBeGreaterThan(64);
    expect(jittered(1 - Number.EPSILON) / HOUR).toBeLessThan(79);
  });
});
