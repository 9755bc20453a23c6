/**
 * The Helm chart (deploy/helm/parley), checked offline with tools from the Go module proxy
 * (scripts/lib/helm-tools.ts): `helm lint --strict` and `helm template` with each value set (the defaults
 * and deploy/helm/parley/ci/*.yaml), every rendered document validated against the Kubernetes API types
 * (deploy/helm/validate: strict decoding into k8s.io/api, plus the API server's rules), then what the chart
 * promises: probes, resources and a hardened securityContext on every container, a PodDisruptionBudget per
 * component, the HPAs, secrets only by reference, a worker that is killed only after its drain, and
 * NetworkPolicies that let workers reach tenants' APIs, Temporal's frontend and MongoDB but not Temporal's
 * Web UI, the codec, the API or a database's other ports (evaluated as a CNI would, on sample destinations).
 * Needs no server: the stack that jest's global setup starts is not used.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ensureHelm, ensureKubeValidator, HELM_VERSION, KUBE_VERSION, ROOT } from '../../scripts/lib/helm-tools';

const CHART = path.join(ROOT, 'deploy', 'helm', 'parley');
const RELEASE = 'parley';
const NAMESPACE = 'parley';
const VALUE_SETS = ['defaults', ...fs.readdirSync(path.join(CHART, 'ci')).filter((f) => f.endsWith('.yaml')).sort()];
const SECRET_KEYS = ['PARLEY_SECRET_KEYS', 'MONGODB_URI', 'PARLEY_PAYLOAD_KEYS', 'PARLEY_JWT_SECRET', 'CODEC_AUTH_TOKEN', 'METRICS_AUTH_TOKEN', 'OPERATOR_TOKEN', 'TEMPORAL_API_KEY'];
const CRDS = ['monitoring.coreos.com/v1/PodMonitor'];

// Loosely typed views of the rendered objects: the validator has already checked them against the real types.
type K8s = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; stringData?: Record<string, string>; data?: Record<string, string> };

let helm: string;
let validator: string;
const rendered = new Map<string, { text: string; docs: K8s[] }>();
const timings: string[] = [];

function sh(command: string, args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd: ROOT, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
const valuesArgs = (set: string): string[] => (set === 'defaults' ? [] : ['-f', path.join(CHART, 'ci', set)]);

beforeAll(async () => {
  let t = Date.now();
  [helm, validator] = await Promise.all([ensureHelm(), ensureKubeValidator()]);
  timings.push(`tools ready in ${((Date.now() - t) / 1000).toFixed(1)} s (helm ${HELM_VERSION})`);
  t = Date.now();
  for (const set of VALUE_SETS) {
    const out = sh(helm, ['template', RELEASE, CHART, '--namespace', NAMESPACE, '--kube-version', KUBE_VERSION, ...valuesArgs(set)]);
    if (out.status !== 0) throw new Error(`helm template with ${set} failed:\n${out.stderr}`);
    const docs = parseAllDocuments(out.stdout)
      .map((d) => d.toJS() as K8s | null)
      .filter((d): d is K8s => d !== null);
    rendered.set(set, { text: out.stdout, docs });
  }
  timings.push(`rendered ${VALUE_SETS.length} value sets in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}, 15 * 60_000);

afterAll(() => {
  process.stdout.write(`[helm-chart] ${timings.join('; ')}\n`);
});

const docsOf = (set: string): K8s[] => rendered.get(set)!.docs;
const ofKind = (set: string, kind: string): K8s[] => docsOf(set).filter((d) => d.kind === kind);
const named = (set: string, kind: string, name: string): K8s | undefined => ofKind(set, kind).find((d) => d.metadata.name === name);
const component = (set: string, kind: string, c: string): K8s | undefined => ofKind(set, kind).find((d) => d.metadata.labels?.['app.kubernetes.io/component'] === c);
const componentsOf = (set: string): string[] => ofKind(set, 'Deployment').map((d) => d.metadata.labels?.['app.kubernetes.io/component'] ?? '').sort();
const valuesOf = (set: string): any => (set === 'defaults' ? {} : (parseAllDocuments(fs.readFileSync(path.join(CHART, 'ci', set), 'utf8'))[0]?.toJS() ?? {}));

describe.each(VALUE_SETS)('Helm chart with %s', (set) => {
  it('passes helm lint --strict', () => {
    const out = sh(helm, ['lint', CHART, '--strict', '--kube-version', KUBE_VERSION, ...valuesArgs(set)]);
    expect({ status: out.status, output: out.stdout + out.stderr }).toEqual({ status: 0, output: expect.stringContaining('1 chart(s) linted, 0 chart(s) failed') });
  });

  it('renders documents that the Kubernetes API types and rules accept', () => {
    const started = Date.now();
    const out = sh(validator, CRDS.flatMap((c) => ['-crd', c]), rendered.get(set)!.text);
    timings.push(`${set} validated in ${Date.now() - started} ms`);
    const summary = JSON.parse(out.stdout) as { documents: { kind: string; name: string; errors: string[] }[] };
    expect(summary.documents.filter((d) => d.errors.length > 0)).toEqual([]);
    expect(out.status).toBe(0);
    expect(summary.documents.length).toBe(docsOf(set).length);
    expect(summary.documents.length).toBeGreaterThanOrEqual(10);
  });

  it('gives every container probes, resources and a non-root, read-only, unprivileged context', () => {
    const deployments = ofKind(set, 'Deployment');
    expect(componentsOf(set)).toEqual(expect.arrayContaining(['api', 'worker']));
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      expect({ name: d.metadata.name, runAsNonRoot: pod.securityContext?.runAsNonRoot, seccomp: pod.securityContext?.seccompProfile?.type, token: pod.automountServiceAccountToken }).toEqual({
        name: d.metadata.name,
        runAsNonRoot: true,
        seccomp: 'RuntimeDefault',
        token: false,
      });
      for (const c of pod.containers) {
        expect({ container: c.name, liveness: Boolean(c.livenessProbe?.httpGet), readiness: Boolean(c.readinessProbe?.httpGet) }).toEqual({ container: c.name, liveness: true, readiness: true });
        expect(Object.keys(c.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
        expect(Object.keys(c.resources?.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        if (c.securityContext.runAsUser !== undefined) expect(c.securityContext.runAsUser).toBeGreaterThan(0);
      }
    }
    // The API is taken out of rotation when Temporal or MongoDB stops answering; /healthz stays the liveness.
    const api = component(set, 'Deployment', 'api')!.spec.template.spec.containers[0];
    expect(api.readinessProbe.httpGet.path).toBe('/ready');
    expect(api.livenessProbe.httpGet.path).toBe('/healthz');
    const worker = component(set, 'Deployment', 'worker')!.spec.template.spec.containers[0];
    expect([worker.readinessProbe.httpGet.path, worker.livenessProbe.httpGet.path, worker.startupProbe.httpGet.path]).toEqual(['/ready', '/healthz', '/healthz']);
    expect(worker.ports.find((p: any) => p.name === worker.readinessProbe.httpGet.port).containerPort).toBe(Number(worker.env.find((e: any) => e.name === 'METRICS_PORT').value));
  });

  it('has a PodDisruptionBudget for each component, selecting its pods', () => {
    for (const c of componentsOf(set)) {
      const pdb = component(set, 'PodDisruptionBudget', c);
      const deployment = component(set, 'Deployment', c)!;
      expect({ c, pdb: Boolean(pdb) }).toEqual({ c, pdb: true });
      expect(pdb!.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
      expect(pdb!.spec.maxUnavailable ?? pdb!.spec.minAvailable).toBeDefined();
    }
  });

  it('versions workers by image tag when asked, keeping earlier builds running beside them (README "Upgrading without breaking conversations")', () => {
    const versioning = valuesOf(set).worker?.versioning;
    const workers = ofKind(set, 'Deployment').filter((d) => d.metadata.labels?.['app.kubernetes.io/component'] === 'worker');
    const view = (d: K8s) => ({
      image: d.spec.template.spec.containers[0].image,
      env: Object.fromEntries(d.spec.template.spec.containers[0].env.filter((e: any) => e.name.startsWith('WORKER_')).map((e: any) => [e.name, e.value])),
    });
    if (!versioning?.enabled) {
      expect(workers.map(view)).toEqual([{ image: expect.any(String), env: {} }]);
      return;
    }
    const tag = valuesOf(set).image?.tag || (parseAllDocuments(fs.readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8'))[0]!.toJS() as { appVersion: string }).appVersion;
    const name = versioning.deploymentName || RELEASE;
    const [current, ...previous] = workers;
    expect(view(current!)).toEqual({ image: `parley:${tag}`, env: { WORKER_DEPLOYMENT_NAME: name, WORKER_BUILD_ID: versioning.buildId || tag } });
    expect(previous.map((d) => ({ ...view(d), replicas: d.spec.replicas }))).toEqual(
      (versioning.previousBuilds as { buildId: string; tag?: string; replicas?: number }[]).map((b) => ({ image: `parley:${b.tag || b.buildId}`, env: { WORKER_DEPLOYMENT_NAME: name, WORKER_BUILD_ID: b.buildId }, replicas: b.replicas ?? 1 })),
    );
    for (const d of previous) {
      // Its own pods only (the build label), yet still worker pods for the NetworkPolicy, the PDB and the PodMonitor.
      expect(d.spec.selector.matchLabels['parley.dev/worker-build']).toBe(d.spec.template.metadata.labels['parley.dev/worker-build']);
      expect(d.spec.template.metadata.labels).toMatchObject(current!.spec.selector.matchLabels);
      expect(d.metadata.name).not.toBe(current!.metadata.name);
    }
  });

  it('lets a worker drain its in-flight tasks before Kubernetes kills it', () => {
    const pod = component(set, 'Deployment', 'worker')!.spec.template.spec;
    const grace = Number(pod.containers[0].env.find((e: any) => e.name === 'SHUTDOWN_GRACE_SECONDS').value);
    expect(grace).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(grace);
    expect(pod.containers[0].command).toEqual(['node', 'dist/worker/main.js']);
  });

  it('scales the API on CPU and the workers on their load, or keeps fixed replicas', () => {
    const values = valuesOf(set);
    const hpas = ofKind(set, 'HorizontalPodAutoscaler');
    if (values.api?.autoscaling?.enabled === false) {
      expect(component(set, 'HorizontalPodAutoscaler', 'api')).toBeUndefined();
      expect(component(set, 'Deployment', 'api')!.spec.replicas).toBe(values.api.replicaCount);
    } else {
      const api = component(set, 'HorizontalPodAutoscaler', 'api')!;
      expect(api.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: component(set, 'Deployment', 'api')!.metadata.name });
      expect(api.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } }]);
      // The HPA owns the replica count: the Deployment does not fight it on every upgrade.
      expect(component(set, 'Deployment', 'api')!.spec.replicas).toBeUndefined();
    }
    if (values.worker?.autoscaling?.enabled === false) {
      expect(component(set, 'HorizontalPodAutoscaler', 'worker')).toBeUndefined();
      expect(component(set, 'Deployment', 'worker')!.spec.replicas).toBe(values.worker.replicaCount);
    } else {
      const worker = component(set, 'HorizontalPodAutoscaler', 'worker')!;
      expect(worker.spec.scaleTargetRef.name).toBe(component(set, 'Deployment', 'worker')!.metadata.name);
      // A metric that follows the load: the task slots in use (Pods), or Temporal's backlog (External).
      const loadMetrics = worker.spec.metrics.filter((m: any) => m.type === 'Pods' || m.type === 'External');
      expect(loadMetrics.length).toBeGreaterThan(0);
      expect(worker.spec.metrics).toContainEqual({ type: 'Pods', pods: { metric: { name: 'parley_worker_task_slot_utilization' }, target: { type: 'AverageValue', averageValue: '600m' } } });
      // Its source: the SDK's Prometheus exporter is on, on a declared port.
      const container = component(set, 'Deployment', 'worker')!.spec.template.spec.containers[0];
      const address = container.env.find((e: any) => e.name === 'TEMPORAL_METRICS_ADDRESS').value as string;
      expect(container.ports.map((p: any) => p.containerPort)).toContain(Number(address.split(':')[1]));
      expect(worker.spec.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(60);
    }
    expect(hpas.every((h) => h.apiVersion === 'autoscaling/v2')).toBe(true);
  });

  it('takes every secret from a Kubernetes Secret by reference, never inline', () => {
    const values = valuesOf(set);
    const secretName = values.secrets?.existingSecret || `${RELEASE}-secrets`;
    for (const d of ofKind(set, 'Deployment')) {
      for (const c of d.spec.template.spec.containers) {
        for (const e of c.env ?? []) {
          if (!SECRET_KEYS.includes(e.name)) continue;
          expect({ container: c.name, env: e.name, value: e.value, ref: e.valueFrom?.secretKeyRef }).toEqual({ container: c.name, env: e.name, value: undefined, ref: expect.objectContaining({ name: secretName, key: e.name }) });
        }
        // PARLEY_SECRET_KEYS and MONGODB_URI are required, so a pod without them does not start.
        if (c.name !== 'codec') {
          for (const key of ['PARLEY_SECRET_KEYS', 'MONGODB_URI']) expect(c.env.find((e: any) => e.name === key)?.valueFrom.secretKeyRef.optional).toBeUndefined();
        }
        expect(c.envFrom).toBeUndefined();
      }
    }
    // The codec proxy holds the codec token only; the workers hold no API-only secret.
    const worker = component(set, 'Deployment', 'worker')!.spec.template.spec.containers[0].env.map((e: any) => e.name);
    expect(worker).not.toEqual(expect.arrayContaining(['OPERATOR_TOKEN']));
    expect(worker).not.toContain('PARLEY_JWT_SECRET');
    expect(worker).not.toContain('CODEC_AUTH_TOKEN');
    const secrets = ofKind(set, 'Secret');
    if (values.secrets?.create) {
      expect(secrets.map((s) => s.metadata.name)).toEqual([secretName]);
      expect(secrets[0]?.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
      // The values appear in the Secret and nowhere else.
      const others = docsOf(set).filter((d) => d.kind !== 'Secret').map((d) => JSON.stringify(d)).join('\n');
      for (const value of Object.values(values.secrets.values as Record<string, string>)) expect(others).not.toContain(value);
    } else {
      expect(secrets).toEqual([]);
    }
  });

  it('enforces the network rules: workers reach tenants, Temporal and MongoDB only; the API Temporal and MongoDB', () => {
    const values = valuesOf(set);
    const policies = ofKind(set, 'NetworkPolicy');
    const deny = named(set, 'NetworkPolicy', `${RELEASE}-default-deny`)!;
    expect(deny.spec).toEqual({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'parley', 'app.kubernetes.io/instance': RELEASE } }, policyTypes: ['Ingress', 'Egress'] });
    const podLabels = (c: string): Record<string, string> => component(set, 'Deployment', c)!.spec.template.metadata.labels;
    const allows = (from: string, to: Destination): boolean => egressAllowed(policies, podLabels(from), to);
    const cloud = typeof values.temporal?.address === 'string' && values.temporal.address.includes('.tmprl.cloud');

    const inCluster = (ns: string, labels: Record<string, string>, port: number): Destination => ({ ip: '10.244.3.7', namespace: ns, namespaceLabels: { 'kubernetes.io/metadata.name': ns }, labels, port });
    const temporalFrontend = (port: number) => inCluster('temporal', { 'app.kubernetes.io/name': 'temporal', 'app.kubernetes.io/component': 'frontend' }, port);
    const temporalWeb = inCluster('temporal', { 'app.kubernetes.io/name': 'temporal', 'app.kubernetes.io/component': 'web' }, 8080);
    const mongo = (port: number) => inCluster('mongodb', { 'app.kubernetes.io/name': 'mongodb' }, port);
    const dns = (port: number) => inCluster('kube-system', { 'k8s-app': 'kube-dns' }, port);
    const own = (c: string, port: number): Destination => ({ ...inCluster(NAMESPACE, podLabels(c), port) });
    const internet = (ip: string, port: number): Destination => ({ ip, port });

    // Workers: tenants' APIs on the internet (443, 80), Temporal's frontend, MongoDB, DNS.
    expect(allows('worker', internet('203.0.113.10', 443))).toBe(true);
    expect(allows('worker', internet('198.51.100.7', 80))).toBe(true);
    expect(allows('worker', dns(53))).toBe(true);
    if (!cloud) {
      expect(allows('worker', temporalFrontend(7233))).toBe(true);
      expect(allows('worker', mongo(27017))).toBe(true);
    } else {
      expect(allows('worker', internet('34.120.1.2', 7233))).toBe(true);
      expect(allows('worker', internet('34.120.1.3', 27017))).toBe(true);
    }
    // ... and nothing else: not Temporal's Web UI or its frontend's other ports (HTTP API 7243, membership),
    // not the codec or the API, not MongoDB's other ports, no private address, not the cloud's metadata.
    expect(allows('worker', temporalWeb)).toBe(false);
    expect(allows('worker', temporalFrontend(7243))).toBe(false);
    expect(allows('worker', temporalFrontend(6933))).toBe(false);
    expect(allows('worker', mongo(28017))).toBe(false);
    expect(allows('worker', inCluster('postgresql', { 'app.kubernetes.io/name': 'postgresql' }, 5432))).toBe(false);
    if (componentsOf(set).includes('codec')) expect(allows('worker', own('codec', 8234))).toBe(false);
    expect(allows('worker', own('api', 3000))).toBe(false);
    expect(allows('worker', internet('10.0.0.12', 443))).toBe(false);
    expect(allows('worker', internet('172.20.0.1', 443))).toBe(false);
    expect(allows('worker', internet('192.168.1.1', 80))).toBe(false);
    expect(allows('worker', internet('169.254.169.254', 80))).toBe(false);
    expect(allows('worker', internet('203.0.113.10', 22))).toBe(false);
    // What an operator allowlisted for tenants (OUTBOUND_ALLOWLIST) is reachable too, and only that.
    if (values.networkPolicy?.worker?.extraEgress) {
      expect(allows('worker', internet('10.1.2.3', 8080))).toBe(true);
      expect(allows('worker', internet('10.1.2.3', 8081))).toBe(false);
    }

    // The API: Temporal and MongoDB (and DNS), never the internet.
    expect(allows('api', dns(53))).toBe(true);
    if (!cloud) {
      expect(allows('api', temporalFrontend(7233))).toBe(true);
      expect(allows('api', mongo(27017))).toBe(true);
    }
    expect(allows('api', temporalWeb)).toBe(false);
    expect(allows('api', internet('203.0.113.10', 443))).toBe(false);
    expect(allows('api', internet('10.0.0.12', 443))).toBe(false);

    // The codec proxy reaches the API's port and nothing else.
    if (componentsOf(set).includes('codec')) {
      expect(allows('codec', own('api', 3000))).toBe(true);
      expect(allows('codec', own('worker', 9464))).toBe(false);
      expect(allows('codec', temporalFrontend(7233))).toBe(false);
      expect(allows('codec', internet('203.0.113.10', 443))).toBe(false);
    }

    // Ingress: the API on its port; the workers on their metrics ports only; the codec from no one by default.
    const apiIngress = component(set, 'NetworkPolicy', 'api')!.spec.ingress;
    expect(apiIngress.flatMap((r: any) => r.ports.map((p: any) => p.port))).toEqual([3000]);
    const workerIngress = component(set, 'NetworkPolicy', 'worker')!.spec.ingress;
    expect(workerIngress.flatMap((r: any) => r.ports.map((p: any) => p.port)).sort()).toEqual([9464, 9465]);
    expect(workerIngress.every((r: any) => Array.isArray(r.from) && r.from.length > 0)).toBe(true);
    if (componentsOf(set).includes('codec')) expect(component(set, 'NetworkPolicy', 'codec')!.spec.ingress).toBeUndefined();
  });
});

describe('Helm chart: what a bad value set gets', () => {
  it.each([
    [['--set', 'secrets.create=true'], /set secrets\.values\.PARLEY_SECRET_KEYS/],
    [['--set', 'temporal.tls.enabled=true', '--set', 'temporal.tls.certFile=tls.crt', '--set', 'temporal.tls.keyFile=tls.key'], /name that Secret/],
    [['--set', 'temporal.tls.enabled=true', '--set', 'temporal.tls.existingSecret=x', '--set', 'temporal.tls.certFile=tls.crt'], /both certFile and keyFile/],
    [['--set', 'worker.temporalMetricsPort=0'], /set worker\.temporalMetricsPort/],
  ])('%j fails with a message naming the fix', (args, message) => {
    const out = sh(helm, ['template', RELEASE, CHART, '--kube-version', KUBE_VERSION, ...args]);
    expect(out.status).not.toBe(0);
    expect(out.stderr).toMatch(message);
  });

  it('the validator refuses a misspelt field, a wrong type and an unknown kind', () => {
    const bad = [
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: [{name: x, image: img, livenessProbe: {periodSecond: 10}}]',
      'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: x}\nspec: {maxUnavailable: 1, minAvailable: 1, selector: {matchLabels: {a: b}}}',
      'apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\nspec: {maxReplicas: 2, scaleTargetRef: {kind: Deployment, name: x}}',
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [fc00::/7]}}], ports: [{port: 443, protocol: TPC}]}]}',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: two\n  selector: {matchLabels: {a: b}}\n  template: {metadata: {labels: {a: c}}, spec: {containers: [{name: x, image: img}]}}',
    ].join('\n---\n');
    const out = sh(validator, [], bad);
    expect(out.status).toBe(1);
    const errors = (JSON.parse(out.stdout) as { documents: { errors: string[] }[] }).documents.map((d) => d.errors.join(' | '));
    expect(errors).toEqual([
      expect.stringMatching(/unknown field "spec\.template\.spec\.containers\[0\]\.livenessProbe\.periodSecond"/),
      expect.stringMatching(/exactly one of minAvailable and maxUnavailable/),
      expect.stringMatching(/not a built-in kind/),
      expect.stringMatching(/fc00::\/7 is not inside 0\.0\.0\.0\/0.*TPC/),
      expect.stringMatching(/replicas/),
    ]);
  });
});

/** Where a pod sends a packet: an address and port, and for a pod in the cluster, its labels and namespace. */
interface Destination {
  ip: string;
  port: number;
  namespace?: string;
  namespaceLabels?: Record<string, string>;
  labels?: Record<string, string>;
}

