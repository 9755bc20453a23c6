/**
 * The sizing phase of `npm run bench` (BENCH_PHASES=sizing; issue 22): how many turns one worker core
 * serves, for a plain turn and a guided-flow turn, and what a turn costs the API, the Temporal server and
 * the database, for the README's "Running in production".
 *
 * The worker process is pinned to one CPU (`taskset -a -p -c`: every thread, so the workflow threads and
 * the SDK core's threads too; threads started later inherit it) while BENCH_SIZING_CONCURRENCY callers
 * (default 32) keep it as busy as the machine allows. After a warm-up, a steady window is measured: turns
 * completed in it, and each process's CPU time from /proc/<pid>/stat. The figure is turns per worker
 * CPU-second, which holds on a small, shared machine where the worker cannot have a core to itself (the
 * Temporal dev server, FerretDB, the API and the load generator share the others); the cores the worker
 * kept busy are printed beside it, so a reader sees how close to saturation it ran. The machine's own
 * busy time (/proc/stat) is printed too: what is not Parley's is other work on the machine.
 *
 * Settings: BENCH_SIZING_CONCURRENCY (32), BENCH_SIZING_SECONDS (30, per window), BENCH_SIZING_WARMUP (5 s),
 * BENCH_SIZING_CPU (the last CPU), BENCH_ROUNDS (windows per kind, alternating kinds).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { addWindows, affinityMask, coresFor, machineCpuMs, sizingFigures, type CpuWindow, type SizingFigures } from './sizing-figures';

export interface SizingKind {
  kind: string;
  what: string;
  /** One turn, on the caller `loop`'s own conversation. */
  op: (loop: number) => Promise<void>;
}

export interface SizingResult {
  kind: string;
  what: string;
  window: CpuWindow;
  figures: SizingFigures;
  p50Ms: number;
  p95Ms: number;
  /** The machine's busy CPU over its total (all cores) during this kind's windows. */
  machineBusy: number;
  /** The part of that total the bench's own processes used: the rest of `machineBusy` is other work on the machine. */
  benchBusy: number;
}

export interface SizingReport {
  concurrency: number;
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  /** The CPU the worker was pinned to; undefined when taskset was not available. */
  pinnedCpu: number | undefined;
  cpus: number;
  results: SizingResult[];
}

export const sizingSettings = {
  concurrency: Number(process.env.BENCH_SIZING_CONCURRENCY ?? 32),
  seconds: Number(process.env.BENCH_SIZING_SECONDS ?? 30),
  warmupSeconds: Number(process.env.BENCH_SIZING_WARMUP ?? 5),
};

/** Pins every thread of `pid` to `cpu`; answers how to undo it, or undefined when taskset is missing or refused. */
export function pinToCpu({ pid, cpu, log }: { pid: number; cpu: number; log: (m: string) => void }): (() => void) | undefined {
  const current = spawnSync('taskset', ['-p', String(pid)], { encoding: 'utf8' });
  const mask = current.status === 0 ? affinityMask({ output: current.stdout }) : undefined;
  const pinned = mask ? spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' }) : undefined;
  if (!mask || pinned?.status !== 0) {
    log(`WARNING: could not pin the worker with taskset (${current.error?.message ?? pinned?.stderr?.trim() ?? current.stderr.trim()}); figures stay per CPU-second`);
    return undefined;
  }
  return () => void spawnSync('taskset', ['-a', '-p', mask, String(pid)]);
}

function machineNow(): { busyMs: number; totalMs: number } {
  try {
    return machineCpuMs({ stat: fs.readFileSync('/proc/stat', 'utf8') });
  } catch {
    return { busyMs: NaN, totalMs: NaN };
  }
}

/**
 * Runs `op` in `concurrency` loops without pause; after `warmupSeconds`, measures a window of `seconds`:
 * the turns completed in it and the CPU used in it. The loops run on across both edges of the window, so
 * neither a ramp-up nor a drain is in the figure.
 */
async function steadyWindow(options: {
  concurrency: number;
  warmupSeconds: number;
  seconds: number;
  op: (loop: number) => Promise<void>;
  cpuTimes: () => Record<string, number>;
}): Promise<{ window: CpuWindow; latenciesMs: number[]; machine: { busyMs: number; totalMs: number } }> {
  let windowStart = Infinity;
  let windowEnd = Infinity;
  let stop = false;
  const latenciesMs: number[] = [];
  const loops = Array.from({ length: options.concurrency }, async (_, i) => {
    try {
      while (!stop) {
        const t0 = performance.now();
        await options.op(i);
        const t1 = performance.now();
        if (t1 >= windowStart && t1 <= windowEnd) latenciesMs.push(t1 - t0);
      }
    } finally {
      stop = true; // one failing loop stops the others
    }
  });
  const sleep = (s: number) => new Promise((resolve) => setTimeout(resolve, s * 1000));
  const edges = (async () => {
    await sleep(options.warmupSeconds);
    const cpuBefore = options.cpuTimes();
    const machineBefore = machineNow();
    windowStart = performance.now();
    await sleep(options.seconds);
    windowEnd = performance.now();
    const cpuAfter = options.cpuTimes();
    const machineAfter = machineNow();
    stop = true;
    const cpuMs = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, cpuAfter[k]! - (cpuBefore[k] ?? 0)]));
    return { cpuMs, machine: { busyMs: machineAfter.busyMs - machineBefore.busyMs, totalMs: machineAfter.totalMs - machineBefore.totalMs } };
  })();
  // A failing turn ends the phase with its error (the edges' timer then finds the loops stopped).
  const [{ cpuMs, machine }] = await Promise.all([edges, Promise.all(loops)]);
  return { window: { turns: latenciesMs.length, seconds: (windowEnd - windowStart) / 1000, cpuMs }, latenciesMs, machine };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Runs the sizing phase: the worker pinned, `rounds` windows of each kind, alternating, then the pin undone. */
