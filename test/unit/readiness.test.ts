/**
 * The probes Kubernetes uses (deploy/helm/parley): the API's `GET /ready` answers 200 only while Temporal
 * and MongoDB both answer, 503 naming the one that did not (a failure or a hang past the deadline), and
 * shares one check among the requests of a second; the worker's metrics server answers `GET /healthz`
 * always and `GET /ready` only while a worker runs, without the metrics token.
 */
import type { Client } from '@temporalio/client';
import express from 'express';
import type { Connection as MongoConnection } from 'mongoose';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { errorHandler } from '../../api/errors';
import { readinessCheck, readyRoute } from '../../api/readiness';
import { createWorkerMetrics, serveMetrics } from '../../worker/metrics';

type Behaviour = 'ok' | 'fail' | 'hang';
const act = (b: Behaviour): Promise<unknown> => (b === 'ok' ? Promise.resolve({}) : b === 'fail' ? Promise.reject(new Error('down')) : new Promise(() => undefined));

function fakes(state: { temporal: Behaviour; mongo: Behaviour; connected?: boolean }) {
  const calls = { temporal: 0, mongo: 0 };
  const temporal = {
    connection: { withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn() },
    workflowService: {
      getSystemInfo: () => {
        calls.temporal += 1;
        return act(state.temporal);
      },
    },
  } as unknown as Client;
  const db = {
    get readyState() {
      return state.connected === false ? 0 : 1;
    },
    db: {
      admin: () => ({
        ping: () => {
          calls.mongo += 1;
          return act(state.mongo);
        },
      }),
    },
  } as unknown as MongoConnection;
  return { temporal, db, calls };
}

async function listen(app: express.Express): Promise<{ base: string; server: Server }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('API GET /ready', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });
  const serve = async (state: Parameters<typeof fakes>[0], options = { timeoutMs: 100, cacheMs: 0 }) => {
    const f = fakes(state);
    const app = express();
    app.get('/ready', readyRoute(readinessCheck({ temporal: f.temporal, db: f.db }, options)));
    app.use(errorHandler(() => undefined));
    const { base, server } = await listen(app);
    servers.push(server);
    return { base, calls: f.calls };
  };

  it('is 200 when Temporal and MongoDB both answer', async () => {
    const { base } = await serve({ temporal: 'ok', mongo: 'ok' });
    const res = await fetch(`${base}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', temporal: 'ok', mongodb: 'ok' });
  });

  it.each([
    [{ temporal: 'fail', mongo: 'ok' }, { temporal: 'unavailable', mongodb: 'ok' }, /^Temporal did not answer/],
    [{ temporal: 'hang', mongo: 'ok' }, { temporal: 'unavailable', mongodb: 'ok' }, /^Temporal did not answer/],
    [{ temporal: 'ok', mongo: 'fail' }, { temporal: 'ok', mongodb: 'unavailable' }, /^MongoDB did not answer/],
    [{ temporal: 'ok', mongo: 'hang' }, { temporal: 'ok', mongodb: 'unavailable' }, /^MongoDB did not answer/],
    [{ temporal: 'ok', mongo: 'ok', connected: false }, { temporal: 'ok', mongodb: 'unavailable' }, /^MongoDB did not answer/],
    [{ temporal: 'hang', mongo: 'fail' }, { temporal: 'unavailable', mongodb: 'unavailable' }, /^Temporal and MongoDB did not answer/],
  ] as const)('is 503 not_ready when one does not answer (%j)', async (state, details, message) => {
    const { base } = await serve(state);
    const started = Date.now();
    const res = await fetch(`${base}/ready`);
    expect(Date.now() - started).toBeLessThan(2000); // a hung backend costs the deadline, not the probe's timeout
    expect(res.status).toBe(503);
    const body = (await res.json()) as { code: string; message: string; details: unknown };
    expect(body.code).toBe('not_ready');
    expect(body.message).toMatch(message);
    expect(body.details).toEqual(details);
  });

  it('shares one check among the requests of the cache window', async () => {
    const { base, calls } = await serve({ temporal: 'ok', mongo: 'ok' }, { timeoutMs: 100, cacheMs: 60_000 });
    const answers = await Promise.all(Array.from({ length: 10 }, () => fetch(`${base}/ready`).then((r) => r.status)));
    expect(answers).toEqual(Array(10).fill(200));
    expect(calls).toEqual({ temporal: 1, mongo: 1 });
  });
});

describe('worker probes on the metrics port', () => {
  it('answers /healthz always and /ready while a worker runs, without the metrics token', async () => {
    const metrics = createWorkerMetrics();
    const server = await serveMetrics({ registry: metrics.registry, port: 0, host: '127.0.0.1', token: 'metrics-token-0123456789' });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const before = await fetch(`${base}/ready`);
      expect(before.status).toBe(503);
      expect(await before.json()).toMatchObject({ code: 'not_ready' });
      metrics.workersRunning.inc();
      const during = await fetch(`${base}/ready`);
      expect(during.status).toBe(200);
      expect(await during.json()).toEqual({ status: 'ok', workers: 1 });
      metrics.workersRunning.dec();
      expect((await fetch(`${base}/ready`)).status).toBe(503);
      // The metrics themselves still need the token.
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/ready`, { method: 'POST' })).status).toBe(404);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
