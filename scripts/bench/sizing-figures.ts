/**
 * The arithmetic of the bench's sizing figures (scripts/bench/sizing.ts, README "Running in production"):
 * turns per CPU-second of each process from a measured window, memory per 1,000 open conversations from
 * the live-conversation levels (a least-squares line, so one noisy level does not decide it), and how many
 * cores a target rate needs. Pure, so the figures the README quotes are computed, not typed.
 */

/** What was measured over one steady window. */
export interface CpuWindow {
  /** Turns completed inside the window. */
  turns: number;
  /** The window's length in seconds. */
  seconds: number;
  /** CPU milliseconds each process used inside the window (utime + stime). */
  cpuMs: Record<string, number>;
}

export interface SizingFigures {
  turnsPerSecond: number;
  /** CPU milliseconds per turn, per process. */
  cpuMsPerTurn: Record<string, number>;
  /**
   * Turns per CPU-second, per process: the turns one core of that process serves when it is the
   * bottleneck (the work per turn taken as constant; NaN for a process that used no CPU).
   */
  turnsPerCpuSecond: Record<string, number>;
  /** Cores each process kept busy during the window (CPU seconds per second): near 1 for a saturated pinned process. */
  coresBusy: Record<string, number>;
}

/** Adds windows (several rounds of one kind) into one: turns, seconds and CPU summed. */
export function addWindows({ windows }: { windows: readonly CpuWindow[] }): CpuWindow {
  const cpuMs: Record<string, number> = {};
  for (const w of windows) for (const [name, ms] of Object.entries(w.cpuMs)) cpuMs[name] = (cpuMs[name] ?? 0) + ms;
  return { turns: windows.reduce((n, w) => n + w.turns, 0), seconds: windows.reduce((n, w) => n + w.seconds, 0), cpuMs };
}

export function sizingFigures({ window }: { window: CpuWindow }): SizingFigures {
  const { turns, seconds, cpuMs } = window;
  const cpuMsPerTurn: Record<string, number> = {};
  const turnsPerCpuSecond: Record<string, number> = {};
  const coresBusy: Record<string, number> = {};
  for (const [name, ms] of Object.entries(cpuMs)) {
    cpuMsPerTurn[name] = turns > 0 ? ms / turns : NaN;
    turnsPerCpuSecond[name] = ms > 0 ? turns / (ms / 1000) : NaN;
    coresBusy[name] = seconds > 0 ? ms / 1000 / seconds : NaN;
  }
  return { turnsPerSecond: seconds > 0 ? turns / seconds : NaN, cpuMsPerTurn, turnsPerCpuSecond, coresBusy };
}

export interface Line {
  slope: number;
  intercept: number;
  /** Coefficient of determination: 1 when every point is on the line; NaN when every y is equal. */
  r2: number;
}

/** The least-squares line through the points; undefined with fewer than two distinct x. */
export function leastSquares({ points }: { points: readonly { x: number; y: number }[] }): Line | undefined {
  const usable = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const n = usable.length;
  if (n < 2) return undefined;
  const meanX = usable.reduce((s, p) => s + p.x, 0) / n;
  const meanY = usable.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of usable) {
    sxx += (p.x - meanX) ** 2;
    sxy += (p.x - meanX) * (p.y - meanY);
    syy += (p.y - meanY) ** 2;
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  return { slope, intercept: meanY - slope * meanX, r2: syy === 0 ? NaN : (sxy * sxy) / (sxx * syy) };
}

export interface MemorySlope {
  /** MiB more resident memory per 1,000 more open conversations. */
  miBPer1000: number;
  r2: number;
  /** How many levels the line was fitted to. */
  levels: number;
}

/** Per process: the least-squares slope of RSS (MiB) against open conversations, per 1,000 conversations. */
export function memorySlopes({ levels }: { levels: readonly { live: number; rssMiB: Record<string, number> }[] }): Record<string, MemorySlope> {
  const names = [...new Set(levels.flatMap((l) => Object.keys(l.rssMiB)))];
  const slopes: Record<string, MemorySlope> = {};
  for (const name of names) {
    const points = levels.map((l) => ({ x: l.live, y: l.rssMiB[name] ?? NaN }));
    const line = leastSquares({ points });
    if (line) slopes[name] = { miBPer1000: line.slope * 1000, r2: line.r2, levels: points.filter((p) => Number.isFinite(p.y)).length };
  }
  return slopes;
}

/**
 * Cores (rounded up) a process needs for `turnsPerSecond` when one of its cores serves
 * `turnsPerCpuSecond`, kept at `utilization` (0.7: room for bursts, GC and a replica lost).
 */
export function coresFor({ turnsPerSecond, turnsPerCpuSecond, utilization = 0.7 }: { turnsPerSecond: number; turnsPerCpuSecond: number; utilization?: number }): number {
  if (!(turnsPerCpuSecond > 0) || !(utilization > 0)) return NaN;
  return Math.ceil(turnsPerSecond / (turnsPerCpuSecond * utilization) - 1e-9);
}

/** CPU milliseconds (utime + stime) from the text of /proc/<pid>/stat; 100 clock ticks per second, Linux's USER_HZ. */
export function processCpuMs({ stat }: { stat: string }): number {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat, so 12th and 13th after the name.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Busy and total CPU milliseconds of the whole machine (all cores), from the first line of /proc/stat. */
export function machineCpuMs({ stat }: { stat: string }): { busyMs: number; totalMs: number } {
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return { busyMs: NaN, totalMs: NaN };
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((s, t) => s + t, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busyMs: (total - idle) * 10, totalMs: total * 10 };
}

/** The hexadecimal mask in `taskset -p <pid>`'s answer ("pid 42's current affinity mask: 3"). */
export function affinityMask({ output }: { output: string }): string | undefined {
  return /affinity mask:\s*([0-9a-fA-F,]+)/.exec(output)?.[1];
}
