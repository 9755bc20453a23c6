/**
 * Worker versioning settings (worker/versioning.ts, worker/config.ts) and the versioning behaviour of
 * every registered workflow (workflows/versioning.ts). The behaviour on a real server is
 * test/integration/worker-versioning.test.ts.
 */
import * as registered from '../../workflows';
import { VERSIONING_BEHAVIORS } from '../../workflows/versioning';
import { loadWorkerConfig } from '../../worker/config';
import { workerDeploymentOptions } from '../../worker/versioning';

const base = { PARLEY_SECRET_KEYS: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' };

describe('worker versioning settings', () => {
  it('is off when neither variable is set', () => {
    const config = loadWorkerConfig(base);
    expect(config.deploymentVersion).toBeUndefined();
    expect(workerDeploymentOptions(config.deploymentVersion)).toBeUndefined();
  });

  it('polls as <deployment>:<build id> with AUTO_UPGRADE for types that state nothing', () => {
    const config = loadWorkerConfig({ ...base, WORKER_DEPLOYMENT_NAME: 'parley', WORKER_BUILD_ID: '1.4.0' });
    expect(config.deploymentVersion).toEqual({ deploymentName: 'parley', buildId: '1.4.0' });
    expect(workerDeploymentOptions(config.deploymentVersion)).toEqual({ version: { deploymentName: 'parley', buildId: '1.4.0' }, useWorkerVersioning: true, defaultVersioningBehavior: 'AUTO_UPGRADE' });
  });

  it.each([
    [{ WORKER_DEPLOYMENT_NAME: 'parley' }, /^invalid worker environment: WORKER_DEPLOYMENT_NAME is set but WORKER_BUILD_ID is not/],
    [{ WORKER_BUILD_ID: 'abc123' }, /^invalid worker environment: WORKER_BUILD_ID is set but WORKER_DEPLOYMENT_NAME is not/],
    [{ WORKER_DEPLOYMENT_NAME: 'parley.prod', WORKER_BUILD_ID: '1' }, /^invalid worker environment: WORKER_DEPLOYMENT_NAME: .*must not contain "\." or ":"/],
    [{ WORKER_DEPLOYMENT_NAME: 'parley', WORKER_BUILD_ID: '__internal' }, /^invalid worker environment: WORKER_BUILD_ID: .*must not start with "__"/],
    [{ WORKER_DEPLOYMENT_NAME: 'parley', WORKER_BUILD_ID: 'two words' }, /^invalid worker environment: WORKER_BUILD_ID: .*whitespace/],
    [{ WORKER_DEPLOYMENT_NAME: 'parley', WORKER_BUILD_ID: ' ' }, /^invalid worker environment: WORKER_DEPLOYMENT_NAME is set but WORKER_BUILD_ID is not/],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => loadWorkerConfig({ ...base, ...env })).toThrow(message);
  });
});

describe('workflow versioning behaviours', () => {
  it('states one for every workflow the worker registers, and nothing else', () => {
    expect(Object.keys(VERSIONING_BEHAVIORS).sort()).toEqual(Object.keys(registered).sort());
    for (const fn of Object.values(registered)) expect(typeof (fn as { workflowDefinitionOptions?: unknown }).workflowDefinitionOptions).toBe('function');
  });

  it('moves every long-lived type to new versions and pins only the short ones', () => {
    const pinned = Object.entries(VERSIONING_BEHAVIORS).filter(([, behavior]) => behavior === 'PINNED').map(([name]) => name);
    expect(pinned.sort()).toEqual(['connectionTestWorkflow', 'endpointTestWorkflow', 'knowledgeAnalysisWorkflow', 'openApiDocumentWorkflow']);
  });
});
