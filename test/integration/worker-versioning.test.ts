/**
 * Upgrades without breaking running conversations (issue 22, item 4): Worker Deployment Versioning
 * against a real Temporal dev server, asserted on what Temporal reports (a workflow's versioning info,
 * the build id on each completed workflow task, a deployment version's drainage), never on logs.
 *
 * Turning versioning on: a conversation begun on an unversioned worker moves to build A once A is made
 * current with the Temporal CLI (the README's commands). Then an upgrade: a conversation
 * takes a turn on it, and an endpoint test (a PINNED workflow) is held open on A by a tenant that has not
 * answered yet. Build B starts and is made current. Then: a new conversation runs on B; the existing one
 * (AUTO_UPGRADE) moves to B at its next task, still answers, and its next API action runs on B (an action
 * run, started eagerly by the worker, AUTO_UPGRADE too); the endpoint test stays on A until it
 * completes, while Temporal reports version A DRAINING, then DRAINED once it has.
 *
 * A dev server of its own, because Temporal re-checks a draining version's open pinned runs every
 * 3 minutes after a 3-minute grace period by default; the two settings below make that a second.
 */
import type { Client } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { createOutboundNetwork } from '../../activities/http/network';
import { SecretBox } from '../../models/secret-box';
import { ensureTemporalCli, freePort, startTemporal, type ManagedServer } from '../../scripts/lib/infra';
import { createWorker } from '../../worker/create-worker';
import { deploymentVersionFrom } from '../../worker/versioning';
import { eventually, publishedFlowBot, signUp, startStack, testEnv, type Http, type Stack } from '../harness';
import { TENANT_ALLOWLIST, listenTenantUrl } from '../tenant-ports';

const run = promisify(execFile);

const FLOWS = {
  flows: [
    {
      id: 'booking',
      name: 'Book',
      trigger: { keywords: ['book'] },
      startBlockId: 'name',
      blocks: [
        { id: 'name', type: 'ask', question: 'Name?', variable: 'name', answer: { type: 'text' }, next: 'day' },
        { id: 'day', type: 'ask', question: 'Which day, {{name}}?', variable: 'day', answer: { type: 'text' }, next: 'done' },
        { id: 'done', type: 'end', text: 'Booked {{day}} for {{name}}.' },
      ],
    },
    {
      id: 'slots',
      name: 'Slots',
      trigger: { keywords: ['slot'] },
      startBlockId: 'call',
      blocks: [
        { id: 'call', type: 'api_call', action: 'slots', outputs: { slot: 'first_slot' }, next: 'found', onFailure: 'failed' },
        { id: 'found', type: 'end', text: 'First slot {{slot}}.' },
        { id: 'failed', type: 'end', text: 'No slots.' },
      ],
    },
  ],
};

let temporalServer: ManagedServer;
let stack: Stack;
let api: Http;
let tenant: Server;
let tenantUrl: string;
/** Answers the tenant's held request (the endpoint test's call). */
let releaseTenant: () => void = () => undefined;
let tenantCalled: Promise<void>;
/** The endpoint test's HTTP call, answered once the tenant is. */
let endpointTest: Promise<unknown> | undefined;
const workers: { worker: Worker; running: Promise<void>; connection: NativeConnection }[] = [];
const deploymentName = `parley-test-${process.pid}`;
// As worker/main.ts reads them: WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID.
const buildA = deploymentVersionFrom({ WORKER_DEPLOYMENT_NAME: deploymentName, WORKER_BUILD_ID: 'build-a' })!;
const buildB = deploymentVersionFrom({ WORKER_DEPLOYMENT_NAME: deploymentName, WORKER_BUILD_ID: 'build-b' })!;

/** Runs the Temporal CLI against this test's server; JSON output parsed. */
async function temporal(...args: string[]): Promise<any> {
  const { stdout } = await run(ensureTemporalCli(), [...args, '--address', stack.temporalAddress, '--output', 'json'], { encoding: 'utf8' });
  return stdout.trim() ? JSON.parse(stdout) : undefined;
}

/** A worker of `version`, in this process, on the stack's task queue and database. */
async function startVersionedWorker(version: WorkerDeploymentVersion): Promise<Worker> {
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const worker = await createWorker({
    connection,
    db: stack.db,
    secrets: new SecretBox(stack.secretKeys),
    http: { network: createOutboundNetwork(stack.deps.config.outbound) },
    taskQueue: stack.taskQueue,
    workflowBundlePath: testEnv('PARLEY_TEST_WORKFLOW_BUNDLE'),
    deploymentVersion: version,
  });
  workers.push({ worker, running: worker.run(), connection });
  return worker;
}

/** `temporal worker deployment set-current-version`, once the version's workers poll (the CLI refuses a version without pollers). */
async function makeCurrent(version: WorkerDeploymentVersion): Promise<void> {
  await eventually(
    async () => {
      try {
        await temporal('worker', 'deployment', 'set-current-version', '--deployment-name', version.deploymentName, '--build-id', version.buildId, '--yes');
        return true;
      } catch {
        return false;
      }
    },
    30_000,
    `${version.buildId} to become current`,
  );
}

