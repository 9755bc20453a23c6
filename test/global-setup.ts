/**
 * Starts what the integration tests run against, once per `jest` run: a Temporal dev server (in memory,
 * Parley's search attributes registered) and FerretDB on free ports, and bundles the workflow code once
 * so each test's worker starts in milliseconds. Set TEST_TEMPORAL_ADDRESS / TEST_MONGODB_URI to use
 * servers you run yourself.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_BUNDLER_OPTIONS } from '../worker/workflow-bundle';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTemporalTestServer, freePort, startFerretDb, startTemporal, type ManagedServer } from '../scripts/lib/infra';

declare global {
  var __PARLEY_SERVERS__: ManagedServer[] | undefined;
}

/** Starts a server, and once more on fresh ports if the first start fails (say, a port taken meanwhile). */
async function once<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    process.stderr.write(`\n[test] a server failed to start (${error instanceof Error ? error.message : String(error)}); trying again on other ports\n`);
    return start();
  }
}

export default async function globalSetup(): Promise<void> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-test-'));
  const servers: ManagedServer[] = [];
  globalThis.__PARLEY_SERVERS__ = servers;
  process.env.PARLEY_TEST_DIR = workDir;

  const started = Date.now();
  // jest runs no teardown when the set-up fails: stop whatever did start, so no server is left behind.
  const results = await Promise.allSettled([
    process.env.TEST_MONGODB_URI ??
      (async () => {
        const ferret = await once(async () => startFerretDb({ port: await freePort(), dataDir: path.join(workDir, 'ferretdb'), logFile: path.join(workDir, 'ferretdb.log') }));
        servers.push(ferret);
        return `mongodb://127.0.0.1:${ferret.port}`;
      })(),
    process.env.TEST_TEMPORAL_ADDRESS ??
      (async () => {
        const temporal = await once(async () => startTemporal({ port: await freePort(), logFile: path.join(workDir, 'temporal.log') }));
        servers.push(temporal);
        // Its HTTP API: what the outbound-policy test shows a tenant cannot reach.
        process.env.PARLEY_TEST_TEMPORAL_HTTP_PORT = String(temporal.otherPorts[0]);
        return temporal.address;
      })(),
  ]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(servers.map((server) => server.stop()));
    throw failed.reason;
  }
  const [mongoUri, temporalAddress] = results.map((r) => (r as PromiseFulfilledResult<string>).value) as [string, string];
  // Every port of the servers Parley runs on: the test stack's network policy refuses them to tenant
  // traffic, as production refuses Parley's own services (test/harness.ts; tenant servers listen on
  // test/tenant-ports.ts's allowlisted range instead).
  process.env.PARLEY_TEST_DENYLIST = servers.flatMap((server) => [server.port, ...server.otherPorts]).map((port) => `127.0.0.1:${port}`).join(',');
  // The durable-timer tests' time-skipping server (installed on first use, like the Temporal CLI).
  process.env.PARLEY_TEST_TIME_SKIPPING_SERVER = ensureTemporalTestServer();
  process.env.PARLEY_TEST_MONGODB_URI = mongoUri;
  process.env.PARLEY_TEST_TEMPORAL_ADDRESS = temporalAddress;

  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    ...WORKFLOW_BUNDLER_OPTIONS,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
  });
  const bundlePath = path.join(workDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);
  process.env.PARLEY_TEST_WORKFLOW_BUNDLE = bundlePath;
  process.stderr.write(`\n[test] servers up and workflows bundled in ${Date.now() - started} ms (${workDir})\n`);
}
