/**
 * Secure connections to Temporal (models/temporal-connection.ts): the options built from the environment,
 * the start-up checks (each error names its variable, never the key), and the API connection's renewal
 * (api/temporal-connection.ts) with a fake Connection. Certificates come from openssl (test/tls-fixtures.ts).
 */
import type { Connection } from '@temporalio/client';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadApiConfig } from '../../api/config';
import { connectRenewingTemporal } from '../../api/temporal-connection';
import { watchFiles } from '../../models/file-watch';
import { explainConnectError, loadTemporalConnection, onlyApiKeyChanged, sdkConnectionOptions, TemporalConnectionError, TemporalConnectionEnv, temporalConnectionFromEnv, type TemporalConnectionOptions, type TemporalConnectionSettings } from '../../models/temporal-connection';
import { loadWorkerConfig } from '../../worker/config';
import { createCa, hasOpenssl, type Issued, type TestCa } from '../tls-fixtures';

if (!hasOpenssl && process.env.CI) throw new Error('the Temporal TLS unit tests need the openssl command (Debian package openssl)');
if (!hasOpenssl) console.warn('temporal-connection tests skipped: no openssl command (apt-get install openssl)');
const describeTls = hasOpenssl ? describe : describe.skip;

const DAY = 86_400_000;
let dir: string;
let ca: TestCa;
let otherCa: TestCa;
let client: Issued;
let server: Issued;

beforeAll(() => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'parley-tls-unit-'));
  ca = createCa(dir, 'unit-ca');
  otherCa = createCa(dir, 'other-ca');
  client = ca.issue('client');
  server = ca.issue('server', { san: ['IP:127.0.0.1', 'DNS:localhost'] });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Settings as the configs parse them from an environment. */
const settings = (env: Record<string, string>): TemporalConnectionSettings => ({
  ...TemporalConnectionEnv.parse(env),
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  TEMPORAL_NAMESPACE: 'parley-ns',
});
const load = (env: Record<string, string>, now?: Date) => loadTemporalConnection(settings(env), now);
/** The error's message, asserting it is a TemporalConnectionError naming `variable`. */
function failure(env: Record<string, string>, variable: string, now?: Date): string {
  try {
    load(env, now);
  } catch (error) {
    expect(error).toBeInstanceOf(TemporalConnectionError);
    expect((error as TemporalConnectionError).variable).toBe(variable);
    expect((error as Error).message.startsWith(`${variable}: `)).toBe(true);
    return (error as Error).message;
  }
  throw new Error(`expected ${variable} to be refused`);
}
/** No key material in a message: neither a PEM header nor any line of the key's base64 body. */
function expectNoKeyMaterial(message: string, ...keys: string[]): void {
  expect(message).not.toMatch(/-----BEGIN/);
  for (const key of keys) for (const line of key.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) expect(message).not.toContain(line);
}

