/**
 * The tools that check the Helm chart (deploy/helm/parley), built from the Go module proxy into the
 * git-ignored `.tools/bin` and cached there (a second run builds nothing):
 *
 * - helm, pinned: `go install helm.sh/helm/v3/cmd/helm@<HELM_VERSION>` (about 3 minutes on two cores with
 *   an empty Go cache, most of it downloading modules); $HELM names another binary.
 * - the manifest validator (deploy/helm/validate): rendered manifests decoded strictly into the
 *   k8s.io/api types, plus the API server's own rules; rebuilt when its source changes (about 1.5 minutes
 *   the first time, seconds once helm's modules are in the Go cache).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
const BIN_DIR = path.join(ROOT, '.tools', 'bin');
export const HELM_VERSION = 'v3.21.4';
/** The Kubernetes version the chart is rendered and linted for (a `go install`ed helm defaults to 1.20). */
export const KUBE_VERSION = '1.33.0';
const VALIDATOR_DIR = path.join(ROOT, 'deploy', 'helm', 'validate');

export class ToolError extends Error {}

async function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', (error) => reject(new ToolError(`${command} could not run: ${error.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new ToolError(`${command} ${args.join(' ')} failed (exit ${code}):\n${stderr}`))));
  });
}

function go(): string {
  const candidates = (process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'go'));
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found) throw new ToolError('Go is not installed: the Helm chart checks build helm and the manifest validator from the Go module proxy (install Go, or set HELM and KUBE_VALIDATE to binaries)');
  return found;
}

/** Builds into `<binary>.partial` and renames, so an interrupted build never leaves a broken binary. */
async function install(binary: string, build: (partial: string) => Promise<void>): Promise<string> {
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  const partial = `${binary}.partial`;
  await build(partial);
  fs.renameSync(partial, binary);
  return binary;
}

/** $HELM, or helm HELM_VERSION built into .tools/bin. */
export async function ensureHelm(): Promise<string> {
  if (process.env.HELM) return process.env.HELM;
  const binary = path.join(BIN_DIR, `helm-${HELM_VERSION}`);
  return install(binary, async (partial) => {
    const gobin = `${partial}.d`;
    fs.rmSync(gobin, { recursive: true, force: true });
    await run(go(), ['install', `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], { env: { GOBIN: gobin } });
    fs.renameSync(path.join(gobin, 'helm'), partial);
    fs.rmSync(gobin, { recursive: true, force: true });
  });
}

/** $KUBE_VALIDATE, or deploy/helm/validate built into .tools/bin (named by a hash of its source). */
export async function ensureKubeValidator(): Promise<string> {
  if (process.env.KUBE_VALIDATE) return process.env.KUBE_VALIDATE;
  const hash = createHash('sha256');
  for (const name of ['go.mod', 'go.sum', 'main.go']) hash.update(fs.readFileSync(path.join(VALIDATOR_DIR, name)));
  const binary = path.join(BIN_DIR, `kube-validate-${hash.digest('hex').slice(0, 12)}`);
  const built = await install(binary, (partial) => run(go(), ['build', '-o', partial, '.'], { cwd: VALIDATOR_DIR }));
  // Builds of earlier sources are never used again.
  for (const name of fs.readdirSync(BIN_DIR).filter((n) => n.startsWith('kube-validate-') && n !== path.basename(binary))) fs.rmSync(path.join(BIN_DIR, name), { force: true });
  return built;
}

// `tsx scripts/lib/helm-tools.ts` (npm test runs it before jest): build both tools now, print their paths.
if (require.main === module) {
  const started = Date.now();
  Promise.all([ensureHelm(), ensureKubeValidator()]).then(
    ([helm, validator]) => process.stdout.write(`helm: ${helm}\nmanifest validator: ${validator}\n(${((Date.now() - started) / 1000).toFixed(1)} s)\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
