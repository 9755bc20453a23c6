/**
 * A fixed log-scale histogram of durations, the form SLA samples are kept in (models/sla.model.ts): the
 * same buckets for every account and day, so days, bots and agents merge by adding counts, and a median or
 * p90 over any window is read from the merged counts without keeping the samples.
 *
 * Buckets: [0, 100 ms), then [100 ms · 1.08^(i-1), 100 ms · 1.08^i) up to 400 days (about 260 buckets;
 * a document stores only those it has seen, as `{ b<i>: count }`). A quantile is the geometric middle of
 * the bucket holding the sample of that rank, so it is within √1.08 − 1 ≈ 3.9% of the exact nearest-rank
 * value (under the ~5% the status overview promises); below 100 ms it reads as 50 ms.
 */

export const HISTOGRAM_BASE_MS = 100;
export const HISTOGRAM_RATIO = 1.08;
const LOG_RATIO = Math.log(HISTOGRAM_RATIO);
/** The last bucket holds everything from its lower bound on (400 days and more). */
export const HISTOGRAM_LAST_BUCKET = 1 + Math.floor(Math.log((400 * 86_400_000) / HISTOGRAM_BASE_MS) / LOG_RATIO);

/** Bucket → count, keyed `b<index>` (a field name, not an array index, so one `$inc` adds a sample). */
export type Histogram = Record<string, number>;

/** The bucket a duration falls in. */
export function bucketOf(durationMs: number): number {
  if (!(durationMs >= HISTOGRAM_BASE_MS)) return 0;
  return Math.min(HISTOGRAM_LAST_BUCKET, 1 + Math.floor(Math.log(durationMs / HISTOGRAM_BASE_MS) / LOG_RATIO));
}

export const bucketKey = (bucket: number): string => `b${bucket}`;

/** The value a bucket stands for: the geometric middle of its bounds (50 ms for the first). */
export function bucketValueMs(bucket: number): number {
  if (bucket <= 0) return HISTOGRAM_BASE_MS / 2;
  return HISTOGRAM_BASE_MS * HISTOGRAM_RATIO ** (bucket - 0.5);
}

/** Adds `from`'s counts into `into` (and returns it). */
export function mergeHistogram(into: Histogram, from: Histogram | null | undefined): Histogram {
  for (const [key, count] of Object.entries(from ?? {})) {
    if (/^b\d+$/.test(key) && typeof count === 'number' && count > 0) into[key] = (into[key] ?? 0) + count;
  }
  return into;
}

/**
 * The nearest-rank quantile `q` (0 < q ≤ 1) of the durations counted, in milliseconds: the value of the
 * bucket holding the ⌈q·n⌉-th smallest. Null when the histogram is empty.
 */
export function quantileMs(histogram: Histogram, q: number): number | null {
  const buckets = Object.entries(histogram)
    .map(([key, count]) => [Number(key.slice(1)), count] as const)
    .filter(([bucket, count]) => Number.isInteger(bucket) && count > 0)
    .sort((a, b) => a[0] - b[0]);
  const n = buckets.reduce((sum, [, count]) => sum + count, 0);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (const [bucket, count] of buckets) {
    seen += count;
    if (seen >= rank) return bucketValueMs(bucket);
  }
  return bucketValueMs(buckets[buckets.length - 1]![0]);
}