describeTls('building the connection options', () => {
  it('is plaintext with nothing set, as before these settings existed', () => {
    const options = load({});
    expect(options.tls).toBeUndefined();
    expect(options.apiKey).toBeUndefined();
    expect(options.watchedFiles).toEqual([]);
    expect(sdkConnectionOptions(options)).toEqual({ address: '127.0.0.1:7233' });
  });

  it('TEMPORAL_TLS=true: TLS verified against the system CAs', () => {
    const options = load({ TEMPORAL_TLS: 'true' });
    expect(options.tls).toEqual({});
    expect(options.summary).toBe('TLS (system CAs)');
  });

  it('a CA file: TLS verified against it, the file watched; the server name override passed on', () => {
    const options = load({ TEMPORAL_TLS_CA: ca.cert, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' });
    expect(Buffer.from(options.tls!.serverRootCACertificate!).toString()).toBe(ca.certPem);
    expect(options.tls!.serverNameOverride).toBe('temporal.internal');
    expect(options.watchedFiles).toEqual([ca.cert]);
  });

  it('a CA as a PEM value: the same, nothing to watch', () => {
    const options = load({ TEMPORAL_TLS_CA_PEM: ca.certPem });
    expect(Buffer.from(options.tls!.serverRootCACertificate!).toString()).toBe(ca.certPem);
    expect(options.watchedFiles).toEqual([]);
  });

  it('mTLS from files: the client pair, its expiry, all three files watched', () => {
    const options = load({ TEMPORAL_TLS_CA: ca.cert, TEMPORAL_TLS_CERT: client.cert, TEMPORAL_TLS_KEY: client.key });
    expect(Buffer.from(options.tls!.clientCertPair!.crt).toString()).toBe(client.certPem);
    expect(Buffer.from(options.tls!.clientCertPair!.key).toString()).toBe(client.keyPem);
    expect(options.certificateValidTo!.getTime()).toBeGreaterThan(Date.now());
    expect(options.watchedFiles).toEqual([ca.cert, client.cert, client.key]);
    expect(options.summary).toBe('mTLS (CA from TEMPORAL_TLS_CA)');
  });

  it('mTLS from PEM values, TLS on without TEMPORAL_TLS', () => {
    const options = load({ TEMPORAL_TLS_CERT_PEM: client.certPem, TEMPORAL_TLS_KEY_PEM: client.keyPem });
    expect(options.tls!.clientCertPair).toBeDefined();
    expect(options.tls!.serverRootCACertificate).toBeUndefined();
  });

  it('an API key: TLS on by default, the temporal-namespace header Temporal Cloud routes by', () => {
    const options = load({ TEMPORAL_API_KEY: 'cloud-key-123' });
    expect(sdkConnectionOptions(options)).toEqual({ address: '127.0.0.1:7233', tls: {}, apiKey: 'cloud-key-123', metadata: { 'temporal-namespace': 'parley-ns' } });
    expect(options.summary).not.toContain('cloud-key-123');
  });

  it('an API key with TEMPORAL_TLS=false: no TLS (a local TLS-terminating proxy)', () => {
    expect(load({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).tls).toBeUndefined();
  });

  it('an API key file: read trimmed, watched', () => {
    const file = path.join(dir, 'api-key');
    writeFileSync(file, 'file-key-456\n');
    const options = load({ TEMPORAL_API_KEY_FILE: file });
    expect(options.apiKey).toBe('file-key-456');
    expect(options.watchedFiles).toEqual([file]);
  });

  it('empty values count as unset (compose passes `${VAR:-}`)', () => {
    expect(load({ TEMPORAL_TLS: '', TEMPORAL_TLS_CA: '', TEMPORAL_API_KEY: ' ' }).tls).toBeUndefined();
  });

  it('scripts read the same variables from an environment', () => {
    const options = temporalConnectionFromEnv({ TEMPORAL_ADDRESS: 'temporal.example:7233', TEMPORAL_TLS_CA: ca.cert }, { namespace: 'x' });
    expect(options.address).toBe('temporal.example:7233');
    expect(options.tls!.serverRootCACertificate).toBeDefined();
    expect(() => temporalConnectionFromEnv({ TEMPORAL_TLS: 'yes' })).toThrow(/^TEMPORAL_TLS: /);
  });
});

describeTls('start-up checks name the variable', () => {
  it('an unreadable file: which variable, which path, why', () => {
    const missing = path.join(dir, 'nope.pem');
    expect(failure({ TEMPORAL_TLS_CA: missing }, 'TEMPORAL_TLS_CA')).toBe(`TEMPORAL_TLS_CA: cannot read ${missing} (ENOENT)`);
    expect(failure({ TEMPORAL_API_KEY_FILE: dir }, 'TEMPORAL_API_KEY_FILE')).toContain(`cannot read ${dir} (EISDIR)`);
  });

  it('a file that is not PEM', () => {
    const junk = path.join(dir, 'junk.pem');
    writeFileSync(junk, 'hello');
    expect(failure({ TEMPORAL_TLS_CERT: junk, TEMPORAL_TLS_KEY: client.key }, 'TEMPORAL_TLS_CERT')).toContain(`not a PEM certificate (${junk})`);
    expect(failure({ TEMPORAL_TLS_CERT: client.cert, TEMPORAL_TLS_KEY: junk }, 'TEMPORAL_TLS_KEY')).toContain('not a PEM private key');
    const badKey = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSECRETSECRETSECRET\n-----END PRIVATE KEY-----\n';
    const message = failure({ TEMPORAL_TLS_CERT_PEM: client.certPem, TEMPORAL_TLS_KEY_PEM: badKey }, 'TEMPORAL_TLS_KEY_PEM');
    expect(message).toContain('cannot be parsed');
    expect(message).not.toContain('SECRET');
  });

  it('an expired client certificate (its validTo passed)', () => {
    const expired = ca.issue('expired', { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
    const message = failure({ TEMPORAL_TLS_CERT: expired.cert, TEMPORAL_TLS_KEY: expired.key }, 'TEMPORAL_TLS_CERT');
    expect(message).toMatch(new RegExp(`the certificate "CN=expired" \\(${expired.cert.replace(/[.]/g, '\\.')}\\) expired on \\d{4}-`));
    // and any certificate that expires later fails once that day comes
    expect(failure({ TEMPORAL_TLS_CERT: client.cert, TEMPORAL_TLS_KEY: client.key }, 'TEMPORAL_TLS_CERT', new Date(Date.now() + 3 * DAY))).toContain('expired on');
  });

  it('a certificate not yet valid', () => {
    const early = ca.issue('early', { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 2 * DAY) });
    expect(failure({ TEMPORAL_TLS_CERT: early.cert, TEMPORAL_TLS_KEY: early.key }, 'TEMPORAL_TLS_CERT')).toContain('is not valid before');
  });

  it('an expired CA', () => {
    expect(failure({ TEMPORAL_TLS_CA: ca.cert }, 'TEMPORAL_TLS_CA', new Date(Date.now() + 5 * DAY))).toContain('expired on');
  });

  it('a key that does not belong to the certificate, without printing either', () => {
    const message = failure({ TEMPORAL_TLS_CERT: client.cert, TEMPORAL_TLS_KEY: server.key }, 'TEMPORAL_TLS_KEY');
    expect(message).toBe(`TEMPORAL_TLS_KEY: the private key (${server.key}) does not belong to the certificate in TEMPORAL_TLS_CERT (${client.cert})`);
    const fromValues = failure({ TEMPORAL_TLS_CERT_PEM: client.certPem, TEMPORAL_TLS_KEY_PEM: server.keyPem }, 'TEMPORAL_TLS_KEY_PEM');
    expectNoKeyMaterial(fromValues, server.keyPem, client.keyPem);
  });

  it('a "CA" that is not a CA (the server certificate given by mistake)', () => {
    expect(failure({ TEMPORAL_TLS_CA: server.cert }, 'TEMPORAL_TLS_CA')).toContain('is not a CA (no basicConstraints CA:TRUE)');
    // a bundle is checked certificate by certificate
    const bundle = path.join(dir, 'bundle.pem');
    writeFileSync(bundle, ca.certPem + otherCa.certPem);
    expect(load({ TEMPORAL_TLS_CA: bundle }).tls!.serverRootCACertificate).toBeDefined();
    writeFileSync(bundle, ca.certPem + server.certPem);
    expect(failure({ TEMPORAL_TLS_CA: bundle }, 'TEMPORAL_TLS_CA')).toContain('"CN=server"');
  });

  it('half a pair, both forms of one setting, TLS off with TLS settings', () => {
    expect(failure({ TEMPORAL_TLS_CERT: client.cert }, 'TEMPORAL_TLS_KEY')).toContain('needs its private key');
    expect(failure({ TEMPORAL_TLS_KEY: client.key }, 'TEMPORAL_TLS_CERT')).toContain('needs its client certificate');
    expect(failure({ TEMPORAL_TLS_CA: ca.cert, TEMPORAL_TLS_CA_PEM: ca.certPem }, 'TEMPORAL_TLS_CA')).toContain('not both');
    expect(failure({ TEMPORAL_API_KEY: 'a', TEMPORAL_API_KEY_FILE: '/x' }, 'TEMPORAL_API_KEY_FILE')).toContain('not both');
    expect(failure({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA: ca.cert }, 'TEMPORAL_TLS')).toContain('TEMPORAL_TLS_CA is set');
  });

  it('an API key file holding more than a key', () => {
    const file = path.join(dir, 'two-keys');
    writeFileSync(file, 'one two');
    expect(failure({ TEMPORAL_API_KEY_FILE: file }, 'TEMPORAL_API_KEY_FILE')).toContain('holds whitespace');
  });

  it('the API and worker configs refuse to load with a bad setting, naming it', () => {
    const base = { PARLEY_SECRET_KEYS: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' };
    const expired = ca.issue('expired2', { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
    const env = { ...base, TEMPORAL_TLS_CERT: expired.cert, TEMPORAL_TLS_KEY: expired.key };
    expect(() => loadApiConfig(env)).toThrow(/^invalid API environment: TEMPORAL_TLS_CERT: the certificate "CN=expired2" .* expired on/);
    expect(() => loadWorkerConfig(env)).toThrow(/^invalid worker environment: TEMPORAL_TLS_CERT: .* expired on/);
    expect(() => loadApiConfig({ ...base, TEMPORAL_TLS: 'maybe' })).toThrow(/TEMPORAL_TLS/);
    expect(loadWorkerConfig({ ...base, TEMPORAL_TLS_CA: ca.cert }).TEMPORAL_TLS_CA).toBe(ca.cert);
  });
});

describeTls('renewal', () => {
  it('tells an API key change (in place) from a certificate change (new connection)', () => {
    const a = load({ TEMPORAL_API_KEY: 'one' });
    expect(onlyApiKeyChanged(a, load({ TEMPORAL_API_KEY: 'two' }))).toBe(true);
    const b = load({ TEMPORAL_TLS_CERT: client.cert, TEMPORAL_TLS_KEY: client.key });
    const renewed = ca.issue('client-renewed');
    expect(onlyApiKeyChanged(b, load({ TEMPORAL_TLS_CERT: renewed.cert, TEMPORAL_TLS_KEY: renewed.key }))).toBe(false);
  });

  it('watchFiles notices a file replaced (mtime), once per change', async () => {
    const file = path.join(dir, 'watched');
    writeFileSync(file, 'a');
    let changes = 0;
    const watch = watchFiles({ paths: [file], intervalMs: 20, onChange: async () => void changes++, onError: (e) => { throw e; } });
    await new Promise((r) => setTimeout(r, 100));
    expect(changes).toBe(0);
    writeFileSync(file, 'bb');
    await new Promise((r) => setTimeout(r, 150));
    expect(changes).toBe(1);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    await new Promise((r) => setTimeout(r, 150));
    watch.stop();
    expect(changes).toBe(2);
  });

  /** A stand-in for @temporalio/client's Connection: enough for the proxy and the renewal. */
  function fakeConnections() {
    const made: { options: TemporalConnectionOptions; closed: boolean; apiKey?: string; workflowService: { id: number } }[] = [];
    const connect = async (options: TemporalConnectionOptions): Promise<Connection> => {
      const fake = {
        options,
        closed: false,
        apiKey: options.apiKey,
        workflowService: { id: made.length },
        async close() {
          fake.closed = true;
        },
        setApiKey(key: string) {
          fake.apiKey = key;
        },
      };
      made.push(fake);
      return fake as unknown as Connection;
    };
    return { made, connect };
  }
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

  it('the API swaps in a new connection for a renewed certificate; the old one closes after the grace period', async () => {
    const files = { cert: path.join(dir, 'live.pem'), key: path.join(dir, 'live.key') };
    writeFileSync(files.cert, client.certPem);
    writeFileSync(files.key, client.keyPem);
    const { made, connect } = fakeConnections();
    const renewing = await connectRenewingTemporal({ settings: settings({ TEMPORAL_TLS_CA: ca.cert, TEMPORAL_TLS_CERT: files.cert, TEMPORAL_TLS_KEY: files.key }), logger: quiet, connect, graceMs: 200, watchIntervalMs: 60_000 });
    const first = renewing.connection.workflowService;
    expect(first).toBe(made[0]!.workflowService);

    const renewed = ca.issue('client-live-2');
    writeFileSync(files.cert, renewed.certPem);
    writeFileSync(files.key, renewed.keyPem);
    await renewing.reload();
    expect(renewing.generation()).toBe(1);
    // new calls go to the new connection; the old stays open for calls in flight
    expect(renewing.connection.workflowService).toBe(made[1]!.workflowService);
    expect(Buffer.from(made[1]!.options.tls!.clientCertPair!.crt).toString()).toBe(renewed.certPem);
    expect(made[0]!.closed).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(made[0]!.closed).toBe(true);
    expect(made[1]!.closed).toBe(false);

    // a renewal half written (new certificate, old key) is refused and the current connection kept
    writeFileSync(files.cert, ca.issue('client-live-3').certPem);
    await renewing.reload();
    expect(renewing.generation()).toBe(1);
    expect(made).toHaveLength(2);
    await renewing.close();
    expect(made[1]!.closed).toBe(true);
  });

  it('the API applies a renewed API key file in place (setApiKey), no new connection', async () => {
    const file = path.join(dir, 'api-key-live');
    writeFileSync(file, 'key-1');
    const { made, connect } = fakeConnections();
    const renewing = await connectRenewingTemporal({ settings: settings({ TEMPORAL_API_KEY_FILE: file }), logger: quiet, connect, watchIntervalMs: 20 });
    writeFileSync(file, 'key-2\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const deadline = Date.now() + 2000;
    while (made[0]!.apiKey !== 'key-2' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(made[0]!.apiKey).toBe('key-2');
    expect(made).toHaveLength(1);
    expect(renewing.generation()).toBe(0);
    await renewing.close();
  });
});

describeTls('connection errors say what to fix', () => {
  const grpc400 = Object.assign(new Error('Failed to connect to Temporal server'), { cause: new Error('13 INTERNAL: Received HTTP status code 400') });
  it('a refused client certificate names the variable and path; none at all says to set one', () => {
    const mtls = load({ TEMPORAL_TLS_CA: ca.cert, TEMPORAL_TLS_CERT: client.cert, TEMPORAL_TLS_KEY: client.key });
    const message = explainConnectError(grpc400, mtls).message;
    expect(message).toBe(
      `cannot connect to Temporal at 127.0.0.1:7233 (mTLS (CA from TEMPORAL_TLS_CA)): the server (or a proxy in front of it) refused the client certificate (TEMPORAL_TLS_CERT, ${client.cert}): is it signed by a CA the server trusts for clients? (Failed to connect to Temporal server: 13 INTERNAL: Received HTTP status code 400)`,
    );
    expect(explainConnectError(grpc400, load({ TEMPORAL_TLS_CA: ca.cert })).message).toContain('without a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY');
  });

  it('a server certificate without the name, from an unknown CA, or TLS against plaintext (from the handshake)', () => {
    const deadline = new Error('Failed to connect before the deadline');
    const named = load({ TEMPORAL_TLS_CA: ca.cert, TEMPORAL_TLS_SERVER_NAME: 'temporal.example.com' });
    expect(explainConnectError(deadline, named, "Hostname/IP does not match certificate's altnames: Host: temporal.example.com. is not in the cert's altnames: IP Address:127.0.0.1").message).toContain(
      `the server's certificate does not name "temporal.example.com": set TEMPORAL_TLS_SERVER_NAME to a name it holds`,
    );
    expect(explainConnectError(deadline, load({ TEMPORAL_TLS_CA: ca.cert }), 'unable to verify the first certificate').message).toContain(`not signed by a CA in TEMPORAL_TLS_CA, ${ca.cert}`);
    expect(explainConnectError(deadline, load({ TEMPORAL_TLS: 'true' }), 'self-signed certificate in certificate chain').message).toContain("the system's roots: set TEMPORAL_TLS_CA");
    expect(explainConnectError(deadline, load({ TEMPORAL_TLS: 'true' }), 'ssl3_get_record:wrong version number').message).toContain('is this a plaintext port');
    expect(explainConnectError(deadline, load({})).message).toBe('cannot connect to Temporal at 127.0.0.1:7233 (plaintext) (Failed to connect before the deadline)');
  });
});
