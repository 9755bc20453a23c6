/**
 * Worker Deployment Versioning: which code version a worker is, so that Temporal never hands a workflow
 * task to code that cannot replay it (README "Upgrading without breaking conversations").
 *
 * A versioned worker polls as one version, `<WORKER_DEPLOYMENT_NAME>:<WORKER_BUILD_ID>`, of a Worker
 * Deployment. Temporal sends new workflows to the deployment's *current* version (or its ramping one),
 * keeps a PINNED workflow on the version it started on until it completes, and moves an AUTO_UPGRADE
 * workflow to the current version at its next workflow task. Which one each Parley workflow type is, and
 * why, is stated in workflows/versioning.ts; the replay gate (`npm run replay`, test/integration/
 * replay.test.ts) is what makes moving an AUTO_UPGRADE workflow safe.
 *
 * Off unless both variables are set: an unversioned worker takes whatever the task queue gives it, as
 * before (`npm run dev`, the tests). Either one alone is refused at start-up: a worker that meant to be
 * versioned and silently is not would receive tasks of every version.
 */
import type { VersioningBehavior, WorkerDeploymentVersion } from '@temporalio/common';
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import { z } from 'zod';

/**
 * Temporal's limits on the two names: `.` and `:` separate them in a version's string form, `__` prefixes
 * are reserved. Empty counts as unset (compose's `${WORKER_BUILD_ID:-}`, a Helm value left blank).
 */
const versionPart = (what: string) =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z
      .string()
      .trim()
      .max(255, `${what} is at most 255 characters`)
      .refine((value) => !value.startsWith('__'), `${what} must not start with "__" (reserved by Temporal)`)
      .refine((value) => !/\s/.test(value), `${what} must not contain whitespace`)
      .optional(),
  );

/** The environment fields (worker/config.ts lists them in its schema, so the docker-compose test sees the names). */
export const WORKER_VERSIONING_ENV = {
  WORKER_DEPLOYMENT_NAME: versionPart('the deployment name').refine((value) => value === undefined || !/[.:]/.test(value), 'the deployment name must not contain "." or ":"'),
  WORKER_BUILD_ID: versionPart('the build id'),
};

/** The version this worker is, from the two variables; undefined when both are unset (versioning off). */
export function deploymentVersionFrom(env: { WORKER_DEPLOYMENT_NAME?: string; WORKER_BUILD_ID?: string }): WorkerDeploymentVersion | undefined {
  const { WORKER_DEPLOYMENT_NAME: deploymentName, WORKER_BUILD_ID: buildId } = env;
  if (deploymentName === undefined && buildId === undefined) return undefined;
  if (deploymentName === undefined) throw new Error('WORKER_BUILD_ID is set but WORKER_DEPLOYMENT_NAME is not: set both (worker versioning) or neither');
  if (buildId === undefined) throw new Error('WORKER_DEPLOYMENT_NAME is set but WORKER_BUILD_ID is not: set both (worker versioning) or neither');
  return { deploymentName, buildId };
}

/**
 * What a workflow type without its own behaviour gets. Every type Parley registers states one
 * (workflows/versioning.ts, checked by a unit test), so this only catches a type added without: it then
 * moves to new versions like the long-lived ones, guarded by the replay gate, rather than pinning an old
 * version alive for as long as it runs.
 */
export const DEFAULT_VERSIONING_BEHAVIOR: VersioningBehavior = 'AUTO_UPGRADE';

/** The Worker option for `version`; undefined (an unversioned worker) without one. */
export function workerDeploymentOptions(version: WorkerDeploymentVersion | undefined): WorkerDeploymentOptions | undefined {
  if (!version) return undefined;
  return { version, useWorkerVersioning: true, defaultVersioningBehavior: DEFAULT_VERSIONING_BEHAVIOR };
}

/** `name:buildId`, the form the Temporal CLI and Web UI show. */
export const versionLabel = (version: WorkerDeploymentVersion): string => `${version.deploymentName}:${version.buildId}`;
