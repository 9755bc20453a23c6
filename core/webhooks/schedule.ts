/**
 * The waits of a webhook delivery: the schedule's delay spread by jitter, and stretched (never shortened)
 * by the receiver's Retry-After. Pure: the delivery workflow passes its own deterministic random number,
 * so a replay computes the same waits.
 */

/**
 * `delayMs` spread uniformly over ±`ratio` of itself by `random` (a number in [0, 1)), in whole
 * milliseconds. Zero stays zero: "immediately" is not jittered.
 */
export function jitterDelay(options: { delayMs: number; random: number; ratio: number }): number {
  const { delayMs, random, ratio } = options;
  if (delayMs <= 0) return 0;
  return Math.max(0, Math.round(delayMs * (1 + ratio * (2 * random - 1))));
}

/**
 * The wait before the next attempt: the schedule's (jittered) delay, or the receiver's Retry-After when
 * that is longer. Retry-After arrives already capped (WEBHOOK_LIMITS.retryAfterMaxMs), so a receiver can
 * slow its own deliveries down by a bounded amount but never make them come sooner than the schedule.
 */
export function nextAttemptDelay(options: { scheduledMs: number; retryAfterMs: number | null | undefined }): number {
  return Math.max(options.scheduledMs, options.retryAfterMs ?? 0);
}
