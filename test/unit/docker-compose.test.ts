/**
 * Structure of the Docker set-up (docker-compose.yml + Dockerfile), checked without a Docker engine.
 *
 * What the stack must do on `docker compose up`: PostgreSQL (healthy) -> Temporal (healthy) -> a one-shot
 * job registering Parley's search attributes -> api + worker (also after MongoDB is healthy). The env var
 * names, search attributes and entry points are read from the source (api/config.ts, worker/config.ts,
 * workflows/definitions.ts, package.json), so renaming one there without updating the compose file fails
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
}
interface ComposeFile {
  version?: unknown;
  services: Record<string, Service>;
}

const compose = YAML.parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
const services = compose.services ?? {};
const dockerfile = read('Dockerfile');

/** The services the product needs; see DESIGN.md "Processes" and INFRA.md. */
const REQUIRED_SERVICES = ['postgresql', 'temporal', 'temporal-admin-tools', 'temporal-ui', 'mongo', 'api', 'worker'];
const SEARCH_ATTRIBUTE_JOB = 'temporal-admin-tools';

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
  /** The schema's default, when it is a string literal. */
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
    const defaultValue = /\.default\(\s*'([^']*)'\s*\)/.exec(match[2]!)?.[1];
    keys.push({ name: match[1]!, defaultValue });
  }
  if (keys.length === 0) throw new Error(`${relative}: no environment keys found`);
  return keys;
}

/** Search attributes the workflows set, from workflows/definitions.ts: name -> CLI type (Keyword, Int...). */
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
  for (const match of read('workflows/definitions.ts').matchAll(/defineSearchAttributeKey\(\s*'(\w+)'\s*,\s*'(\w+)'\s*\)/g)) {
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

describe('docker-compose.yml', () => {
  it('uses the Compose Specification (no top-level version key) so depends_on conditions are allowed', () => {
    expect(compose.version).toBeUndefined();
  });

  it('has every service of the stack', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(REQUIRED_SERVICES));
  });

  it('pins every image to a specific tag (never latest, never untagged)', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (svc.build) continue;
      expect({ name, image: svc.image }).toEqual({ name, image: expect.stringMatching(/^[^:@\s]+(:[\w.-]*\d[\w.-]*|@sha256:[0-9a-f]{64})$/) });
      expect({ name, image: svc.image }).not.toEqual({ name, image: expect.stringMatching(/:latest$/) });
    }
  });

  it('builds api and worker from the repository Dockerfile (one image, two roles)', () => {
    for (const name of ['api', 'worker']) {
      const build = service(name).build;
      expect({ name, build }).toEqual({ name, build: expect.anything() });
      const context = typeof build === 'string' ? build : (build?.context ?? '.');
      const file = typeof build === 'string' ? 'Dockerfile' : (build?.dockerfile ?? 'Dockerfile');
      expect(existsSync(path.join(ROOT, context, file))).toBe(true);
      expect(path.resolve(ROOT, context, file)).toBe(path.join(ROOT, 'Dockerfile'));
    }
  });

  it('starts api and worker only once temporal and mongo are healthy and the search attributes are registered', () => {
    for (const name of ['api', 'worker']) {
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
    const apiCheck = asText(service('api').healthcheck?.test);
    expect(apiCheck).toMatch(/fetch\(.*\/healthz/);
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

  it('publishes the API (3000), Temporal frontend (7233) and Temporal Web UI (8233 -> 8080)', () => {
    const published = Object.values(services).flatMap(publishedPorts);
    expect(published.map((p) => p.host)).toEqual(expect.arrayContaining([3000, 7233, 8233]));
    expect(publishedPorts(service('temporal'))).toContainEqual({ host: 7233, container: 7233 });
    expect(publishedPorts(service('temporal-ui'))).toContainEqual({ host: 8233, container: 8080 });
    const apiPort = Number(environment(service('api')).PORT);
    expect(publishedPorts(service('api'))).toContainEqual({ host: 3000, container: apiPort });
    expect(asText(service('api').healthcheck?.test)).toContain(`localhost:${apiPort}/healthz`);
    expect(environment(service('temporal-ui')).TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  describe.each([
    ['api', 'api/config.ts'],
    ['worker', 'worker/config.ts'],
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
    expect(asText(service('api').command)).toMatch(/^node dist\/api\/main\.js$/);
    expect(asText(service('worker').command)).toMatch(/^node dist\/worker\/main\.js$/);
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

  it('runs as a non-root user', () => {
    const users = instructions.filter((line) => /^USER\s/i.test(line)).map((line) => line.split(/\s+/)[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)(:|$)/);
  });

  it('defaults to the API entry point; the worker uses the same image with its own command', () => {
    const cmd = instructions.filter((line) => /^CMD\s/i.test(line)).pop();
    expect(cmd).toBeDefined();
    expect(cmd).toContain('dist/api/main.js');
    const roles = `${dockerfile}\n${asText(service('api').command)}\n${asText(service('worker').command)}`;
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

describe('docker-compose binary', () => {
  (hasDockerCompose ? it : it.skip)('accepts the file: docker-compose -f docker-compose.yml config -q exits 0', () => {
    const result = spawnSync('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, PARLEY_SECRET_KEYS: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
    });
    // stderr is shown in the diff when the status is wrong; warnings alone do not fail the check
    expect({ status: result.status, stderr: result.stderr.trim() }).toEqual({ status: 0, stderr: expect.any(String) });
  });
});
