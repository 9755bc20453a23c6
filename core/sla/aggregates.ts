/**
 * The running SLA aggregates, as pure functions: where one sample is counted, and how a window's documents
 * become the figures of `GET /v1/sla/status`. Storage and idempotency are activities/sla.ts's.
 *
 * A sample is counted in two scopes: the account (dimensions `all`, `bot:<id>`, `agent:<id>`) and its bot
 * (dimensions `all` and `agent:<id>`), so that the overview filtered by a bot still has its per-agent figures
 * and reads one scope's documents only.
 */
import { mergeHistogram, quantileMs, type Histogram } from './histogram';

export type SlaMetricName = 'firstResponse' | 'resolution';

/** One aggregate a sample goes into. */
export interface AggregateTarget {
  /** '' for the whole account, else a bot id. */
  scope: string;
  dimension: string;
}

/** The aggregates a sample of `botId` answered by `agentId` (null: none) goes into. */
export function targetsOf(botId: string, agentId: string | null): AggregateTarget[] {
  const targets: AggregateTarget[] = [
    { scope: '', dimension: 'all' },
    { scope: '', dimension: `bot:${botId}` },
    { scope: botId, dimension: 'all' },
  ];
  if (agentId) targets.push({ scope: '', dimension: `agent:${agentId}` }, { scope: botId, dimension: `agent:${agentId}` });
  return targets;
}

/** The UTC day (`YYYY-MM-DD`) of an instant. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The `_id` of an aggregate document. */
export function aggregateId(accountId: string, target: AggregateTarget, day: string, metric: SlaMetricName): string {
  return `${accountId}|${target.scope || '*'}|${day}|${target.dimension}|${metric}`;
}

/** What the status route reads of an aggregate document. */
export interface AggregateRow {
  dimension: string;
  metric: string;
  count: number;
  breached: number;
  hist: Histogram;
}

export interface MetricFigures {
  count: number;
  breached: number;
  /** Null when nothing was measured in the window. */
  medianSeconds: number | null;
  p90Seconds: number | null;
}

interface Acc {
  count: number;
  breached: number;
  hist: Histogram;
}

const seconds = (ms: number | null): number | null => (ms === null ? null : Math.round(ms / 100) / 10);

function figures(acc: Acc | undefined): MetricFigures {
  if (!acc || acc.count === 0) return { count: 0, breached: 0, medianSeconds: null, p90Seconds: null };
  return { count: acc.count, breached: acc.breached, medianSeconds: seconds(quantileMs(acc.hist, 0.5)), p90Seconds: seconds(quantileMs(acc.hist, 0.9)) };
}

export interface SlaFigures {
  firstResponse: MetricFigures;
  resolution: MetricFigures;
  byAgent: Array<{ agentId: string; firstResponse: MetricFigures; resolution: MetricFigures }>;
  byBot: Array<{ botId: string; firstResponse: MetricFigures; resolution: MetricFigures }>;
}

/**
 * The figures of one scope's documents over a window: totals from `all`, per agent from `agent:*`, per bot
 * from `bot:*` (the account scope) or, in a bot's scope, that bot's `all`.
 */
export function summarize(rows: AggregateRow[], scopeBotId: string | null): SlaFigures {
  const byDimension = new Map<string, Record<string, Acc>>();
  for (const row of rows) {
    if (row.metric !== 'firstResponse' && row.metric !== 'resolution') continue;
    const metrics = byDimension.get(row.dimension) ?? byDimension.set(row.dimension, {}).get(row.dimension)!;
    const acc = (metrics[row.metric] ??= { count: 0, breached: 0, hist: {} });
    acc.count += Number(row.count) || 0;
    acc.breached += Number(row.breached) || 0;
    mergeHistogram(acc.hist, row.hist);
  }
  const pair = (dimension: string) => ({ firstResponse: figures(byDimension.get(dimension)?.firstResponse), resolution: figures(byDimension.get(dimension)?.resolution) });
  const withPrefix = (prefix: string) => [...byDimension.keys()].filter((d) => d.startsWith(prefix)).sort();
  const total = pair('all');
  return {
    ...total,
    byAgent: withPrefix('agent:').map((d) => ({ agentId: d.slice('agent:'.length), ...pair(d) })),
    byBot: scopeBotId === null ? withPrefix('bot:').map((d) => ({ botId: d.slice('bot:'.length), ...pair(d) })) : total.firstResponse.count + total.resolution.count > 0 ? [{ botId: scopeBotId, ...total }] : [],
  };
}
