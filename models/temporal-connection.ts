/**
 * How every Parley process reaches Temporal: the API's client, the workers' native connection and the
 * scripts (rotate-keys, bench, dev). One place reads the settings, reads and checks the certificate and
 * key files, and builds the options both SDK connections take (`Connection.connect` of
 * @temporalio/client and `NativeConnection.connect` of @temporalio/worker accept the same `address`,
 * `tls`, `apiKey` and `metadata`).
 *
 * - Server-verified TLS: TEMPORAL_TLS=true, a private CA in TEMPORAL_TLS_CA (path) or TEMPORAL_TLS_CA_PEM
 *   (value; unset: the system's roots), TEMPORAL_TLS_SERVER_NAME when the certificate names another host.
 * - mTLS: TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY (paths) or TEMPORAL_TLS_CERT_PEM + TEMPORAL_TLS_KEY_PEM.
 * - Temporal Cloud API keys: TEMPORAL_API_KEY (value) or TEMPORAL_API_KEY_FILE (path); TLS turns on by
 *   default and every call carries the `temporal-namespace` header Cloud routes by.
 *
 * Any CA, certificate or key turns TLS on; TEMPORAL_TLS=false with one of them is refused as a
 * contradiction. Checks fail fast with an error naming the variable (and the path), never the key material:
 * unreadable file, not PEM, certificate expired or not yet valid, key not matching the certificate, a CA
 * that is not a CA. The paths are returned so that processes can watch them for renewals
 * (models/file-watch.ts).
 */
import type { TLSConfig } from '@temporalio/client';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, connect as tlsConnect } from 'node:tls';
import { z } from 'zod';

const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v === 'true' || v === '1'));
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/**
 * The connection settings' environment schema fields. Each process's config.ts lists them in its own
 * zod object (so the docker-compose test sees the names); values are checked by loadTemporalConnection.
 */
export const TEMPORAL_CONNECTION_ENV = {
  /** `true` turns TLS on (server verified with the system roots unless a CA is given); `false` refuses any TLS setting. */
  TEMPORAL_TLS: flag,
  /** PEM file of the CA(s) that signed the Temporal frontend's certificate. */
  TEMPORAL_TLS_CA: optionalText,
  /** The same, as the PEM text itself. */
  TEMPORAL_TLS_CA_PEM: optionalText,
  /** The name to verify in the server's certificate (and SNI) when it is not the host of TEMPORAL_ADDRESS. */
  TEMPORAL_TLS_SERVER_NAME: optionalText,
  /** mTLS: the client certificate (PEM file; a chain may follow it) and its private key. */
  TEMPORAL_TLS_CERT: optionalText,
  TEMPORAL_TLS_KEY: optionalText,
  TEMPORAL_TLS_CERT_PEM: optionalText,
  TEMPORAL_TLS_KEY_PEM: optionalText,
  /** Temporal Cloud API key, as a value or a file (re-read when it changes). */
  TEMPORAL_API_KEY: optionalText,
  TEMPORAL_API_KEY_FILE: optionalText,
} as const;

export const TemporalConnectionEnv = z.object(TEMPORAL_CONNECTION_ENV);
export type TemporalConnectionSettings = z.infer<typeof TemporalConnectionEnv> & { TEMPORAL_ADDRESS: string; TEMPORAL_NAMESPACE: string };

/** What Connection.connect and NativeConnection.connect both take, plus what to watch for renewals. */
export interface TemporalConnectionOptions {
  address: string;
  /** Absent: plain gRPC. */
  tls?: TLSConfig;
  apiKey?: string;
  /** Temporal Cloud routes API-key calls by this header. */
  metadata?: Record<string, string>;
  /** Files the options were read from (certificates, key, API key): a change means reconnect or re-key. */
  watchedFiles: string[];
  /** For logs: what kind of connection this is, with no secret in it. */
  summary: string;
  /** The client certificate's expiry, for logs and reload decisions. */
  certificateValidTo?: Date;
  /** Where the CA and the client certificate came from ("TEMPORAL_TLS_CERT, /path"), for connection errors. */
  from: { ca?: string; cert?: string };
}

/** A setting that cannot be used; the message names the variable and never holds key material. */
export class TemporalConnectionError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'TemporalConnectionError';
  }
}

interface Source {
  /** The variable the value came from, for errors. */
  variable: string;
  text: string;
  path?: string;
}