/** What Temporal reports about a workflow's version: its behaviour and the version its tasks go to. */
async function versioningOf(client: Client, workflowId: string): Promise<{ behavior: string | undefined; buildId: string | undefined }> {
  const { raw } = await client.workflow.getHandle(workflowId).describe();
  const info = raw.workflowExecutionInfo?.versioningInfo;
  const behaviors: Record<number, string> = { 1: 'PINNED', 2: 'AUTO_UPGRADE' };
  return { behavior: info?.behavior ? behaviors[info.behavior] : undefined, buildId: info?.deploymentVersion?.buildId ?? undefined };
}

/** The build id that completed each workflow task, in history order. */
async function taskBuildIds(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const completed = event.workflowTaskCompletedEventAttributes;
    return completed ? [completed.deploymentVersion?.buildId ?? '(unversioned)'] : [];
  });
}

/** Version `version`'s drainage as `temporal worker deployment describe-version` reports it: the status, and when Temporal last checked it. */
async function drainageInfo(version: WorkerDeploymentVersion): Promise<{ status?: string; checkedAt: number }> {
  const described = await temporal('worker', 'deployment', 'describe-version', '--deployment-name', version.deploymentName, '--build-id', version.buildId);
  return { status: described?.drainageInfo?.drainageStatus, checkedAt: Date.parse(described?.drainageInfo?.lastCheckedTime ?? '') || 0 };
}
const drainage = async (version: WorkerDeploymentVersion): Promise<string | undefined> => (await drainageInfo(version)).status;

