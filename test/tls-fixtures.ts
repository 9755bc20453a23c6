/**
 * Throwaway certificates for TLS tests, made with the openssl command (Debian's openssl package): CAs,
 * server and client certificates (EC P-256, PEM, PKCS#8 keys), with any validity period, including ones
 * already expired or not yet valid (`openssl ca -startdate/-enddate`, which `openssl x509` cannot do).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

export interface Issued {
  cert: string;
  key: string;
  /** The PEM texts. */
  certPem: string;
  keyPem: string;
}

export interface TestCa extends Issued {
  /** Signs a leaf certificate (serverAuth and clientAuth), valid from a day ago for a day unless told. */
  issue(name: string, options?: { san?: string[]; notBefore?: Date; notAfter?: Date; isCa?: boolean }): Issued;
}

const openssl = (args: string[], cwd: string): void => {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
};
/** openssl ca's date format: YYYYMMDDHHMMSSZ. */
const asn1 = (date: Date): string => date.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
const DAY = 86_400_000;

/** A self-signed CA in `dir/<name>/`, with CA:TRUE basic constraints. */
export function createCa(dir: string, name: string): TestCa {
  const home = path.join(dir, name);
  mkdirSync(path.join(home, 'issued'), { recursive: true });
  writeFileSync(path.join(home, 'index.txt'), '');
  writeFileSync(path.join(home, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`);
  writeFileSync(
    path.join(home, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = parley',
      '[parley]',
      `database = ${path.join(home, 'index.txt')}`,
      `new_certs_dir = ${path.join(home, 'issued')}`,
      `serial = ${path.join(home, 'serial')}`,
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      'email_in_dn = no',
      '[any]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  const cert = path.join(home, 'ca.pem');
  const key = path.join(home, 'ca.key');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], home);
  const ca: TestCa = {
    cert,
    key,
    certPem: readFileSync(cert, 'utf8'),
    keyPem: readFileSync(key, 'utf8'),
    issue(leaf, options = {}) {
      const base = path.join(home, leaf);
      const now = Date.now();
      const extensions = [
        '[v3]',
        `basicConstraints = critical,CA:${options.isCa ? 'TRUE' : 'FALSE'}`,
        options.isCa ? 'keyUsage = critical,keyCertSign,cRLSign' : 'keyUsage = critical,digitalSignature,keyEncipherment',
        ...(options.isCa ? [] : ['extendedKeyUsage = serverAuth,clientAuth']),
        ...(options.san?.length ? [`subjectAltName = ${options.san.join(',')}`] : []),
        '',
      ];
      writeFileSync(`${base}.ext`, extensions.join('\n'));
      openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${leaf}`], home);
      openssl(
        ['ca', '-batch', '-notext', '-config', path.join(home, 'ca.cnf'), '-cert', cert, '-keyfile', key, '-in', `${base}.csr`, '-out', `${base}.pem`,
          '-startdate', asn1(options.notBefore ?? new Date(now - DAY)), '-enddate', asn1(options.notAfter ?? new Date(now + DAY)), '-extfile', `${base}.ext`, '-extensions', 'v3'],
        home,
      );
      return { cert: `${base}.pem`, key: `${base}.key`, certPem: readFileSync(`${base}.pem`, 'utf8'), keyPem: readFileSync(`${base}.key`, 'utf8') };
    },
  };
  return ca;
}