export async function runSizing(options: {
  kinds: SizingKind[];
  workerPid: number;
  rounds: number;
  cpuTimes: () => Record<string, number>;
  log: (m: string) => void;
  cpus: number;
}): Promise<SizingReport> {
  const { concurrency, seconds, warmupSeconds } = sizingSettings;
  const cpu = process.env.BENCH_SIZING_CPU !== undefined ? Number(process.env.BENCH_SIZING_CPU) : options.cpus - 1;
  const unpin = pinToCpu({ pid: options.workerPid, cpu, log: options.log });
  const measured = new Map<string, { windows: CpuWindow[]; latencies: number[]; busyMs: number; totalMs: number }>();
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const { kind, what, op } of options.kinds) {
        options.log(`sizing, round ${round}/${options.rounds}: ${what}, ${concurrency} concurrent, worker ${unpin ? `on CPU ${cpu}` : 'not pinned'} (${warmupSeconds} s warm-up, ${seconds} s window) ...`);
        const { window, latenciesMs, machine } = await steadyWindow({ concurrency, warmupSeconds, seconds, op, cpuTimes: options.cpuTimes });
        const m = measured.get(kind) ?? { windows: [], latencies: [], busyMs: 0, totalMs: 0 };
        m.windows.push(window);
        m.latencies.push(...latenciesMs);
        m.busyMs += machine.busyMs;
        m.totalMs += machine.totalMs;
        measured.set(kind, m);
      }
    }
  } finally {
    unpin?.();
  }
  const results = options.kinds.map(({ kind, what }) => {
    const m = measured.get(kind)!;
    const window = addWindows({ windows: m.windows });
    const sorted = [...m.latencies].sort((a, b) => a - b);
    const benchMs = Object.values(window.cpuMs).reduce((a, b) => a + b, 0);
    return { kind, what, window, figures: sizingFigures({ window }), p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95), machineBusy: m.busyMs / m.totalMs, benchBusy: benchMs / m.totalMs };
  });
  return { concurrency, seconds, warmupSeconds, rounds: options.rounds, pinnedCpu: unpin ? cpu : undefined, cpus: options.cpus, results };
}

/** The processes a turn costs CPU in, in the order the table shows them. */
const PROCESSES = ['worker', 'api', 'temporal', 'ferretdb', 'load generator'] as const;
/** A worked example's rate, in turns per second. */
const EXAMPLE_RATE = 50;

export function formatSizing(report: SizingReport): string[] {
  const f = (n: number | undefined, digits = 1): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));
  const lines = [
    `Sizing: the worker ${report.pinnedCpu !== undefined ? `pinned to CPU ${report.pinnedCpu} of ${report.cpus} (taskset)` : `not pinned (taskset unavailable), ${report.cpus} CPUs`}; ${report.concurrency} concurrent callers; ` +
      `${report.rounds} x ${report.seconds} s steady windows per kind after ${report.warmupSeconds} s warm-ups; CPU from /proc/<pid>/stat`,
    `kind                 turns/s  p50 ms  p95 ms  machine busy (bench)  worker cores busy  turns per worker CPU-s   CPU ms per turn: ${PROCESSES.join(' / ')}`,
  ];
  for (const r of report.results) {
    const g = r.figures;
    lines.push(
      `${r.what.padEnd(19)} ${f(g.turnsPerSecond).padStart(8)} ${f(r.p50Ms).padStart(7)} ${f(r.p95Ms).padStart(7)} ${`${f(r.machineBusy * 100, 0)}% (${f(r.benchBusy * 100, 0)}%)`.padStart(21)} ${f(g.coresBusy.worker, 2).padStart(18)} ${f(g.turnsPerCpuSecond.worker).padStart(23)}   ` +
        PROCESSES.map((p) => f(g.cpuMsPerTurn[p], 2)).join(' / '),
    );
  }
  lines.push('', 'Turns per CPU-second of each process (what one core of it serves when it is the bottleneck; the Temporal dev server on SQLite and FerretDB are not a production cluster):');
  for (const r of report.results) {
    lines.push(`  ${r.what.padEnd(19)} ${PROCESSES.filter((p) => p !== 'load generator').map((p) => `${p} ${f(r.figures.turnsPerCpuSecond[p], 0)}`).join(', ')}`);
  }
  lines.push('', `Cores for ${EXAMPLE_RATE} turns/s with each core at most 70% busy:`);
  for (const r of report.results) {
    lines.push(`  ${r.what.padEnd(19)} ${PROCESSES.filter((p) => p !== 'load generator').map((p) => `${p} ${coresFor({ turnsPerSecond: EXAMPLE_RATE, turnsPerCpuSecond: r.figures.turnsPerCpuSecond[p] ?? NaN })}`).join(', ')}`);
  }
  const unsaturated = report.results.filter((r) => (r.figures.coresBusy.worker ?? 0) < 0.9);
  if (unsaturated.length > 0) {
    lines.push(
      `Note: the worker kept ${unsaturated.map((r) => `${f(r.figures.coresBusy.worker, 2)} of its core busy (${r.what})`).join(', ')}: the rest of the machine, not the worker, set the pace; ` +
        'turns per worker CPU-second takes its CPU per turn at this load to hold at saturation.',
    );
  }
  return lines;
}