/** Reads a setting given as a path (`fileVar`) or as a value (`valueVar`); both set is an error. */
function source(settings: TemporalConnectionSettings, fileVar: keyof TemporalConnectionSettings, valueVar: keyof TemporalConnectionSettings): Source | undefined {
  const file = settings[fileVar] as string | undefined;
  const value = settings[valueVar] as string | undefined;
  if (file !== undefined && value !== undefined) throw new TemporalConnectionError(fileVar, `set either ${fileVar} (a path) or ${valueVar} (the value), not both`);
  if (value !== undefined) return { variable: valueVar, text: value };
  if (file === undefined) return undefined;
  try {
    return { variable: fileVar, text: readFileSync(file, 'utf8'), path: file };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new TemporalConnectionError(fileVar, `cannot read ${file} (${code})`);
  }
}

const where = (s: Source): string => (s.path ? ` (${s.path})` : '');
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Parses every certificate of a PEM text; checks each one's validity period against `now`. */
function certificates(s: Source, now: Date): X509Certificate[] {
  const blocks = s.text.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new TemporalConnectionError(s.variable, `not a PEM certificate${where(s)}: expected a "-----BEGIN CERTIFICATE-----" block`);
  return blocks.map((block) => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch (error) {
      throw new TemporalConnectionError(s.variable, `not a valid PEM certificate${where(s)}: ${(error as Error).message}`);
    }
    const subject = cert.subject.replace(/\n/g, ', ');
    if (new Date(cert.validTo).getTime() < now.getTime()) throw new TemporalConnectionError(s.variable, `the certificate "${subject}"${where(s)} expired on ${new Date(cert.validTo).toISOString()}`);
    if (new Date(cert.validFrom).getTime() > now.getTime()) throw new TemporalConnectionError(s.variable, `the certificate "${subject}"${where(s)} is not valid before ${new Date(cert.validFrom).toISOString()}`);
    return cert;
  });
}

function privateKey(s: Source): KeyObject {
  if (!/-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(s.text)) throw new TemporalConnectionError(s.variable, `not a PEM private key${where(s)}: expected a "-----BEGIN PRIVATE KEY-----" block`);
  try {
    return createPrivateKey(s.text);
  } catch {
    // The parser's message could quote the input: say only that it failed.
    throw new TemporalConnectionError(s.variable, `the private key${where(s)} cannot be parsed (encrypted keys are not supported)`);
  }
}

/** `host` of `host:port` / `[v6]:port`. */
export function addressHost(address: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(address);
  if (v6) return v6[1]!;
  return address.replace(/:\d+$/, '');
}

/**
 * Reads and checks the settings; returns the SDK connection options. Throws TemporalConnectionError
 * naming the variable at the first problem. `now` is for tests.
 */
