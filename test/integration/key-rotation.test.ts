/**
 * Key rotation that finishes (`npm run rotate-keys`, workflows/rotate-secrets.ts): a deployment seals
 * everything under k1; its API instances and workers then get "k2,k1"; the command re-seals every stored
 * secret under k2; and with k1 removed ("k2" alone) everything still works through the real API and
 * worker: Test Connection sends the credentials, a webhook arrives signed with its secret, the bot's
 * provider key reaches the model server, a website's signed visitor identity is accepted. A value no key
 * opens is reported by id and does not stop the rotation; a second run re-seals nothing.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import { SignJWT } from 'jose';
import { Webhook } from 'standardwebhooks';
import type { mongo } from 'mongoose';
import { compareAndSet, detectCompareAndSetMode, type CompareAndSetMode } from '../../activities/rotate-secrets';
import { botModels } from '../../models/bot.model';
import { connectionModels } from '../../models/connection.model';
import { SecretBox, type SealedSecret } from '../../models/secret-box';
import { SEALED_COLLECTIONS, type CollectionProgress, type RotationProgress } from '../../models/secret-rotation';
import { webhookModels } from '../../models/webhook.model';
import { websiteModels } from '../../models/website.model';
import { rotateKeys } from '../../scripts/lib/rotate-keys';
import { ROTATE_SECRETS_WORKFLOW_ID, type rotateSecretsWorkflow } from '../../workflows/rotate-secrets';
import { eventually, http, signUp, startStack, type Http, type Stack } from '../harness';
import { startScriptedLlm, type ScriptedLlm } from '../llm-server';
import { listenTenantUrl } from '../tenant-ports';
import { startReceiver, type Receiver } from '../webhook-receiver';

const ROOT = path.resolve(__dirname, '..', '..');
const SITE = 'https://shop.example.com';
const TOKEN = 'tenant-token-7f3a9c';
const HEADER = 'tenant-header-51be';
const LLM_KEY = 'sk-rotation-2d8e';

const k1 = SecretBox.generateKey('k1');
const k2 = SecretBox.generateKey('k2');

/** The deployment before the rotation (k1 only), during it ("k2,k1") and after it (k2 only): one database, one task queue. */
let before: Stack;
let during: Stack | undefined;
let after: Stack | undefined;
let api: Http;
let apiKey: string;
let llm: ScriptedLlm;
let receiver: Receiver;
let tenantUrl: string;
const tenantServer = createServer((req, res) => {
  tenantSeen.push(req.headers);
  const ok = req.headers.authorization === `Bearer ${TOKEN}` && req.headers['x-tenant-secret'] === HEADER;
  res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? '{"ok":true}' : '{"error":"unauthorized"}');
});
const tenantSeen: IncomingHttpHeaders[] = [];

/** What phase 1 created, all sealed under k1. */
const ids = { connection: '', lostConnection: '', aiBot: '', plainBot: '', website: '', websiteToken: '', webhook: '' };
let identitySecret = '';
let webhookSecret = '';

/** Every sealed value in the database, by `<collection>/<id>`, with the key id that sealed it. */
async function keyIds(stack: Stack): Promise<Record<string, string>> {
  const { ApiConnection } = connectionModels(stack.db);
  const { Bot } = botModels(stack.db);
  const { Website } = websiteModels(stack.db);
  const { WebhookEndpoint } = webhookModels(stack.db);
  const out: Record<string, string> = {};
  for (const c of await ApiConnection.collection.find({}).toArray()) out[`connections/${String(c._id)}`] = (c.sealed as SealedSecret).keyId;
  for (const b of await Bot.collection.find({}).toArray()) if (b.aiKeySealed) out[`bots/${String(b._id)}`] = (b.aiKeySealed as SealedSecret).keyId;
  for (const w of await Website.collection.find({}).toArray()) out[`websites/${String(w._id)}`] = (w.sealed as SealedSecret).keyId;
  for (const w of await WebhookEndpoint.collection.find({}).toArray()) out[`webhook_endpoints/${String(w._id)}`] = (w.sealed as SealedSecret).keyId;
  return out;
}

interface CommandRun {
  /** Output so far. */
  stdout(): string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Runs `npm run rotate-keys` as an operator would: its own process, Temporal's settings only (no PARLEY_SECRET_KEYS). */
function runCommand(stack: Stack, args: string[] = []): CommandRun {
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_NAMESPACE: 'default', TASK_QUEUE: stack.taskQueue };
  delete env.PARLEY_SECRET_KEYS;
  delete env.PARLEY_PAYLOAD_KEYS;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'rotate-keys.ts'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    stdout: () => stdout,
    done: new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr }))),
  };
}