const matches = (selector: any, labels: Record<string, string> | undefined): boolean => {
  if (selector.matchExpressions?.length) throw new Error('matchExpressions are not evaluated here');
  return Object.entries((selector.matchLabels ?? {}) as Record<string, string>).every(([k, v]) => labels?.[k] === v);
};

function ipv4(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  return parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) ? parts.reduce((n, p) => n * 256 + p, 0) : undefined;
}
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const a = ipv4(ip);
  const b = ipv4(base ?? '');
  if (a === undefined || b === undefined) return false; // an IPv6 block never holds an IPv4 address
  const size = 2 ** (32 - Number(bits));
  return Math.floor(a / size) === Math.floor(b / size);
}

/** Whether one peer of an egress rule covers the destination (NetworkPolicy semantics). */
function peerCovers(peer: any, to: Destination): boolean {
  if (peer.ipBlock) return inCidr(to.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((e: string) => inCidr(to.ip, e));
  if (to.labels === undefined) return false; // selectors only select pods
  const namespaceOk = peer.namespaceSelector ? matches(peer.namespaceSelector, to.namespaceLabels) : to.namespace === NAMESPACE;
  const podOk = peer.podSelector ? matches(peer.podSelector, to.labels) : true;
  return namespaceOk && podOk;
}

/** Egress from a pod is allowed when some policy selecting it has a rule covering the destination and port. */
function egressAllowed(policies: K8s[], from: Record<string, string>, to: Destination): boolean {
  const selecting = policies.filter((p) => matches(p.spec.podSelector, from) && (p.spec.policyTypes ?? []).includes('Egress'));
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    (p.spec.egress ?? []).some((rule: any) => {
      const portOk = !rule.ports?.length || rule.ports.some((port: any) => port.port === undefined || (port.port <= to.port && to.port <= (port.endPort ?? port.port)));
      const peerOk = !rule.to?.length || rule.to.some((peer: any) => peerCovers(peer, to));
      return portOk && peerOk;
    }),
  );
}
