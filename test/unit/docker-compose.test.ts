/**
 * Structure of the Docker set-up (docker-compose.yml + Dockerfile), checked without a Docker engine.
 *
 * What the stack must do on `docker compose up`: PostgreSQL (healthy) -> Temporal (healthy) -> a one-shot
 * job registering Parley's search attributes -> several API instances and several workers (also after
 * MongoDB is healthy) -> a load balancer in front of every API instance (deploy/nginx.conf.template).
 * Every instance shares one Temporal, one task queue, one MongoDB and the same required secrets. The env
 * var names, search attributes and entry points are read from the source (api/config.ts, worker/config.ts,
 * models/temporal-names.ts, package.json), so renaming one there without updating the compose file fails
 * here. When a `docker-compose` binary is on PATH the file is also validated by it (no daemon needed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const read = (relative: string): string => readFileSync(path.join(ROOT, relative), 'utf8');

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: (string | number | { target?: number | string; published?: number | string })[];
  restart?: string;
  networks?: string[] | Record<string, unknown>;
  network_mode?: string;
}
interface ComposeFile {
  version?: unknown;
  services: Record<string, Service>;
  networks?: Record<string, { internal?: boolean; external?: unknown } | null>;
}

const compose = YAML.parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
const services = compose.services ?? {};
const dockerfile = read('Dockerfile');

/** The services the product needs; see DESIGN.md "Processes" and INFRA.md. */
const REQUIRED_SERVICES = ['postgresql', 'temporal', 'temporal-admin-tools', 'temporal-ui', 'mongo'];
const SEARCH_ATTRIBUTE_JOB = 'temporal-admin-tools';
/** Scale-out (README "Scaling out"): instances are `api-<n>` and `worker-<n>`, behind one load balancer. */
const API_INSTANCES = Object.keys(services).filter((name) => /^api-\d+$/.test(name));
const WORKER_INSTANCES = Object.keys(services).filter((name) => /^worker-\d+$/.test(name));
const INSTANCES = [...API_INSTANCES, ...WORKER_INSTANCES];
const LOAD_BALANCER = 'api-lb';
const NGINX_TEMPLATE = 'deploy/nginx.conf.template';
/** Settings every API instance and worker must agree on (one deployment). */
const SHARED_ENV = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TASK_QUEUE', 'MONGODB_URI', 'PARLEY_SECRET_KEYS', 'PARLEY_PAYLOAD_KEYS'];
/** Secrets with no safe default: compose must refuse to start without them (`${NAME:?message}`). */
const REQUIRED_SECRETS = { all: ['PARLEY_SECRET_KEYS', 'PARLEY_PAYLOAD_KEYS'], api: ['PARLEY_JWT_SECRET', 'CODEC_AUTH_TOKEN'] };

function service(name: string): Service {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/** depends_on in either the list form (condition service_started) or the map form. */
function dependsOn(svc: Service): Record<string, string> {
  const raw = svc.depends_on;
  if (!raw) return {};
  if (Array.isArray(raw)) return Object.fromEntries(raw.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(raw).map(([name, spec]) => [name, spec?.condition ?? 'service_started']));
}

/** environment in either the map form or the list (`KEY=value`) form. */
function environment(svc: Service): Record<string, string> {
  const raw = svc.environment;
  if (!raw) return {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(
      raw.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, value == null ? '' : String(value)]));
}

function asText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(' ') : (value ?? '');
}

/** Container ports published to the host, as `host -> container`. */
function publishedPorts(svc: Service): { host: number; container: number }[] {
  return (svc.ports ?? []).flatMap((port) => {
    if (typeof port === 'object') {
      return port.published === undefined ? [] : [{ host: Number(port.published), container: Number(port.target) }];
    }
    const parts = String(port).split('/')[0]!.split(':');
    if (parts.length < 2) return []; // a bare container port is published on a random host port
    return [{ host: Number(parts[parts.length - 2]), container: Number(parts[parts.length - 1]) }];
  });
}

interface EnvKey {
  name: string;
  /** The schema's default, when it is a string or integer literal. */
  defaultValue?: string;
}