/** A rotation's progress at its start, as if its batches so far had reported `keyId` as the current key. */
const startedUnder = (keyId: string): RotationProgress => ({
  status: 'running',
  currentKeyId: keyId,
  collection: 'connections',
  afterId: null,
  batches: 0,
  collections: Object.fromEntries(SEALED_COLLECTIONS.map((name): [string, CollectionProgress] => [name, { done: false, scanned: 0, resealed: 0, current: 0, empty: 0, changed: 0, unopenable: 0, unopenableIds: [] }])) as RotationProgress['collections'],
  startedAt: new Date().toISOString(),
  finishedAt: null,
});

const resealedTotal = (progress: RotationProgress): number => SEALED_COLLECTIONS.reduce((sum, name) => sum + progress.collections[name].resealed, 0);

beforeAll(async () => {
  [llm, receiver, tenantUrl] = await Promise.all([startScriptedLlm(), startReceiver(), listenTenantUrl(tenantServer)]);
  // Phase 1: a deployment whose only key is k1. Nothing here needs a worker.
  before = await startStack({ withoutWorker: true, api: { PARLEY_SECRET_KEYS: k1 } });
  ({ api, key: apiKey } = await signUp(before.baseUrl));
  const created = async (url: string, body: unknown) => {
    const res = await api.post(url, body);
    if (res.status !== 201) throw new Error(`${url}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  ids.connection = (await created('/v1/connections', { name: 'Shop', baseUrl: tenantUrl, auth: { type: 'bearer', token: TOKEN }, headers: { 'X-Tenant-Secret': HEADER }, allowPrivateNetwork: true })).connection.id;
  ids.lostConnection = (await created('/v1/connections', { name: 'Lost', baseUrl: tenantUrl, auth: { type: 'bearer', token: 'lost' }, allowPrivateNetwork: true })).connection.id;
  ids.aiBot = (await created('/v1/bots', { name: 'AI bot', greeting: 'Hello!', fallbackMessage: 'Sorry.' })).bot.id;
  const ai = await api.put(`/v1/bots/${ids.aiBot}/ai`, { enabled: true, baseUrl: llm.baseUrl, model: 'scripted', apiKey: LLM_KEY, allowPrivateNetwork: true });
  expect(ai.status).toBe(200);
  expect((await api.post(`/v1/bots/${ids.aiBot}/publish`)).status).toBe(201);
  ids.plainBot = (await created('/v1/bots', { name: 'No AI', greeting: 'Hi', fallbackMessage: 'Sorry.' })).bot.id;
  const site = await created('/v1/websites', { botId: ids.aiBot, name: 'Shop', origins: [SITE], identity: 'required' });
  [ids.website, ids.websiteToken, identitySecret] = [site.website.id, site.website.websiteToken, site.identitySecret];
  const hook = await created('/v1/webhooks', { url: `${receiver.baseUrl}/hook`, events: ['message.created'], allowPrivateNetwork: true });
  [ids.webhook, webhookSecret] = [hook.webhook.id, hook.secret];
  // A value sealed under a key this deployment never had (lost, or from another deployment).
  const { ApiConnection } = connectionModels(before.db);
  await ApiConnection.collection.updateOne({ _id: ids.lostConnection as never }, { $set: { sealed: new SecretBox(SecretBox.generateKey('k0')).seal({ auth: { token: 'lost' }, headers: {} }, ids.lostConnection) } });
});

afterAll(async () => {
  await after?.stop();
  await during?.stop();
  // Last: the first stack owns the database and drops it.
  await before?.stop();
  await Promise.all([llm?.close(), receiver?.close(), new Promise((resolve) => tenantServer.close(resolve))]);
});

describe('key rotation', () => {
  it('starts with everything sealed under k1, which k2 alone cannot open', async () => {
    const sealed = await keyIds(before);
    expect(sealed).toEqual({
      [`connections/${ids.connection}`]: 'k1',
      [`connections/${ids.lostConnection}`]: 'k0',
      [`bots/${ids.aiBot}`]: 'k1',
      [`websites/${ids.website}`]: 'k1',
      [`webhook_endpoints/${ids.webhook}`]: 'k1',
    });
    const stored = await connectionModels(before.db).ApiConnection.collection.findOne({ _id: ids.connection as never });
    expect(() => new SecretBox(k2).open(stored!.sealed as SealedSecret, ids.connection)).toThrow();
    expect(new SecretBox(`${k2},${k1}`).open(stored!.sealed as SealedSecret, ids.connection)).toEqual({ auth: { token: TOKEN }, headers: { 'X-Tenant-Secret': HEADER } });
  });

  it('re-seals every value under k2 with `npm run rotate-keys`, reporting the value no key opens by id', async () => {
    // Every API instance and worker now has k2 first and k1 after it.
    during = await startStack({ join: before, api: { PARLEY_SECRET_KEYS: `${k2},${k1}` } });
    const run = await runCommand(during, ['--batch-size=1']).done;
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`the current key is "k2"`);
    expect(run.stdout).toContain(`connections: ${ids.lostConnection}`);
    expect(run.stdout).toMatch(/^webhook_endpoints\s+1\s+1\s+0\s+0\s+0\s+0$/m);
    for (const secret of [TOKEN, HEADER, LLM_KEY, identitySecret, webhookSecret]) expect(run.stdout).not.toContain(secret);

    expect(await keyIds(during)).toEqual({
      [`connections/${ids.connection}`]: 'k2',
      [`connections/${ids.lostConnection}`]: 'k0',
      [`bots/${ids.aiBot}`]: 'k2',
      [`websites/${ids.website}`]: 'k2',
      [`webhook_endpoints/${ids.webhook}`]: 'k2',
    });
    // The run's memo carries the counts for the Web UI.
    const described = await during.temporal.workflow.getHandle(ROTATE_SECRETS_WORKFLOW_ID).describe();
    expect(await described.memo).toMatchObject({ rotation: { status: 'done', currentKeyId: 'k2', resealed: 4, unopenable: 1 } });
  });

  it('re-seals nothing when run again, and then only what an instance still on k1 sealed since', async () => {
    const again = await rotateKeys({ client: during!.temporal, taskQueue: during!.taskQueue, pollMs: 200 });
    expect(again.progress.status).toBe('done');
    expect(resealedTotal(again.progress)).toBe(0);
    expect(again.progress.collections.connections).toMatchObject({ scanned: 2, current: 1, unopenable: 1, unopenableIds: [ids.lostConnection] });
    expect(again.progress.collections.bots).toMatchObject({ scanned: 2, current: 1, empty: 1 });

    // An API instance not yet given k2 seals under k1; the next run finds exactly that value, in small
    // batches with a continue-as-new every two of them.
    const late = (await api.post('/v1/connections', { name: 'Late', baseUrl: tenantUrl, auth: { type: 'bearer', token: 'late' }, allowPrivateNetwork: true })).body.connection.id as string;
    const third = await rotateKeys({ client: during!.temporal, taskQueue: during!.taskQueue, batchSize: 1, batchesPerRun: 2, pollMs: 200 });
    expect(third.progress.batches).toBeGreaterThan(4);
    expect(resealedTotal(third.progress)).toBe(1);
    expect(third.progress.collections.connections).toMatchObject({ scanned: 3, resealed: 1, current: 1, unopenable: 1 });
    expect((await keyIds(during!))[`connections/${late}`]).toBe('k2');
    await connectionModels(during!.db).ApiConnection.collection.deleteOne({ _id: late as never });
  });

  it('attaches to the rotation already running, and exits non-zero when it fails', async () => {
    // A rotation already running (no worker polls yet) whose batches so far were sealed under "k9": when
    // the first batch says "k2", the workflow stops rather than seal back and forth between workers.
    await during!.stopWorker();
    await during!.temporal.workflow.start<typeof rotateSecretsWorkflow>('rotateSecretsWorkflow', { workflowId: ROTATE_SECRETS_WORKFLOW_ID, taskQueue: during!.taskQueue, args: [{ progress: startedUnder('k9') }] });
    const command = runCommand(during!);
    await eventually(async () => command.stdout().includes('already running'), 30_000, 'the command to find the running rotation');
    await during!.startWorker();
    const run = await command.done;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('workers disagree on the current key ("k9", then "k2")');
    const failed = await during!.temporal.workflow.getHandle(ROTATE_SECRETS_WORKFLOW_ID).describe();
    expect(failed.status.name).toBe('FAILED');
    // Nothing was written before it stopped.
    expect(Object.values(await keyIds(during!)).sort()).toEqual(['k0', 'k2', 'k2', 'k2', 'k2']);
  });

  it('works with k1 removed: connection credentials, webhook secret, provider key and website identity', async () => {
    await during!.stopWorker();
    after = await startStack({ join: before, api: { PARLEY_SECRET_KEYS: k2 } });
    const client = http(after.baseUrl, apiKey);

    // Test Connection: the worker opens the credentials with k2 and sends them to the tenant.
    tenantSeen.length = 0;
    const tested = await client.post(`/v1/connections/${ids.connection}/test`);
    expect(tested.body.result).toMatchObject({ ok: true });
    expect(tenantSeen).toEqual([expect.objectContaining({ authorization: `Bearer ${TOKEN}`, 'x-tenant-secret': HEADER })]);
    // The value no key opens stays unopenable (its owner must enter it again), as it was before.
    expect((await client.post(`/v1/connections/${ids.lostConnection}/test`)).body.result).toMatchObject({ ok: false, code: 'unauthorized' });

    // The webhook's test event, signed with the secret shown when it was created.
    const delivered = await client.post(`/v1/webhooks/${ids.webhook}/test`);
    expect(delivered.body.delivery).toMatchObject({ status: 'succeeded', eventType: 'webhook.test' });
    const [test] = receiver.at('/hook');
    expect(new Webhook(webhookSecret).verify(test!.body, test!.headers)).toMatchObject({ type: 'webhook.test' });
    expect(() => new Webhook(`whsec_${Buffer.alloc(24, 7).toString('base64')}`).verify(test!.body, test!.headers)).toThrow();

    // The bot's provider key reaches the model server.
    llm.reset();
    const conversation = await client.post('/v1/conversations', { botId: ids.aiBot, externalUserId: 'visitor' });
    expect(conversation.status).toBe(201);
    const reply = await client.post(`/v1/conversations/${conversation.body.conversation.id}/messages`, { message: { type: 'text', text: 'Are you open on Sunday?' } });
    expect(reply.status).toBe(200);
    expect(reply.body.replies.map((r: { text: string }) => r.text)).toEqual(['OK']);
    expect(llm.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${LLM_KEY}`]);

    // The website's identity secret verifies a visitor's signed identity (and only a token signed with it).
    const start = (identityToken: string) =>
      fetch(`${after!.baseUrl}/widget/v1/${ids.websiteToken}/conversations`, {
        method: 'POST',
        headers: { origin: SITE, 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' },
        body: JSON.stringify({ identityToken }),
      });
    const sign = (secret: string) => new SignJWT({ sub: 'user-7' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(secret));
    const visitor = await start(await sign(identitySecret));
    expect(visitor.status).toBe(201);
    expect(await visitor.json()).toMatchObject({ identified: true });
    expect((await start(await sign('wis_not-the-secret-but-long-enough-0000000000'))).status).toBe(401);

    // The conversation's own events reached the webhook too, each verifiable with its secret.
    const hits = await eventually(async () => receiver.at('/hook').length > 1 && receiver.at('/hook'), 20_000, 'message.created deliveries');
    for (const hit of hits) expect(() => new Webhook(webhookSecret).verify(hit.body, hit.headers)).not.toThrow();
  });
});