export function loadTemporalConnection(settings: TemporalConnectionSettings, now: Date = new Date()): TemporalConnectionOptions {
  const watchedFiles: string[] = [];
  const watch = (s: Source | undefined): Source | undefined => {
    if (s?.path) watchedFiles.push(s.path);
    return s;
  };
  const ca = watch(source(settings, 'TEMPORAL_TLS_CA', 'TEMPORAL_TLS_CA_PEM'));
  const cert = watch(source(settings, 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_CERT_PEM'));
  const key = watch(source(settings, 'TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_KEY_PEM'));
  const apiKeySource = watch(source(settings, 'TEMPORAL_API_KEY_FILE', 'TEMPORAL_API_KEY'));

  const tlsSetting = ca ?? cert ?? key ?? (settings.TEMPORAL_TLS_SERVER_NAME ? { variable: 'TEMPORAL_TLS_SERVER_NAME' } : undefined);
  if (settings.TEMPORAL_TLS === false && tlsSetting) throw new TemporalConnectionError('TEMPORAL_TLS', `is false but ${tlsSetting.variable} is set: remove one of them`);
  if (cert && !key) throw new TemporalConnectionError('TEMPORAL_TLS_KEY', `a client certificate (${cert.variable}) needs its private key: set TEMPORAL_TLS_KEY or TEMPORAL_TLS_KEY_PEM`);
  if (key && !cert) throw new TemporalConnectionError('TEMPORAL_TLS_CERT', `a private key (${key.variable}) needs its client certificate: set TEMPORAL_TLS_CERT or TEMPORAL_TLS_CERT_PEM`);

  let apiKey: string | undefined;
  if (apiKeySource) {
    apiKey = apiKeySource.text.trim();
    if (apiKey === '' || /\s/.test(apiKey)) throw new TemporalConnectionError(apiKeySource.variable, `${apiKey === '' ? 'is empty' : 'holds whitespace'}${where(apiKeySource)}: expected one API key`);
  }

  // API keys travel as bearer tokens, so they turn TLS on unless TEMPORAL_TLS=false says otherwise (a
  // local TLS-terminating proxy); this is also the SDK's own default when an apiKey is given.
  const tlsOn = settings.TEMPORAL_TLS ?? (tlsSetting !== undefined || apiKey !== undefined);
  const from = (src: Source | undefined): string | undefined => src && `${src.variable}${src.path ? `, ${src.path}` : ''}`;
  const options: TemporalConnectionOptions = { address: settings.TEMPORAL_ADDRESS, watchedFiles, summary: 'plaintext', from: { ca: from(ca), cert: from(cert) } };
  if (tlsOn) {
    const tls: TLSConfig = {};
    if (ca) {
      for (const c of certificates(ca, now)) {
        if (!c.ca) throw new TemporalConnectionError(ca.variable, `the certificate "${c.subject.replace(/\n/g, ', ')}"${where(ca)} is not a CA (no basicConstraints CA:TRUE): give the CA that signed the server's certificate, not the server's certificate`);
      }
      tls.serverRootCACertificate = Buffer.from(ca.text);
    }
    if (cert && key) {
      const [leaf] = certificates(cert, now);
      const pk = privateKey(key);
      if (!leaf!.checkPrivateKey(pk)) throw new TemporalConnectionError(key.variable, `the private key${where(key)} does not belong to the certificate in ${cert.variable}${where(cert)}`);
      options.certificateValidTo = new Date(leaf!.validTo);
      tls.clientCertPair = { crt: Buffer.from(cert.text), key: Buffer.from(key.text) };
    }
    if (settings.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = settings.TEMPORAL_TLS_SERVER_NAME;
    options.tls = tls;
    options.summary = `${cert ? 'mTLS' : 'TLS'} (${ca ? `CA from ${ca.variable}` : 'system CAs'}${tls.serverNameOverride ? `, server name ${tls.serverNameOverride}` : ''})`;
  }
  if (apiKey !== undefined) {
    options.apiKey = apiKey;
    options.metadata = { 'temporal-namespace': settings.TEMPORAL_NAMESPACE };
    options.summary += ` with an API key from ${apiKeySource!.variable}`;
  }
  return options;
}

/** Whether two option sets differ only in the API key (which both SDK connections can change in place). */
export function onlyApiKeyChanged(before: TemporalConnectionOptions, after: TemporalConnectionOptions): boolean {
  const strip = (o: TemporalConnectionOptions) =>
    JSON.stringify({
      address: o.address,
      tls: o.tls && { ...o.tls, serverRootCACertificate: o.tls.serverRootCACertificate?.toString(), clientCertPair: o.tls.clientCertPair && { crt: o.tls.clientCertPair.crt.toString(), key: o.tls.clientCertPair.key.toString() } },
      metadata: o.metadata,
    });
  return strip(before) === strip(after);
}

/**
 * The options Connection.connect and NativeConnection.connect take (the same four), from checked
 * settings. Plaintext when no TLS setting or API key is given, as before these settings existed.
 */
export function sdkConnectionOptions(o: TemporalConnectionOptions): { address: string; tls?: TLSConfig; apiKey?: string; metadata?: Record<string, string> } {
  return { address: o.address, ...(o.tls ? { tls: o.tls } : {}), ...(o.apiKey !== undefined ? { apiKey: o.apiKey } : {}), ...(o.metadata ? { metadata: o.metadata } : {}) };
}

/**
 * For scripts that connect once (rotate-keys, bench, dev): the settings read from `env`, checked.
 * `address` / `namespace` override TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE.
 */
export function temporalConnectionFromEnv(env: NodeJS.ProcessEnv, overrides: { address?: string; namespace?: string } = {}): TemporalConnectionOptions {
  const parsed = TemporalConnectionEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TemporalConnectionError(issue.path.join('.'), issue.message);
  }
  return loadTemporalConnection({
    ...parsed.data,
    TEMPORAL_ADDRESS: overrides.address ?? env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    TEMPORAL_NAMESPACE: overrides.namespace ?? env.TEMPORAL_NAMESPACE ?? 'default',
  });
}

/** The messages of an error and its causes, joined (the SDKs wrap the transport's error). */
function messages(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error && parts.length < 5; e = e.cause) parts.push(e.message);
  return parts.length > 0 ? parts.join(': ') : String(error);
}

/**
 * A failed connect, said plainly: where to, with what, and the likely setting to fix when the transport's
 * message shows it (a refused client certificate, an untrusted or misnamed server certificate, TLS against
 * a plaintext port). The SDKs' own "Failed to connect to Temporal server" names none of these.
 */
export function explainConnectError(error: unknown, options: TemporalConnectionOptions, handshake?: string): Error {
  const text = handshake ? `${messages(error)}: TLS handshake: ${handshake}` : messages(error);
  const host = options.tls?.serverNameOverride ?? addressHost(options.address);
  let hint: string | undefined;
  if (/status(?: code)?:? 400|unknown ca|certificate required|bad certificate|certificate_required|alert number 4[0-9]|peer sent fatal alert/i.test(text) && options.tls) {
    hint = options.from.cert
      ? `the server (or a proxy in front of it) refused the client certificate (${options.from.cert}): is it signed by a CA the server trusts for clients?`
      : 'the server (or a proxy in front of it) refused the connection without a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (mTLS)';
  } else if (/altname|not valid for name|NotValidForName|does not match certificate|Hostname\/IP does not match/i.test(text)) {
    hint = `the server's certificate does not name "${host}": set TEMPORAL_TLS_SERVER_NAME to a name it holds`;
  } else if (/self[- ]signed|unable to verify|unable to get local issuer|UnknownIssuer|invalid peer certificate|certificate verify failed/i.test(text)) {
    hint = `the server's certificate is not signed by a CA in ${options.from.ca ?? "the system's roots"}${options.from.ca ? '' : ': set TEMPORAL_TLS_CA to the CA that signed it'}`;
  } else if (/wrong version number|packet length too long|InvalidContentType|corrupt message|http\/1|frame of type|compression flag/i.test(text)) {
    hint = options.tls ? 'the server does not answer TLS here: is this a plaintext port (then unset TEMPORAL_TLS and the TLS files)?' : 'the server expects TLS: set TEMPORAL_TLS=true (and TEMPORAL_TLS_CA for a private CA)';
  }
  return new Error(`cannot connect to Temporal at ${options.address} (${options.summary})${hint ? `: ${hint}` : ''} (${text})`, { cause: error });
}

/**
 * Opens a TLS connection the way the SDK would (CA, client pair, server name, ALPN h2) and returns why the
 * handshake failed, or undefined when it succeeded. The SDKs often report only "Failed to connect before
 * the deadline"; Node's TLS names the cause (a certificate that does not hold the name, an unknown issuer,
 * a plaintext port).
 */
export function probeTlsHandshake(options: TemporalConnectionOptions, timeoutMs = 5000): Promise<string | undefined> {
  const tls = options.tls;
  if (!tls) return Promise.resolve(undefined);
  const host = addressHost(options.address);
  const port = Number(/:(\d+)$/.exec(options.address)?.[1] ?? 7233);
  const name = tls.serverNameOverride ?? host;
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host,
      port,
      ...(isIP(name) ? {} : { servername: name }),
      ALPNProtocols: ['h2'],
      ...(tls.serverRootCACertificate ? { ca: Buffer.from(tls.serverRootCACertificate) } : {}),
      ...(tls.clientCertPair ? { cert: Buffer.from(tls.clientCertPair.crt), key: Buffer.from(tls.clientCertPair.key) } : {}),
      checkServerIdentity: (_host, cert) => checkServerIdentity(name, cert),
    });
    const done = (reason: string | undefined): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no TLS answer in ${timeoutMs} ms`));
    socket.once('secureConnect', () => done(undefined));
    socket.once('error', (error) => done(error.message));
  });
}

/** explainConnectError, with the TLS handshake's own reason when TLS is on. */
export async function connectFailure(error: unknown, options: TemporalConnectionOptions): Promise<Error> {
  const handshake = await probeTlsHandshake(options).catch(() => undefined);
  return explainConnectError(error, options, handshake);
}
