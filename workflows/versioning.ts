/**
 * Each workflow type's versioning behaviour: what Temporal does with a running workflow when a new
 * worker version becomes current (worker/versioning.ts; README "Upgrading without breaking
 * conversations").
 *
 * - AUTO_UPGRADE: the workflow's next task goes to the current version, so a new release takes over the
 *   running workflow, replaying its history first. That replay must succeed: the replay gate
 *   (`npm run replay` on exported production histories, and the committed histories in CI) checks it
 *   before a release, and an incompatible change goes behind `patched()` or a new workflow type, as
 *   workflows/event-delivery.ts did. Every type that can wait longer than an old version is kept
 *   running (hours) is here: a conversation lives until its inactivity timeout and continues as new
 *   for as long as it lasts; an action run may wait up to 30 days for a long-running call; a webhook
 *   delivery retries for about three days; the inbox lives forever; a key rotation continues as new.
 *   Pinning any of them would keep every old version's workers alive for days or weeks.
 * - PINNED: the workflow stays on the version it started on until it completes, so a new release never
 *   replays it at all. Right for runs that finish in seconds or minutes without waiting on anyone: an
 *   endpoint or connection test, an OpenAPI document fetch, a knowledge analysis. Their old version
 *   drains within minutes of the switch (Temporal reports it DRAINING, then DRAINED), after which its
 *   workers can stop.
 */
import type { VersioningBehavior } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';

export const VERSIONING_BEHAVIORS = {
  conversationWorkflow: 'AUTO_UPGRADE',
  actionRunWorkflow: 'AUTO_UPGRADE',
  // Child workflow of conversations recorded before action runs started eagerly; a chain may hold a long-running call too.
  apiChainWorkflow: 'AUTO_UPGRADE',
  eventDeliveryWorkflow: 'AUTO_UPGRADE',
  // The first delivery workflow, kept for runs started before eventDeliveryWorkflow: about a day of retries.
  webhookDeliveryWorkflow: 'AUTO_UPGRADE',
  inboxWorkflow: 'AUTO_UPGRADE',
  rotateSecretsWorkflow: 'AUTO_UPGRADE',
  endpointTestWorkflow: 'PINNED',
  connectionTestWorkflow: 'PINNED',
  openApiDocumentWorkflow: 'PINNED',
  knowledgeAnalysisWorkflow: 'PINNED',
} as const satisfies Record<string, VersioningBehavior>;

export type RegisteredWorkflowName = keyof typeof VERSIONING_BEHAVIORS;

/**
 * Attaches each workflow's behaviour to its function (`setWorkflowOptions`). Takes every registered
 * workflow by name, so a workflow added to workflows/index.ts without a behaviour here fails to compile.
 *
 * Stated only when the run's first workflow task was a versioned worker's (`currentDeploymentVersion`
 * names a deployment; deterministic: on a replay it is the version recorded in the history). Temporal refuses a behaviour
 * from an unversioned worker ("versioning behavior cannot be specified without deployment options"), so
 * the same bundle serves unversioned workers (`npm run dev`, the tests) unchanged. A run begun on an
 * unversioned worker states none and gets the versioned worker's default, AUTO_UPGRADE, which is what
 * Temporal treats unversioned runs as. The one case this cannot serve: a run begun on a versioned worker
 * later handed to an unversioned one (its history names a version, so it states a behaviour that the
 * unversioned worker may not send). Hence, once on, versioning stays on; a rollback is a new build id.
 */
export function declareVersioningBehaviors(workflows: Record<RegisteredWorkflowName, (...args: never[]) => Promise<unknown>>): void {
  for (const [name, fn] of Object.entries(workflows) as [RegisteredWorkflowName, (...args: unknown[]) => Promise<unknown>][]) {
    const versioningBehavior = VERSIONING_BEHAVIORS[name];
    // Called once per run, just before the workflow function starts (workflowInfo() is available then).
    // An unversioned worker reports a version too (its build id, the bundle's checksum), with no deployment name.
    setWorkflowOptions(() => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior } : {}), fn);
  }
}
