import { addWindows, affinityMask, coresFor, leastSquares, machineCpuMs, memorySlopes, processCpuMs, sizingFigures } from './sizing-figures';

describe('sizingFigures', () => {
  it('gives turns per second, CPU ms per turn, turns per CPU-second and cores busy per process', () => {
    const figures = sizingFigures({ window: { turns: 600, seconds: 20, cpuMs: { worker: 12_000, api: 6_000 } } });
    expect(figures.turnsPerSecond).toBe(30);
    expect(figures.cpuMsPerTurn).toEqual({ worker: 20, api: 10 });
    expect(figures.turnsPerCpuSecond).toEqual({ worker: 50, api: 100 });
    expect(figures.coresBusy).toEqual({ worker: 0.6, api: 0.3 });
  });

  it('answers NaN rather than Infinity for a process that used no CPU, and for a window without turns', () => {
    expect(sizingFigures({ window: { turns: 10, seconds: 1, cpuMs: { idle: 0 } } }).turnsPerCpuSecond.idle).toBeNaN();
    expect(sizingFigures({ window: { turns: 0, seconds: 1, cpuMs: { worker: 5 } } }).cpuMsPerTurn.worker).toBeNaN();
  });
});

describe('addWindows', () => {
  it('sums turns, seconds and each process\'s CPU, keeping a process only one window saw', () => {
    const sum = addWindows({ windows: [{ turns: 10, seconds: 2, cpuMs: { worker: 100 } }, { turns: 30, seconds: 3, cpuMs: { worker: 200, api: 50 } }] });
    expect(sum).toEqual({ turns: 40, seconds: 5, cpuMs: { worker: 300, api: 50 } });
  });
});

describe('leastSquares', () => {
  it('fits a straight line exactly, r² 1', () => {
    expect(leastSquares({ points: [{ x: 0, y: 100 }, { x: 500, y: 150 }, { x: 1000, y: 200 }] })).toEqual({ slope: 0.1, intercept: 100, r2: 1 });
  });

  it('fits noisy points by least squares, not by their ends', () => {
    // Its ends alone would give (130 - 100) / 3 = 10 per step.
    const line = leastSquares({ points: [{ x: 0, y: 100 }, { x: 1, y: 130 }, { x: 2, y: 130 }, { x: 3, y: 130 }] })!;
    expect(line.slope).toBeCloseTo(9, 10); // sxy / sxx = 45 / 5
    expect(line.intercept).toBeCloseTo(109, 10);
    expect(line.r2).toBeCloseTo(0.6, 10); // sxy² / (sxx · syy) = 2025 / (5 · 675)
  });

  it('ignores points that are not numbers', () => {
    expect(leastSquares({ points: [{ x: 0, y: 1 }, { x: 1, y: NaN }, { x: 2, y: 5 }] })!.slope).toBe(2);
  });

  it('answers undefined with fewer than two distinct x', () => {
    expect(leastSquares({ points: [{ x: 1, y: 1 }] })).toBeUndefined();
    expect(leastSquares({ points: [{ x: 1, y: 1 }, { x: 1, y: 3 }] })).toBeUndefined();
  });

  it('gives a flat line r² NaN (nothing to explain)', () => {
    const line = leastSquares({ points: [{ x: 0, y: 7 }, { x: 1, y: 7 }] })!;
    expect(line.slope).toBe(0);
    expect(line.r2).toBeNaN();
  });
});

describe('memorySlopes', () => {
  it('gives MiB per 1,000 open conversations per process from the live levels', () => {
    const levels = [
      { live: 0, rssMiB: { worker: 200, api: 120 } },
      { live: 250, rssMiB: { worker: 222.5, api: 121 } },
      { live: 500, rssMiB: { worker: 245, api: 119 } },
      { live: 1000, rssMiB: { worker: 290, api: 120 } },
    ];
    const slopes = memorySlopes({ levels });
    expect(slopes.worker!.miBPer1000).toBeCloseTo(90, 10);
    expect(slopes.worker!.r2).toBeCloseTo(1, 10);
    expect(slopes.worker!.levels).toBe(4);
    expect(Math.abs(slopes.api!.miBPer1000)).toBeLessThan(2);
  });

  it('leaves out a process with one level only', () => {
    expect(memorySlopes({ levels: [{ live: 0, rssMiB: { worker: 1 } }] })).toEqual({});
  });
});

describe('coresFor', () => {
  it('rounds up the cores a rate needs at the given utilization', () => {
    // 50 turns/s at 40 per core-second, each core at most 70% busy: 50 / 28 = 1.79 -> 2.
    expect(coresFor({ turnsPerSecond: 50, turnsPerCpuSecond: 40 })).toBe(2);
    expect(coresFor({ turnsPerSecond: 50, turnsPerCpuSecond: 40, utilization: 0.5 })).toBe(3);
  });

  it('does not add a core for a rate that fits exactly', () => {
    expect(coresFor({ turnsPerSecond: 70, turnsPerCpuSecond: 100, utilization: 0.7 })).toBe(1);
  });

  it('answers NaN without a measured rate', () => {
    expect(coresFor({ turnsPerSecond: 50, turnsPerCpuSecond: NaN })).toBeNaN();
  });
});

describe('processCpuMs', () => {
  it('reads utime + stime (ticks of 10 ms) after the command name, even one with spaces and parentheses', () => {
    const stat = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 11 0 100 1000000 5000';
    expect(processCpuMs({ stat })).toBe(3000);
  });
});

describe('machineCpuMs', () => {
  it('counts busy as everything but idle and iowait, over all cores', () => {
    const stat = 'cpu  100 10 40 800 50 0 0 0 0 0\ncpu0 50 5 20 400 25 0 0 0 0 0\n';
    expect(machineCpuMs({ stat })).toEqual({ busyMs: 1500, totalMs: 10_000 });
  });
});

describe('affinityMask', () => {
  it('reads the mask from taskset -p', () => {
    expect(affinityMask({ output: "pid 4242's current affinity mask: 3\n" })).toBe('3');
    expect(affinityMask({ output: 'taskset: failed' })).toBeUndefined();
  });
});