/** Keys of the zod object that a config module parses `process.env` with, read from its source text. */
function configKeys(relative: string): EnvKey[] {
  const source = read(relative);
  const start = source.indexOf('z.object({');
  const end = source.indexOf('\n});', start);
  if (start < 0 || end < 0) throw new Error(`${relative}: no z.object({ ... }) environment schema found`);
  const body = source.slice(start, end);
  const keys: EnvKey[] = [];
  for (const match of body.matchAll(/^\s+([A-Z][A-Z0-9_]*):(.*)$/gm)) {
    const found = /\.default\(\s*(?:'([^']*)'|(\d+))\s*\)/.exec(match[2]!);
    const defaultValue = found?.[1] ?? found?.[2];
    keys.push({ name: match[1]!, defaultValue });
  }
  if (keys.length === 0) throw new Error(`${relative}: no environment keys found`);
  return keys;
}

/** Search attributes the workflows set, from models/temporal-names.ts: name -> CLI type (Keyword, Int...). */
function workflowSearchAttributes(): Map<string, string> {
  const cliType: Record<string, string> = {
    KEYWORD: 'Keyword',
    TEXT: 'Text',
    INT: 'Int',
    DOUBLE: 'Double',
    BOOL: 'Bool',
    DATETIME: 'Datetime',
    KEYWORD_LIST: 'KeywordList',
  };
  const found = new Map<string, string>();
  for (const match of read('models/temporal-names.ts').matchAll(/defineSearchAttributeKey\(\s*'(\w+)'\s*,\s*'(\w+)'\s*\)/g)) {
    found.set(match[1]!, cliType[match[2]!] ?? match[2]!);
  }
  return found;
}

/** The shell script a service runs: entrypoint + command joined. */
function script(svc: Service): string {
  return `${asText(svc.entrypoint)}\n${asText(svc.command)}`;
}

/** Compose interpolation: `$$` is a literal `$` in the container. */
const unescapeDollars = (text: string): string => text.replace(/\$\$/g, '$');

/** The networks a service joins, in either the list or the map form (`default` when it names none). */
function networksOf(svc: Service): string[] {
  const raw = svc.networks;
  if (!raw) return ['default'];
  return Array.isArray(raw) ? raw.map(String) : Object.keys(raw);
}

/** Networks two services share. */
const sharedNetworks = (a: string, b: string): string[] => networksOf(service(a)).filter((net) => networksOf(service(b)).includes(net));

/** Whether a declared network is `internal: true` (no route out). */
const isInternal = (net: string): boolean => compose.networks?.[net]?.internal === true;

/**
 * `${NAME:-default}` / `${NAME-default}`: the value compose gives when NAME is not set; the text itself
 * when it is no interpolation of NAME.
 */
function unsetValue(text: string | undefined, name: string): string | undefined {
  if (text === undefined) return undefined;
  const match = new RegExp(`^\\$\\{${name}:?-([^}]*)\\}$`).exec(text);
  return match ? match[1] : text;
}

interface DenyEntry {
  host: string;
  from: number;
  to: number;
}

/** OUTBOUND_DENYLIST's `host:port` / `host:lo-hi` entries (comma- or space-separated). */
function denyEntries(text: string | undefined): DenyEntry[] {
  return (text ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => {
      const match = /^(\[[^\]]+\]|[^:]+):(\d+)(?:-(\d+))?$/.exec(entry);
      if (!match) throw new Error(`OUTBOUND_DENYLIST entry "${entry}" is not host:port or host:lo-hi`);
      return { host: match[1]!, from: Number(match[2]), to: Number(match[3] ?? match[2]) };
    });
}

const denies = (entries: DenyEntry[], host: string, port: number): boolean => entries.some((e) => e.host === host && e.from <= port && port <= e.to);

