/**
 * Secure connections to Temporal (issue 22, item 1), end to end: the API and a worker run as their own
 * processes (api/main.ts, worker/main.ts: the real environment parsing) against the shared Temporal dev
 * server behind nginx (Debian's nginx-light), which terminates TLS with a certificate of a throwaway CA,
 * requires a client certificate of that CA (mTLS) and passes gRPC on to the dev server. A conversation
 * gets its reply through the proxy; a client certificate of another CA is refused, and so is a client
 * without one; an expired certificate stops the start naming TEMPORAL_TLS_CERT. Then the certificates are
 * renewed under the running processes to ones of a second CA, and nginx stops trusting the first: the API
 * and the worker pick the new files up (new connection for the API, drain and replace for the worker),
 * and the conversation started before goes on.
 */
import { Connection } from '@temporalio/client';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connectDatabase } from '../../models/db';
import { SecretBox } from '../../models/secret-box';
import { connectFailure, sdkConnectionOptions, temporalConnectionFromEnv } from '../../models/temporal-connection';
import { eventually, publishedBot, signUp, sleep, testEnv, type Http } from '../harness';
import { TENANT_ALLOWLIST } from '../tenant-ports';
import { createCa, hasOpenssl, type Issued, type TestCa } from '../tls-fixtures';

