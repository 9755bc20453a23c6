/**
 * The SLA histogram (core/sla/histogram.ts) and the overview's figures (core/sla/aggregates.ts): medians
 * and p90s read from merged buckets stay within 4% of the exact values on random data.
 */
import { summarize, targetsOf, aggregateId, type AggregateRow } from '../../core/sla/aggregates';
import { bucketKey, bucketOf, bucketValueMs, HISTOGRAM_LAST_BUCKET, mergeHistogram, quantileMs, type Histogram } from '../../core/sla/histogram';

let seed = 7;
const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

/** The exact nearest-rank quantile. */
function exact(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

function histogramOf(values: number[]): Histogram {
  const h: Histogram = {};
  for (const v of values) h[bucketKey(bucketOf(v))] = (h[bucketKey(bucketOf(v))] ?? 0) + 1;
  return h;
}

describe('log-scale histogram', () => {
  it('puts each duration in a bucket whose value is within 4% of it (from 100 ms to 400 days)', () => {
    for (const ms of [100, 101, 999, 1000, 59_000, 3_600_000, 86_400_000, 60 * 86_400_000, 399 * 86_400_000]) {
      expect(Math.abs(bucketValueMs(bucketOf(ms)) / ms - 1)).toBeLessThan(0.04);
    }
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-5)).toBe(0);
    expect(bucketOf(Number.NaN)).toBe(0);
    expect(bucketOf(10_000 * 86_400_000)).toBe(HISTOGRAM_LAST_BUCKET);
    expect(HISTOGRAM_LAST_BUCKET).toBeLessThan(300);
  });

  it.each([
    ['log-normal first responses (minutes)', () => Math.exp(Math.log(120_000) + 1.2 * (random() + random() + random() - 1.5) * 2)],
    ['uniform resolutions (1 min to 3 days)', () => 60_000 + random() * 3 * 86_400_000],
    ['a bimodal mix (seconds, and hours)', () => (random() < 0.6 ? 5_000 + random() * 30_000 : 3_600_000 + random() * 7_200_000)],
  ])('reads the median and p90 of %s within 4% of the exact values', (_name, draw) => {
    for (let run = 0; run < 20; run++) {
      const values = Array.from({ length: 50 + Math.floor(random() * 2000) }, draw);
      const h = histogramOf(values);
      for (const q of [0.5, 0.9]) {
        const got = quantileMs(h, q)!;
        expect(Math.abs(got / exact(values, q) - 1)).toBeLessThan(0.04);
      }
    }
  });

  it('merges by adding counts (days, bots, agents), and is empty without samples', () => {
    const a = histogramOf([1000, 2000]);
    const b = histogramOf([2000, 90_000]);
    const merged = mergeHistogram(mergeHistogram({}, a), b);
    expect(Object.values(merged).reduce((s, n) => s + n, 0)).toBe(4);
    expect(quantileMs(merged, 0.5)).toBeCloseTo(bucketValueMs(bucketOf(2000)));
    expect(quantileMs({}, 0.5)).toBeNull();
    expect(mergeHistogram({}, { junk: 3, b2: -1, b3: 2 } as Histogram)).toEqual({ b3: 2 });
  });
});

describe('aggregate targets and the overview figures', () => {
  it('counts a sample in the account scope (all, bot, agent) and in its bot scope (all, agent)', () => {
    expect(targetsOf('bot_1', 'agt_1')).toEqual([
      { scope: '', dimension: 'all' },
      { scope: '', dimension: 'bot:bot_1' },
      { scope: 'bot_1', dimension: 'all' },
      { scope: '', dimension: 'agent:agt_1' },
      { scope: 'bot_1', dimension: 'agent:agt_1' },
    ]);
    expect(targetsOf('bot_1', null)).toHaveLength(3);
    expect(aggregateId('acct_1', { scope: '', dimension: 'all' }, '2026-01-05', 'resolution')).toBe('acct_1|*|2026-01-05|all|resolution');
  });

  it('sums days, and splits by agent and bot', () => {
    const row = (dimension: string, metric: string, values: number[], breached = 0): AggregateRow => ({ dimension, metric, count: values.length, breached, hist: histogramOf(values) });
    const rows = [
      row('all', 'firstResponse', [60_000, 120_000], 1),
      row('all', 'firstResponse', [180_000]),
      row('agent:agt_b', 'firstResponse', [180_000]),
      row('agent:agt_a', 'firstResponse', [60_000, 120_000], 1),
      row('bot:bot_1', 'resolution', [3_600_000]),
      row('all', 'resolution', [3_600_000]),
    ];
    const figures = summarize(rows, null);
    expect(figures.firstResponse).toMatchObject({ count: 3, breached: 1 });
    expect(Math.abs(figures.firstResponse.medianSeconds! / 120 - 1)).toBeLessThan(0.04);
    expect(figures.byAgent.map((a) => a.agentId)).toEqual(['agt_a', 'agt_b']);
    expect(figures.byAgent[1]!.resolution).toEqual({ count: 0, breached: 0, medianSeconds: null, p90Seconds: null });
    expect(figures.byBot).toEqual([{ botId: 'bot_1', firstResponse: { count: 0, breached: 0, medianSeconds: null, p90Seconds: null }, resolution: expect.objectContaining({ count: 1 }) }]);
    // In a bot's scope, that bot is the total.
    expect(summarize(rows, 'bot_9').byBot).toEqual([{ botId: 'bot_9', firstResponse: figures.firstResponse, resolution: figures.resolution }]);
    expect(summarize([], 'bot_9').byBot).toEqual([]);
  });
});