describe('compare-and-set', () => {
  const collection = (): mongo.Collection<{ _id: string } & Record<string, unknown>> => before.db.collection('rotation_cas');
  const box = new SecretBox(k1);

  it.each<CompareAndSetMode>(['conditional-update', 'read-then-write'])('%s writes only over the value that was read', async (mode) => {
    const id = `doc-${mode}`;
    const read = box.seal({ v: 1 }, id);
    const meanwhile = box.seal({ v: 2 }, id);
    await collection().insertOne({ _id: id, sealed: meanwhile });
    // The value changed after it was read: left alone.
    expect(await compareAndSet({ collection: collection(), id, field: 'sealed', expected: read, next: box.seal({ v: 1 }, id), mode })).toBe(false);
    expect((await collection().findOne({ _id: id }))!.sealed).toEqual(meanwhile);
    const next = box.seal({ v: 2 }, id);
    expect(await compareAndSet({ collection: collection(), id, field: 'sealed', expected: meanwhile, next, mode })).toBe(true);
    expect((await collection().findOne({ _id: id }))!.sealed).toEqual(next);
    expect(await compareAndSet({ collection: collection(), id: 'missing', field: 'sealed', expected: meanwhile, next, mode })).toBe(false);
  });

  it('reads then writes by `_id` on FerretDB, whose SQLite backend indexes nothing else', async () => {
    const explained = await before.db.db!.command({ explain: { find: 'rotation_cas', filter: { _id: 'doc-read-then-write' } } });
    const ferret = explained.ferretdbVersion !== undefined || explained.serverInfo?.ferretdbVersion !== undefined;
    expect(await detectCompareAndSetMode(before.db)).toBe(ferret ? 'read-then-write' : 'conditional-update');
  });
});