const ROOT = path.resolve(__dirname, '..', '..');
const NGINX = [process.env.NGINX_PATH, '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'].find((p): p is string => Boolean(p) && existsSync(p!));
const available = hasOpenssl && NGINX !== undefined;
const missing = [!NGINX && 'nginx (apt-get install nginx-light)', !hasOpenssl && 'openssl (apt-get install openssl)'].filter(Boolean).join(' and ');
if (!available && process.env.CI) throw new Error(`the Temporal TLS test needs ${missing}; .ci/run installs them`);
if (!available) console.warn(`temporal-tls tests skipped: no ${missing}`);
const describeTls = available ? describe : describe.skip;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A process of ours with its output kept (stdout and stderr together, as an operator reads it). */
interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function run(entry: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], { cwd: ROOT, env: { ...process.env, LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Resolves once `ready` appears in the output; rejects, with the output, if the process exits first. */
async function ready(proc: Proc, what: string, ready: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.output().includes(ready)) {
    if (proc.child.exitCode !== null) throw new Error(`${what} exited with ${proc.child.exitCode}:\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`${what} did not print "${ready}" in ${timeoutMs} ms:\n${proc.output()}`);
    await sleep(100);
  }
}

let dir: string;
let caOne: TestCa;
let caTwo: TestCa;
let rogueCa: TestCa;
let server: Issued;
let nginx: ChildProcess | undefined;
let nginxPort: number;
let nginxConf: string;
let accessLog: string;
const processes: Proc[] = [];
/** The files the API and the worker read (renewed in place by the last test). */
const live = { ca: '', cert: '', key: '' };
let common: Record<string, string>;
let worker: Proc;
let apiProc: Proc;
let api: Http;
let botId: string;

/** nginx's configuration: TLS with `server`, client certificates of `trusted` CAs required, gRPC to the dev server. */
function writeNginxConf(trustedCas: string[]): void {
  const bundle = path.join(dir, 'nginx-client-cas.pem');
  writeFileSync(bundle, trustedCas.map((file) => readFileSync(file, 'utf8')).join(''));
  const temporal = testEnv('PARLEY_TEST_TEMPORAL_ADDRESS');
  writeFileSync(
    nginxConf,
    `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log info;
# the workers of a configuration replaced by a reload close their connections within 2 s
worker_shutdown_timeout 2s;
events { worker_connections 1024; }
http {
  access_log ${accessLog};
  client_body_temp_path ${dir}/nginx-body;
  server {
    # nginx 1.25.1+ spells http2 as its own directive (http2 on;); Debian bookworm ships 1.22
    listen 127.0.0.1:${nginxPort} ssl http2;
    ssl_certificate ${server.cert};
    ssl_certificate_key ${server.key};
    ssl_verify_client on;
    ssl_client_certificate ${bundle};
    # Temporal's long polls last about a minute; many calls share one HTTP/2 connection
    grpc_read_timeout 600s;
    grpc_send_timeout 600s;
    client_max_body_size 0;
    keepalive_requests 1000000;
    location / { grpc_pass grpc://${temporal}; }
  }
}
`,
  );
}

/** The environment of both processes: the proxy's address and the live certificate files. */
const tlsEnv = (files: { ca: string; cert: string; key: string }): Record<string, string> => ({
  TEMPORAL_ADDRESS: `127.0.0.1:${nginxPort}`,
  TEMPORAL_TLS: 'true',
  TEMPORAL_TLS_CA: files.ca,
  TEMPORAL_TLS_CERT: files.cert,
  TEMPORAL_TLS_KEY: files.key,
});

describeTls('Temporal behind a TLS-terminating gRPC proxy with mTLS', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'parley-tls-'));
    mkdirSync(path.join(dir, 'live'));
    caOne = createCa(dir, 'ca-one');
    caTwo = createCa(dir, 'ca-two');
    rogueCa = createCa(dir, 'rogue-ca');
    server = caOne.issue('temporal-proxy', { san: ['IP:127.0.0.1', 'DNS:localhost'] });
    const client = caOne.issue('parley');
    live.ca = path.join(dir, 'live', 'ca.pem');
    live.cert = path.join(dir, 'live', 'client.pem');
    live.key = path.join(dir, 'live', 'client.key');
    // the server's CA, and the second one the proxy moves to at renewal: clients trust both from the start
    writeFileSync(live.ca, caOne.certPem + caTwo.certPem);
    copyFileSync(client.cert, live.cert);
    copyFileSync(client.key, live.key);

    nginxPort = await freePort();
    nginxConf = path.join(dir, 'nginx.conf');
    accessLog = path.join(dir, 'nginx-access.log');
    // A CA rollover, as an operator does it: the proxy trusts the clients' current CA and the next one;
    // the last test renews the clients' certificates to the next CA, then drops the first.
    writeNginxConf([caOne.cert, caTwo.cert]);
    const check = spawnSync(NGINX!, ['-t', '-p', dir, '-c', nginxConf], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`nginx refused its configuration:\n${check.stderr}`);
    nginx = spawn(NGINX!, ['-p', dir, '-c', nginxConf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    await eventually(() => new Promise<boolean>((resolve) => net.connect(nginxPort, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); resolve(true); }).once('error', () => resolve(false))), 10_000, 'nginx listening');

    const suffix = randomBytes(4).toString('hex');
    const secretKeys = SecretBox.generateKey('tls');
    common = {
      MONGODB_URI: `${testEnv('PARLEY_TEST_MONGODB_URI')}/parley_test_tls_${suffix}`,
      TASK_QUEUE: `parley-test-tls-${suffix}`,
      PARLEY_SECRET_KEYS: secretKeys,
      OUTBOUND_ALLOWLIST: TENANT_ALLOWLIST,
      OUTBOUND_DENYLIST: process.env.PARLEY_TEST_DENYLIST ?? '',
      TEMPORAL_TLS_RELOAD_SECONDS: '1',
      LOG_LEVEL: 'info',
    };
    const apiPort = await freePort();
    worker = run('worker/main.ts', { ...common, ...tlsEnv(live), METRICS_PORT: '0', WORKFLOW_BUNDLE_PATH: testEnv('PARLEY_TEST_WORKFLOW_BUNDLE'), PUBLIC_URL: `http://127.0.0.1:${apiPort}` });
    apiProc = run('api/main.ts', { ...common, ...tlsEnv(live), PORT: String(apiPort), HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '1000000', MESSAGE_RATE_LIMIT_PER_MINUTE: '1000000' });
    processes.push(worker, apiProc);
    await Promise.all([ready(worker, 'the worker', 'polling task queue'), ready(apiProc, 'the API', 'listening on')]);
    ({ api } = await signUp(`http://127.0.0.1:${apiPort}`));
    botId = await publishedBot(api);
  });

  afterAll(async () => {
    for (const proc of processes) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    nginx?.kill('SIGTERM');
    if (common) {
      const db = await connectDatabase(common.MONGODB_URI!);
      await db.dropDatabase().catch(() => undefined);
      await db.close();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let conversationId: string;

  it('the API starts a conversation and the worker answers it, both through the proxy', async () => {
    const res = await api.post('/v1/conversations', { botId, externalUserId: 'tls-visitor', message: { type: 'text', text: 'Hi over mTLS' } });
    expect(res.status).toBe(201);
    expect(res.body.replies.map((r: { text: string }) => r.text)).toEqual(['Hello! I am the test bot.', 'Sorry, I cannot help with that yet.']);
    conversationId = res.body.conversation.id;
    // nginx saw both sides: the worker's polls and the API's start of the conversation (update-with-start)
    const log = readFileSync(accessLog, 'utf8');
    expect(log).toContain('/temporal.api.workflowservice.v1.WorkflowService/PollWorkflowTaskQueue');
    expect(log).toContain('/temporal.api.workflowservice.v1.WorkflowService/ExecuteMultiOperation');
    // and each process says what it connected with
    expect(worker.output()).toContain('"temporal":"mTLS (CA from TEMPORAL_TLS_CA)"');
  });

  it('refuses a client certificate signed by another CA, and a client without a certificate, with a clear error', async () => {
    const rogue = rogueCa.issue('intruder');
    const explained = async (env: Record<string, string>): Promise<string> => {
      const options = temporalConnectionFromEnv({ ...tlsEnv(live), ...env });
      const connection = await Connection.connect({ ...sdkConnectionOptions(options), connectTimeout: 5000 }).catch(async (error: unknown) => {
        throw await connectFailure(error, options);
      });
      await connection.close();
      return 'connected';
    };
    await expect(explained({ TEMPORAL_TLS_CERT: rogue.cert, TEMPORAL_TLS_KEY: rogue.key })).rejects.toThrow(
      `the server (or a proxy in front of it) refused the client certificate (TEMPORAL_TLS_CERT, ${rogue.cert}): is it signed by a CA the server trusts for clients?`,
    );
    await expect(explained({ TEMPORAL_TLS_CERT: '', TEMPORAL_TLS_KEY: '' })).rejects.toThrow('refused the connection without a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY');
    // a server name the proxy's certificate does not hold
    await expect(explained({ TEMPORAL_TLS_SERVER_NAME: 'temporal.example.com' })).rejects.toThrow(`the server's certificate does not name "temporal.example.com": set TEMPORAL_TLS_SERVER_NAME`);
    // a CA that did not sign the proxy's certificate
    await expect(explained({ TEMPORAL_TLS_CA: rogueCa.cert })).rejects.toThrow(`the server's certificate is not signed by a CA in TEMPORAL_TLS_CA, ${rogueCa.cert}`);
    // the right certificate passes the same way
    await expect(explained({ TEMPORAL_TLS_CERT: caOne.issue('probe').cert, TEMPORAL_TLS_KEY: path.join(dir, 'ca-one', 'probe.key') })).resolves.toBe('connected');

    // a worker with the rogue certificate does not start, and says why
    const intruder = run('worker/main.ts', { ...common, ...tlsEnv({ ca: live.ca, cert: rogue.cert, key: rogue.key }), METRICS_PORT: '0', WORKFLOW_BUNDLE_PATH: testEnv('PARLEY_TEST_WORKFLOW_BUNDLE') });
    processes.push(intruder);
    expect(await intruder.exited).toBe(1);
    expect(intruder.output()).toMatch(/cannot connect to Temporal at 127\.0\.0\.1:\d+ \(mTLS \(CA from TEMPORAL_TLS_CA\)\)/);
    expect(intruder.output()).toMatch(/refused the client certificate \(TEMPORAL_TLS_CERT/);
    expect(intruder.output()).not.toContain('polling task queue');
  });

  it('does not start with an expired client certificate, naming TEMPORAL_TLS_CERT (API and worker)', async () => {
    const expired = caOne.issue('expired', { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const env = { ...common, ...tlsEnv({ ca: live.ca, cert: expired.cert, key: expired.key }), METRICS_PORT: '0', PORT: '0' };
    const procs = [run('api/main.ts', env), run('worker/main.ts', env)];
    processes.push(...procs);
    for (const proc of procs) {
      expect(await proc.exited).toBe(1);
      expect(proc.output()).toContain(`TEMPORAL_TLS_CERT: the certificate \\"CN=expired\\" (${expired.cert}) expired on `);
      expect(proc.output()).not.toContain('PRIVATE KEY');
    }
  });

  it('picks up renewed certificates without a restart: the proxy moves to a new CA and the conversation goes on', async () => {
    const renewed = caTwo.issue('parley-renewed');
    // as cert-manager or certbot do: each file replaced by a rename (key first, then the certificate)
    copyFileSync(renewed.key, `${live.key}.new`);
    renameSync(`${live.key}.new`, live.key);
    copyFileSync(renewed.cert, `${live.cert}.new`);
    renameSync(`${live.cert}.new`, live.cert);
    await eventually(async () => worker.output().includes('the replaced worker drained and its connection closed'), 60_000, 'the worker replaced');
    await eventually(async () => apiProc.output().includes('Temporal connection renewed'), 30_000, 'the API renewed');

    // The proxy now trusts the second CA only (nginx reload: its old workers close their connections), so
    // anything still on the first certificate is refused from here on.
    writeNginxConf([caTwo.cert]);
    expect(spawnSync(NGINX!, ['-p', dir, '-c', nginxConf, '-s', 'reload']).status).toBe(0);
    await sleep(3000);
    const oldIdentity = caOne.issue('old-identity');
    const old = temporalConnectionFromEnv({ ...tlsEnv(live), TEMPORAL_TLS_CERT: oldIdentity.cert, TEMPORAL_TLS_KEY: oldIdentity.key });
    await expect(Connection.connect({ ...sdkConnectionOptions(old), connectTimeout: 5000 })).rejects.toThrow();

    const sent = await api.post(`/v1/conversations/${conversationId}/messages`, { message: { type: 'text', text: 'still there?' } });
    expect(sent.status).toBe(200);
    expect(sent.body.replies.map((r: { text: string }) => r.text)).toEqual(['Sorry, I cannot help with that yet.']);
    const fresh = await api.post('/v1/conversations', { botId, externalUserId: 'tls-visitor-2' });
    expect(fresh.status).toBe(201);
    expect(fresh.body.replies).toHaveLength(1);
    expect(worker.child.exitCode).toBeNull();
    expect(apiProc.child.exitCode).toBeNull();
  });
});