describe('docker-compose.yml', () => {
  it('uses the Compose Specification (no top-level version key) so depends_on conditions are allowed', () => {
    expect(compose.version).toBeUndefined();
  });

  it('has every service of the stack, with at least two API instances and two workers behind a load balancer', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining([...REQUIRED_SERVICES, LOAD_BALANCER]));
    expect(API_INSTANCES.length).toBeGreaterThanOrEqual(2);
    expect(WORKER_INSTANCES.length).toBeGreaterThanOrEqual(2);
    // no single, unnumbered api / worker service left beside the instances
    expect(Object.keys(services)).not.toContain('api');
    expect(Object.keys(services)).not.toContain('worker');
  });

  it('pins every image to a specific tag (never latest, never untagged)', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (svc.build) continue;
      expect({ name, image: svc.image }).toEqual({ name, image: expect.stringMatching(/^[^:@\s]+(:[\w.-]*\d[\w.-]*|@sha256:[0-9a-f]{64})$/) });
      expect({ name, image: svc.image }).not.toEqual({ name, image: expect.stringMatching(/:latest$/) });
    }
  });

  it('builds every API instance and worker from the repository Dockerfile (one image, two roles)', () => {
    expect(new Set(INSTANCES.map((name) => service(name).image)).size).toBe(1);
    for (const name of INSTANCES) {
      const build = service(name).build;
      expect({ name, build }).toEqual({ name, build: expect.anything() });
      const context = typeof build === 'string' ? build : (build?.context ?? '.');
      const file = typeof build === 'string' ? 'Dockerfile' : (build?.dockerfile ?? 'Dockerfile');
      expect(existsSync(path.join(ROOT, context, file))).toBe(true);
      expect(path.resolve(ROOT, context, file)).toBe(path.join(ROOT, 'Dockerfile'));
    }
  });

  it('starts every instance only once temporal and mongo are healthy and the search attributes are registered', () => {
    for (const name of INSTANCES) {
      expect({ name, dependsOn: dependsOn(service(name)) }).toEqual({
        name,
        dependsOn: expect.objectContaining({
          temporal: 'service_healthy',
          mongo: 'service_healthy',
          [SEARCH_ATTRIBUTE_JOB]: 'service_completed_successfully',
        }),
      });
    }
    expect(dependsOn(service('temporal'))).toEqual(expect.objectContaining({ postgresql: 'service_healthy' }));
    expect(dependsOn(service(SEARCH_ATTRIBUTE_JOB))).toEqual(expect.objectContaining({ temporal: 'service_healthy' }));
  });

  it('gives a healthcheck to every service another one waits on as service_healthy', () => {
    const waitedOn = new Set<string>();
    for (const [name, svc] of Object.entries(services)) {
      for (const [target, condition] of Object.entries(dependsOn(svc))) {
        expect({ name, dependsOn: target, exists: target in services }).toEqual({ name, dependsOn: target, exists: true });
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
        if (condition === 'service_healthy') waitedOn.add(target);
      }
    }
    expect([...waitedOn]).toEqual(expect.arrayContaining(['postgresql', 'temporal', 'mongo']));
    for (const target of waitedOn) {
      const check = services[target]!.healthcheck;
      expect({ service: target, disabled: check?.disable === true, test: asText(check?.test).trim() }).toEqual({
        service: target,
        disabled: false,
        test: expect.stringMatching(/\S/),
      });
    }
  });

  it('health-checks each server the way it can answer', () => {
    expect(asText(service('postgresql').healthcheck?.test)).toContain('pg_isready');
    expect(asText(service('temporal').healthcheck?.test)).toMatch(/temporal operator cluster health|tctl .*cluster health/);
    expect(asText(service('mongo').healthcheck?.test)).toMatch(/mongosh.*ping/);
    for (const name of API_INSTANCES) {
      expect({ name, check: asText(service(name).healthcheck?.test) }).toEqual({ name, check: expect.stringMatching(/fetch\(.*\/healthz/) });
    }
    // the load balancer is healthy when an API instance answers through it
    expect(asText(service(LOAD_BALANCER).healthcheck?.test)).toMatch(/127\.0\.0\.1:3000\/healthz/);
    expect(read('api/app.ts')).toMatch(/app\.get\(\s*'\/healthz'/);
  });

  it('runs the search-attribute job once (no restart loop) and registers every attribute the workflows set', () => {
    const job = service(SEARCH_ATTRIBUTE_JOB);
    expect(job.image).toMatch(/^temporalio\/admin-tools:/);
    expect(['no', undefined]).toContain(job.restart);
    const text = unescapeDollars(script(job));
    expect(text).toContain('temporal operator search-attribute create');
    expect(environment(job).TEMPORAL_ADDRESS ?? text).toMatch(/\btemporal:7233\b/);

    const attributes = workflowSearchAttributes();
    // DESIGN.md: conversations are findable by these four keywords.
    expect([...attributes.keys()]).toEqual(
      expect.arrayContaining(['ParleyAccountId', 'ParleyBotId', 'ParleyStatus', 'ParleyChannel']),
    );
    for (const [name, type] of attributes) {
      const registered =
        new RegExp(`--name[ =]+"?${name}"?\\s+--type[ =]+"?${type}\\b`).test(text) || // explicit create
        new RegExp(`^\\s*\\w+\\s+${name}\\s+${type}\\s*$`, 'm').test(text); // helper(name, type) line
      expect({ name, type, registered }).toEqual({ name, type, registered: true });
    }
  });

  it('publishes the API (3000, the load balancer), Temporal frontend (7233) and Temporal Web UI (8233 -> 8080)', () => {
    const published = Object.values(services).flatMap(publishedPorts);
    expect(published.map((p) => p.host)).toEqual(expect.arrayContaining([3000, 7233, 8233]));
    // each host port once: instances publish nothing, so any number of them fits
    expect(new Set(published.map((p) => p.host)).size).toBe(published.length);
    expect(publishedPorts(service('temporal'))).toContainEqual({ host: 7233, container: 7233 });
    expect(publishedPorts(service('temporal-ui'))).toContainEqual({ host: 8233, container: 8080 });
    expect(publishedPorts(service(LOAD_BALANCER))).toContainEqual({ host: 3000, container: 3000 });
    for (const name of INSTANCES) expect({ name, ports: service(name).ports ?? [] }).toEqual({ name, ports: [] });
    for (const name of API_INSTANCES) {
      const apiPort = Number(environment(service(name)).PORT);
      expect(asText(service(name).healthcheck?.test)).toContain(`localhost:${apiPort}/healthz`);
    }
    expect(environment(service('temporal-ui')).TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  describe('load balancer', () => {
    const lb = (): Service => service(LOAD_BALANCER);
    const template = (): string => read(NGINX_TEMPLATE).replace(/#.*$/gm, '');
    /** nginx `server { ... }` blocks by their listen port (blocks are not nested deeper than one level here). */
    const serverBlocks = (): Map<number, string> => {
      const blocks = new Map<number, string>();
      for (const match of template().matchAll(/^server\s*\{([\s\S]*?)^\}/gm)) {
        const port = /^\s*listen\s+(?:[\d.]+:)?(\d+)\s*;/m.exec(match[1]!)?.[1];
        if (port) blocks.set(Number(port), match[1]!);
      }
      return blocks;
    };

    it('is a pinned nginx image that renders the repository template at start', () => {
      expect(lb().image).toMatch(/^nginx:\d/);
      const mounts = ((lb() as { volumes?: string[] }).volumes ?? []).map(String);
      expect(mounts).toContainEqual(expect.stringMatching(new RegExp(`^\\./${NGINX_TEMPLATE.replace('.', '\\.')}:/etc/nginx/templates/[\\w.-]+\\.conf\\.template(:ro)?$`)));
    });

    it('waits for every API instance to be healthy', () => {
      const deps = dependsOn(lb());
      for (const name of API_INSTANCES) expect({ name, condition: deps[name] }).toEqual({ name, condition: 'service_healthy' });
    });

    it('routes port 3000 to every API instance, and to nothing else', () => {
      const upstream = /upstream\s+(\w+)\s*\{([^}]*)\}/.exec(template());
      expect(upstream).not.toBeNull();
      const [, name, body] = upstream!;
      const targets = [...body!.matchAll(/^\s*server\s+([\w.-]+):(\d+)\b/gm)].map((m) => `${m[1]}:${m[2]}`);
      expect(targets.sort()).toEqual(API_INSTANCES.map((api) => `${api}:${environment(service(api)).PORT}`).sort());
      const front = serverBlocks().get(3000);
      expect(front).toBeDefined();
      expect(front).toMatch(new RegExp(`location\\s+/\\s*\\{[^}]*proxy_pass\\s+http://${name};`));
      // a POST that reached an instance is never resent to another one by the proxy
      expect(front).not.toMatch(/non_idempotent/);
      // long waits (REPLY_WAIT_MS) and event streams go through unbuffered
      expect(front).toMatch(/proxy_buffering\s+off;/);
    });

    it('serves the codec endpoint for the Web UI on the host loopback only, adding the operator token', () => {
      expect(service(LOAD_BALANCER).ports).toContain('127.0.0.1:8234:8234');
      const codec = serverBlocks().get(8234);
      expect(codec).toMatch(/location\s+\/codec\/\s*\{[^}]*proxy_set_header\s+Authorization\s+"Bearer \$\{CODEC_AUTH_TOKEN\}";/);
      // the template is rendered with that one variable only; nginx's own $variables stay
      expect(new RegExp(environment(lb()).NGINX_ENVSUBST_FILTER!.replace(/\$\$/g, '$')).test('CODEC_AUTH_TOKEN')).toBe(true);
      expect(new RegExp(environment(lb()).NGINX_ENVSUBST_FILTER!.replace(/\$\$/g, '$')).test('HOSTNAME')).toBe(false);
      expect(environment(lb()).CODEC_AUTH_TOKEN).toBe(environment(service(API_INSTANCES[0]!)).CODEC_AUTH_TOKEN);
      // the Web UI's browser calls it, and the API lets that origin in
      expect(environment(service('temporal-ui')).TEMPORAL_CODEC_ENDPOINT).toBe('http://localhost:8234/codec');
      for (const name of API_INSTANCES) expect(environment(service(name)).CODEC_CORS_ORIGINS?.split(',')).toContain('http://localhost:8233');
    });

    it('makes every API instance believe the load balancer\'s X-Forwarded-For (per-client limits), and no one else\'s', () => {
      for (const name of API_INSTANCES) {
        const trusted = environment(service(name)).TRUST_PROXY?.split(',').map((part) => part.trim());
        expect(trusted).toEqual(expect.arrayContaining(['uniquelocal']));
        expect(trusted).not.toContain('true');
      }
      expect(serverBlocks().get(3000)).toMatch(/proxy_set_header\s+X-Forwarded-For\s+\$proxy_add_x_forwarded_for;/);
    });
  });

  describe('networks (issue 17: the tenant-steered workers reach only Temporal, MongoDB and the internet)', () => {
    /** What a worker must never share a network with: the Web UI, the codec listener (api-lb), Temporal's database, the APIs. */
    const OFF_LIMITS = ['temporal-ui', LOAD_BALANCER, 'postgresql', ...API_INSTANCES];

    it('puts every service on networks it names, each one declared', () => {
      for (const [name, svc] of Object.entries(services)) {
        expect({ name, networkMode: svc.network_mode }).toEqual({ name, networkMode: undefined });
        const nets = networksOf(svc);
        expect({ name, nets }).not.toEqual({ name, nets: ['default'] });
        for (const net of nets) expect({ name, net, declared: net in (compose.networks ?? {}) }).toEqual({ name, net, declared: true });
      }
    });

    it('keeps the workers off every network of the Web UI, api-lb (the codec listener), PostgreSQL and the API instances', () => {
      expect(WORKER_INSTANCES.length).toBeGreaterThan(0);
      for (const worker of WORKER_INSTANCES) {
        for (const other of OFF_LIMITS) expect({ worker, other, shared: sharedNetworks(worker, other) }).toEqual({ worker, other, shared: [] });
      }
    });

    it('lets the workers reach temporal and mongo on an internal network, and the internet on one of their own', () => {
      for (const worker of WORKER_INSTANCES) {
        for (const target of ['temporal', 'mongo']) {
          const shared = sharedNetworks(worker, target);
          expect({ worker, target, shared: shared.length > 0 }).toEqual({ worker, target, shared: true });
          expect({ worker, target, internal: shared.every(isInternal) }).toEqual({ worker, target, internal: true });
        }
        const egress = networksOf(service(worker)).filter((net) => !isInternal(net));
        expect({ worker, egress: egress.length }).toEqual({ worker, egress: 1 });
        // only workers are on the way out they use
        const onEgress = Object.keys(services).filter((name) => networksOf(service(name)).includes(egress[0]!));
        expect(onEgress.sort()).toEqual([...WORKER_INSTANCES].sort());
      }
    });

    it('connects every other service to what it needs', () => {
      const needs: [string, string][] = [
        ...API_INSTANCES.flatMap((api) => [[api, 'temporal'], [api, 'mongo'], [LOAD_BALANCER, api]] as [string, string][]),
        ['temporal-ui', 'temporal'],
        ['temporal', 'postgresql'],
        [SEARCH_ATTRIBUTE_JOB, 'temporal'],
      ];
      for (const [from, to] of needs) expect({ from, to, shared: sharedNetworks(from, to).length > 0 }).toEqual({ from, to, shared: true });
      // depends_on implies a connection too (a service waits only on what it talks to)
      for (const [name, svc] of Object.entries(services)) {
        for (const target of Object.keys(dependsOn(svc))) {
          if (target === SEARCH_ATTRIBUTE_JOB) continue; // a one-shot job waited for, never called
          expect({ name, target, shared: sharedNetworks(name, target).length > 0 }).toEqual({ name, target, shared: true });
        }
      }
    });

    it('gives no route out to what needs none (databases, API instances), and a published port a network Docker can publish it through', () => {
      for (const name of ['postgresql', 'mongo', ...API_INSTANCES]) {
        expect({ name, open: networksOf(service(name)).filter((net) => !isInternal(net)) }).toEqual({ name, open: [] });
      }
      // Docker publishes nothing for a container whose networks are all internal
      for (const [name, svc] of Object.entries(services)) {
        if (publishedPorts(svc).length === 0) continue;
        expect({ name, open: networksOf(svc).some((net) => !isInternal(net)) }).toEqual({ name, open: true });
      }
    });

    it('binds Temporal on every network it is on (not only the address its host name resolves to)', () => {
      expect(networksOf(service('temporal')).length).toBeGreaterThan(1);
      expect(environment(service('temporal')).BIND_ON_IP).toBe('0.0.0.0');
    });

    describe('outbound lists', () => {
      const env = (): Record<string, string> => environment(service(WORKER_INSTANCES[0]!));
      const deny = (): DenyEntry[] => denyEntries(env().OUTBOUND_DENYLIST);

      it('are the same on every API instance and worker', () => {
        for (const key of ['OUTBOUND_ALLOWLIST', 'OUTBOUND_DENYLIST', 'OUTBOUND_PUBLIC_PORTS']) {
          const values = new Set(INSTANCES.map((name) => environment(service(name))[key]));
          expect({ key, values: [...values] }).toEqual({ key, values: [expect.any(String)] });
        }
      });

      it('allow nothing private by default (OUTBOUND_ALLOWLIST empty unless the operator sets it), public https on 443', () => {
        expect(env().OUTBOUND_ALLOWLIST).toMatch(/^\$\{OUTBOUND_ALLOWLIST:?-\}$/);
        expect(unsetValue(env().OUTBOUND_ALLOWLIST, 'OUTBOUND_ALLOWLIST')).toBe('');
        expect(unsetValue(env().OUTBOUND_PUBLIC_PORTS, 'OUTBOUND_PUBLIC_PORTS')).toBe('443');
      });

      it('deny the Web UI, the codec listener, the API, the databases and the whole Temporal container', () => {
        const entries = deny();
        const must: [string, number][] = [
          ['temporal-ui', 8080],
          [LOAD_BALANCER, 8234], // the codec listener: decrypts payloads with the operator token
          [LOAD_BALANCER, 3000],
          ['mongo', 27017],
          ['postgresql', 5432],
          // Temporal: gRPC frontend, history, matching, internal frontend, worker, HTTP API, membership
          ...[7233, 7234, 7235, 7236, 7239, 7243, 6933, 6934, 6935, 6936, 6939].map((port) => ['temporal', port] as [string, number]),
          ...API_INSTANCES.map((name) => [name, Number(environment(service(name)).PORT)] as [string, number]),
        ];
        // each worker's metrics port (its METRICS_PORT, else worker/config.ts's default)
        const metricsDefault = Number(configKeys('worker/config.ts').find((k) => k.name === 'METRICS_PORT')?.defaultValue ?? 9464);
        for (const name of WORKER_INSTANCES) must.push([name, Number(environment(service(name)).METRICS_PORT ?? metricsDefault)]);
        for (const [host, port] of must) expect({ host, port, denied: denies(entries, host, port) }).toEqual({ host, port, denied: true });
        // and names nothing that is not a service of this file
        for (const entry of entries) expect({ host: entry.host, service: entry.host in services }).toEqual({ host: entry.host, service: true });
      });
    });
  });

  describe('one deployment', () => {
    it('gives every API instance and worker the same Temporal, task queue, MongoDB and secrets', () => {
      for (const key of SHARED_ENV) {
        const values = new Set(INSTANCES.map((name) => environment(service(name))[key]));
        expect({ key, values: [...values] }).toEqual({ key, values: [expect.stringMatching(/\S/)] });
      }
      for (const key of REQUIRED_SECRETS.api) {
        const values = new Set(API_INSTANCES.map((name) => environment(service(name))[key]));
        expect({ key, values: [...values] }).toEqual({ key, values: [expect.stringMatching(/\S/)] });
      }
    });

    it('requires every secret from the environment (no default, a message naming it)', () => {
      const required = (name: string): RegExp => new RegExp(`^\\$\\{${name}:\\?[^}]*${name}[^}]*\\}$`);
      for (const name of INSTANCES) {
        const env = environment(service(name));
        const secrets = API_INSTANCES.includes(name) ? [...REQUIRED_SECRETS.all, ...REQUIRED_SECRETS.api] : REQUIRED_SECRETS.all;
        for (const key of secrets) expect({ service: name, key, value: env[key] }).toEqual({ service: name, key, value: expect.stringMatching(required(key)) });
      }
    });
  });

  describe.each([
    ...API_INSTANCES.map((name) => [name, 'api/config.ts'] as const),
    ...WORKER_INSTANCES.map((name) => [name, 'worker/config.ts'] as const),
  ])('%s environment', (name, configFile) => {
    // read inside each test, so a missing service fails these tests rather than the whole file
    let keys: EnvKey[] = [];
    let env: Record<string, string> = {};
    beforeEach(() => {
      keys = configKeys(configFile);
      env = environment(service(name));
    });

    it(`sets only variables that ${configFile} reads`, () => {
      const known = new Set(keys.map((k) => k.name));
      const unknown = Object.keys(env).filter((key) => !known.has(key));
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
    });

    it('overrides every default that points at this machine (127.0.0.1 / localhost)', () => {
      const local = keys.filter((k) => k.defaultValue !== undefined && /127\.0\.0\.1|localhost/.test(k.defaultValue));
      expect(local.map((k) => k.name)).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'MONGODB_URI']));
      for (const key of local) {
        const value = env[key.name];
        expect({ key: key.name, value }).toEqual({ key: key.name, value: expect.any(String) });
        expect({ key: key.name, value }).not.toEqual({ key: key.name, value: expect.stringMatching(/127\.0\.0\.1|localhost/) });
      }
    });

    it('points at the compose services by name', () => {
      const temporalHost = env.TEMPORAL_ADDRESS?.split(':')[0];
      expect(temporalHost).toBe('temporal');
      const mongoHost = env.MONGODB_URI ? new URL(env.MONGODB_URI).hostname : undefined;
      expect(mongoHost).toBe('mongo');
      expect(env.MONGODB_URI).toMatch(/^mongodb:\/\/mongo:27017\/\w+/);
    });
  });

  it('runs each role with its compiled entry point', () => {
    for (const name of API_INSTANCES) expect(asText(service(name).command)).toMatch(/^node dist\/api\/main\.js$/);
    for (const name of WORKER_INSTANCES) expect(asText(service(name).command)).toMatch(/^node dist\/worker\/main\.js$/);
    // the entry points exist in the source tree tsc compiles to dist/
    expect(existsSync(path.join(ROOT, 'api/main.ts'))).toBe(true);
    expect(existsSync(path.join(ROOT, 'worker/main.ts'))).toBe(true);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start:api']).toBe('node dist/api/main.js');
    expect(pkg.scripts['start:worker']).toBe('node dist/worker/main.js');
  });
});

