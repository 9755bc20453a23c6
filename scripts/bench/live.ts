/**
 * The live-conversations scenario of `npm run bench`: does a turn stay as fast, and the processes as
 * small, when many conversations are open at once? Conversations are opened (started, greeted, then left
 * waiting for the visitor: each a running workflow the worker keeps cached) up to each level of
 * BENCH_LIVE (default 0,250,500,1000); at each level the same plain turns are measured at 1 and 20
 * concurrent callers on conversations opened before the first level, and the resident memory (RSS) of
 * the worker, the API, the Temporal server and FerretDB is read from /proc.
 */
import fs from 'node:fs';
import { memorySlopes } from './sizing-figures';

export interface LiveLevel {
  live: number;
  /** Conversations opened per second while reaching this level. */
  opensPerSecond: number;
  /** Resident memory in MiB, per process. */
  rssMiB: Record<string, number>;
  /** Plain turn p50 (ms) per concurrency. */
  turnP50Ms: Record<number, number>;
  /** CPU milliseconds per plain turn, per process, at the highest concurrency (where a growing cost shows). */
  cpuMsPerTurn: Record<string, number>;
}

/** Resident set size of a process in MiB (Linux); NaN elsewhere. */
export function rssMiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Opens conversations with `open` (in `parallel` loops) until `count` more are open; answers how many
 * per second.
 */
export async function openConversations(count: number, parallel: number, open: (i: number) => Promise<void>): Promise<number> {
  if (count <= 0) return 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) {
        const i = next++;
        await open(i);
      }
    }),
  );
  return count / ((performance.now() - t0) / 1000);
}

export function liveLevels(): number[] {
  const spec = process.env.BENCH_LIVE ?? '0,250,500,1000';
  if (spec.trim() === '') return [];
  return spec
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n >= 0)
    .sort((a, b) => a - b);
}

export function formatLiveTable(levels: LiveLevel[], concurrencies: number[]): string[] {
  if (levels.length === 0) return [];
  const processes = Object.keys(levels[0]!.rssMiB);
  const cpuProcesses = ['worker', 'api', 'temporal', 'ferretdb'];
  const top = Math.max(...concurrencies);
  const header = `live conversations  opens/s  ${concurrencies.map((c) => `turn p50 @${c}`.padStart(14)).join('')}  ${processes.map((p) => `${p} RSS MiB`.padStart(18)).join('')}  CPU ms/turn @${top} (${cpuProcesses.join('/')})`;
  const rows = levels.map(
    (level) =>
      `${String(level.live).padStart(18)}  ${(level.live === 0 ? '-' : level.opensPerSecond.toFixed(1)).padStart(7)}  ${concurrencies.map((c) => `${level.turnP50Ms[c]?.toFixed(1) ?? '-'} ms`.padStart(14)).join('')}  ${processes.map((p) => level.rssMiB[p]!.toFixed(0).padStart(18)).join('')}  ${cpuProcesses.map((p) => (level.cpuMsPerTurn[p] ?? 0).toFixed(1)).join('/')}`,
  );
  const first = levels[0]!;
  const last = levels[levels.length - 1]!;
  const summary = concurrencies.map((c) => `@${c} ${(last.turnP50Ms[c]! / first.turnP50Ms[c]!).toFixed(2)}x`).join(', ');
  // Least squares over every level, so one level's garbage-collection timing does not decide the figure.
  const slopes = memorySlopes({ levels });
  const worker = slopes.worker;
  const lines = [header, ...rows, `turn p50 at ${last.live} live vs ${first.live}: ${summary}`];
  if (worker) lines.push(`the worker holds ${((worker.miBPer1000 * 1024) / 1000).toFixed(0)} KiB more per open conversation (least squares over ${worker.levels} levels)`);
  if (Object.keys(slopes).length > 0) {
    lines.push(
      `resident memory per 1,000 open conversations (least-squares slope over the levels; r² says how straight): ${processes
        .filter((p) => slopes[p])
        .map((p) => `${p} ${slopes[p]!.miBPer1000.toFixed(1)} MiB (r² ${Number.isFinite(slopes[p]!.r2) ? slopes[p]!.r2.toFixed(2) : '-'})`)
        .join(', ')}`,
    );
  }
  return lines;
}