beforeAll(async () => {
  temporalServer = await startTemporal({
    port: await freePort(),
    logFile: path.join(testEnv('PARLEY_TEST_DIR'), `temporal-versioning-${process.pid}.log`),
    dynamicConfig: { 'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '1s', 'matching.wv.VersionDrainageStatusRefreshInterval': '1s' },
  });
  stack = await startStack({ temporalAddress: temporalServer.address, withoutWorker: true, api: { OUTBOUND_ALLOWLIST: TENANT_ALLOWLIST } });
  ({ api } = await signUp(stack.baseUrl));
  // The tenant behind the endpoint test: it answers only when the test says so.
  tenantCalled = new Promise((called) => {
    tenant = createServer((req, res) => {
      if (req.url?.startsWith('/slots')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"first_slot":"09:00"}');
      called();
      releaseTenant = () => {
        if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      };
    });
  });
  tenantUrl = await listenTenantUrl(tenant);
});

afterAll(async () => {
  try {
    // The endpoint test's request ends before the workers stop (the API's server waits for it to close).
    releaseTenant();
    await endpointTest?.catch(() => undefined);
    for (const { worker, running, connection } of workers) {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
    }
    await stack?.stop();
    tenant?.closeAllConnections();
    await new Promise((resolve) => tenant?.close(resolve));
  } finally {
    await temporalServer?.stop();
  }
});

describe('worker versioning', () => {
  let connection: string;
  let botId: string;
  beforeAll(async () => {
    connection = (await api.post('/v1/connections', { name: 'Tenant', baseUrl: tenantUrl, auth: { type: 'none' }, allowPrivateNetwork: true, timeoutMs: 60_000 })).body.connection.id as string;
    const slots = (await api.post(`/v1/connections/${connection}/endpoints`, { name: 'Slots', method: 'GET', path: '/slots', responseFields: [{ name: 'first_slot', path: '$.first_slot' }] })).body.endpoint.id as string;
    expect((await api.post('/v1/actions', { id: 'slots', name: 'First slot', steps: [{ id: 'get', endpointId: slots }] })).status).toBe(201);
    botId = await publishedFlowBot(api, FLOWS, { name: 'Versioned bot' });
  });

  // The two tests run in order: the first makes build A current, the second upgrades from it.
  it('moves the runs of unversioned workers to the first versioned build made current (turning versioning on)', async () => {
    await stack.startWorker();
    const start = await api.post('/v1/conversations', { botId, externalUserId: 'v0', message: { type: 'text', text: 'book' } });
    expect(start.body.replies.map((r: { text: string }) => r.text)).toContain('Name?');
    const id = `conversation-${start.body.conversation.id as string}`;
    expect(await versioningOf(stack.temporal, id)).toEqual({ behavior: undefined, buildId: undefined });

    await startVersionedWorker(buildA);
    await makeCurrent(buildA);
    await stack.stopWorker();
    const turn = await api.post(`/v1/conversations/${start.body.conversation.id as string}/messages`, { message: { type: 'text', text: 'Grace' } });
    expect(turn.body.replies.map((r: { text: string }) => r.text)).toEqual(['Which day, Grace?']);
    // Begun unversioned, it states no behaviour of its own: the versioned worker's default, AUTO_UPGRADE.
    expect(await versioningOf(stack.temporal, id)).toEqual({ behavior: 'AUTO_UPGRADE', buildId: 'build-a' });
    const tasks = await taskBuildIds(stack.temporal, id);
    expect([tasks[0], tasks.at(-1)]).toEqual(['(unversioned)', 'build-a']);
  });

  it('moves conversations to the new build, keeps pinned runs on the old one until they finish, and reports the old one drained', async () => {
    // A conversation on A takes a turn.
    const first = await api.post('/v1/conversations', { botId, externalUserId: 'v1', message: { type: 'text', text: 'I want to book' } });
    expect(first.status).toBe(201);
    expect(first.body.replies.map((r: { text: string }) => r.text)).toContain('Name?');
    const firstId = `conversation-${first.body.conversation.id as string}`;
    expect(await versioningOf(stack.temporal, firstId)).toEqual({ behavior: 'AUTO_UPGRADE', buildId: 'build-a' });

    // A PINNED run on A, held open by its tenant.
    const endpoint = (await api.post(`/v1/connections/${connection}/endpoints`, { name: 'Slow', method: 'GET', path: '/slow', parameters: [] })).body.endpoint.id as string;
    endpointTest = api.post(`/v1/connections/${connection}/endpoints/${endpoint}/test`, { values: {} });
    await tenantCalled;
    const pinnedId = await eventually(async () => {
      for await (const run of stack.temporal.workflow.list({ query: `WorkflowType = 'endpointTestWorkflow'` })) return run.workflowId;
      return undefined;
    }, 20_000, 'the endpoint test to be listed');
    expect(await versioningOf(stack.temporal, pinnedId)).toEqual({ behavior: 'PINNED', buildId: 'build-a' });

    // Build B starts and becomes current; A is no longer current but still has a pinned run open.
    await startVersionedWorker(buildB);
    await makeCurrent(buildB);
    const switchedAt = Date.now();
    const deployment = await temporal('worker', 'deployment', 'describe', '--name', deploymentName);
    expect(deployment.routingConfig).toMatchObject({ currentVersionDeploymentName: deploymentName, currentVersionBuildID: 'build-b' });
    expect(await eventually(async () => ((await drainage(buildA)) === 'draining' ? 'draining' : undefined), 20_000, 'version A to be draining')).toBe('draining');

    // (a) New conversations run on B.
    const second = await api.post('/v1/conversations', { botId, externalUserId: 'v2', message: { type: 'text', text: 'book please' } });
    expect(second.status).toBe(201);
    expect(await versioningOf(stack.temporal, `conversation-${second.body.conversation.id as string}`)).toEqual({ behavior: 'AUTO_UPGRADE', buildId: 'build-b' });

    // (b) The conversation begun on A moves to B at its next task, and answers from its state.
    const turn = await api.post(`/v1/conversations/${first.body.conversation.id as string}/messages`, { message: { type: 'text', text: 'Ada' } });
    expect(turn.status).toBe(200);
    expect(turn.body.replies.map((r: { text: string }) => r.text)).toEqual(['Which day, Ada?']);
    expect(await versioningOf(stack.temporal, firstId)).toEqual({ behavior: 'AUTO_UPGRADE', buildId: 'build-b' });
    const firstTasks = await taskBuildIds(stack.temporal, firstId);
    expect(firstTasks[0]).toBe('build-a');
    expect(firstTasks.at(-1)).toBe('build-b');
    // It finishes the flow, then calls an API action: the action run (started eagerly by the worker) is B's too.
    const say = async (text: string): Promise<string[]> =>
      (await api.post(`/v1/conversations/${first.body.conversation.id as string}/messages`, { message: { type: 'text', text } })).body.replies.map((r: { text: string }) => r.text);
    expect(await say('Monday')).toEqual(['Booked Monday for Ada.']);
    expect(await say('any slot?')).toEqual(['First slot 09:00.']);
    const actionRuns: string[] = [];
    for await (const run of stack.temporal.workflow.list({ query: `WorkflowType = 'actionRunWorkflow'` })) actionRuns.push(run.workflowId);
    expect(actionRuns).toHaveLength(1);
    expect(await versioningOf(stack.temporal, actionRuns[0]!)).toEqual({ behavior: 'AUTO_UPGRADE', buildId: 'build-b' });

    // (c) The pinned run is still on A; answered, it completes there, and A drains.
    expect(await versioningOf(stack.temporal, pinnedId)).toEqual({ behavior: 'PINNED', buildId: 'build-a' });
    // Still draining when Temporal has looked for open pinned runs after the switch and its grace period
    // (1 s here): it found this one. Without it, A would be drained by now.
    const checked = await eventually(async () => {
      const info = await drainageInfo(buildA);
      return info.checkedAt > switchedAt + 1_500 ? info : undefined;
    }, 20_000, 'Temporal to check version A for open pinned runs');
    expect(checked.status).toBe('draining');
    releaseTenant();
    expect(((await endpointTest) as { status: number }).status).toBe(200);
    expect(new Set(await taskBuildIds(stack.temporal, pinnedId))).toEqual(new Set(['build-a']));
    expect(await eventually(async () => ((await drainage(buildA)) === 'drained' ? 'drained' : undefined), 30_000, 'version A to be drained')).toBe('drained');
  });
});