describe('Dockerfile', () => {
  const instructions = dockerfile
    .replace(/\\\r?\n/g, ' ') // join continuation lines
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const args = Object.fromEntries(
    instructions
      .filter((line) => /^ARG\s+\w+=/.test(line))
      .map((line) => /^ARG\s+(\w+)=(\S+)/.exec(line)!.slice(1, 3) as [string, string]),
  );
  const froms = instructions
    .filter((line) => /^FROM\s/i.test(line))
    .map((line) => line.split(/\s+/)[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string, b: string) => args[a ?? b] ?? ''));

  it('is multi-stage on Debian bookworm slim Node 20 (glibc for the Temporal core bridge, not alpine)', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) {
      expect(image).toMatch(/^node:20[\w.-]*-bookworm-slim$/);
      expect(image).not.toMatch(/alpine/);
    }
  });

  it('installs from the lockfile, compiles with npm run build and ships production dependencies only', () => {
    expect(dockerfile).toMatch(/npm ci\b/);
    expect(dockerfile).toMatch(/npm run build\b/);
    expect(dockerfile).toMatch(/--omit=dev/);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toMatch(/tsc -p tsconfig\.build\.json/);
    const build = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    // the worker bundles workflow code from dist/workflows at start
    expect(build.include).toEqual(expect.arrayContaining(['api', 'worker', 'workflows']));
    expect(dockerfile).toMatch(/COPY --from=\w+ .*\/app\/dist \.\/dist/);
  });

  it('listens on every interface of the container (API and worker metrics), whatever the code defaults to', () => {
    const runtime = instructions.slice(instructions.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true));
    const env = Object.fromEntries(
      runtime
        .filter((line) => /^ENV\s/i.test(line))
        .flatMap((line) => [...line.replace(/^ENV\s+/i, '').matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
    );
    expect(env).toEqual(expect.objectContaining({ HOST: '0.0.0.0', METRICS_HOST: '0.0.0.0' }));
    // both are settings the roles read
    expect(configKeys('api/config.ts').map((k) => k.name)).toContain('HOST');
    expect(configKeys('worker/config.ts').map((k) => k.name)).toContain('METRICS_HOST');
  });

  it('runs as a non-root user', () => {
    const users = instructions.filter((line) => /^USER\s/i.test(line)).map((line) => line.split(/\s+/)[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)(:|$)/);
  });

  it('defaults to the API entry point; the worker uses the same image with its own command', () => {
    const cmd = instructions.filter((line) => /^CMD\s/i.test(line)).pop();
    expect(cmd).toBeDefined();
    expect(cmd).toContain('dist/api/main.js');
    const roles = `${dockerfile}\n${asText(service('api-1').command)}\n${asText(service('worker-1').command)}`;
    expect(roles).toContain('dist/api/main.js');
    expect(roles).toContain('dist/worker/main.js');
  });

  it('keeps host-only folders out of the build context', () => {
    const ignored = read('.dockerignore')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.tools', '.data', '.git']));
  });
});

const hasDockerCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
if (!hasDockerCompose) {
  console.log('docker-compose is not on PATH: skipping `docker-compose config -q` (the structure is still checked above)');
}

/** The secrets docker-compose.yml requires, as a user would set them (README, "Docker"). */
const SECRETS: Record<string, string> = {
  PARLEY_SECRET_KEYS: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  PARLEY_PAYLOAD_KEYS: 'p1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=',
  PARLEY_JWT_SECRET: 'CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC=',
  CODEC_AUTH_TOKEN: 'dddddddddddddddddddddddddddddddddddddddddddddddd',
};

/** Operator settings compose reads from the environment, with defaults. */
const OPERATOR_SETTINGS = ['OUTBOUND_ALLOWLIST', 'OUTBOUND_PUBLIC_PORTS'];

/** `docker-compose config` with `env` as its whole Parley environment (nothing inherited for these names). */
function composeConfig(args: string[], env: Record<string, string>) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !(key in SECRETS) && !OPERATOR_SETTINGS.includes(key)));
  return spawnSync('docker-compose', ['-f', COMPOSE_FILE, 'config', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...base, ...env } });
}

describe('docker-compose binary', () => {
  (hasDockerCompose ? it : it.skip)('accepts the file: docker-compose -f docker-compose.yml config -q exits 0', () => {
    const result = composeConfig(['-q'], SECRETS);
    // stderr is shown in the diff when the status is wrong; warnings alone do not fail the check
    expect({ status: result.status, stderr: result.stderr.trim() }).toEqual({ status: 0, stderr: expect.any(String) });
  });

  (hasDockerCompose ? it : it.skip)('gives every instance the secrets as set, once interpolated', () => {
    const result = composeConfig([], SECRETS);
    expect(result.status).toBe(0);
    const resolved = (YAML.parse(result.stdout) as ComposeFile).services;
    for (const name of INSTANCES) {
      const env = environment(resolved[name]!);
      const keys = API_INSTANCES.includes(name) ? [...REQUIRED_SECRETS.all, ...REQUIRED_SECRETS.api] : REQUIRED_SECRETS.all;
      for (const key of keys) expect({ service: name, key, value: env[key] }).toEqual({ service: name, key, value: SECRETS[key] });
    }
  });

  (hasDockerCompose ? it : it.skip)('allows no private destination unless the operator sets OUTBOUND_ALLOWLIST, and passes it on as set', () => {
    const resolvedEnv = (env: Record<string, string>): Record<string, string>[] => {
      const result = composeConfig([], env);
      expect(result.status).toBe(0);
      const resolved = (YAML.parse(result.stdout) as ComposeFile).services;
      return INSTANCES.map((name) => environment(resolved[name]!));
    };
    for (const env of resolvedEnv(SECRETS)) {
      expect(env.OUTBOUND_ALLOWLIST).toBe('');
      expect(env.OUTBOUND_PUBLIC_PORTS).toBe('443');
      expect(denyEntries(env.OUTBOUND_DENYLIST).length).toBeGreaterThan(0);
    }
    const allow = '10.1.0.0/16:8080,booking.internal:8443';
    for (const env of resolvedEnv({ ...SECRETS, OUTBOUND_ALLOWLIST: allow })) expect(env.OUTBOUND_ALLOWLIST).toBe(allow);
  });

  it.each(Object.keys(SECRETS))('refuses to start without %s, naming it', (missing) => {
    if (!hasDockerCompose) return;
    const result = composeConfig(['-q'], Object.fromEntries(Object.entries(SECRETS).filter(([key]) => key !== missing)));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(missing);
  });
});
