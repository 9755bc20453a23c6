import type { RequestHandler } from 'express';
import { TestEndpointBody } from '../../../models/connection.schema';
import type { connectionTestWorkflow, endpointTestWorkflow } from '../../../workflows/tests';
import { callerOf } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AppError } from '../../errors';
import { newId } from '../../ids';
import { isWaitExpired } from '../../temporal-errors';
import { parse } from '../../validate';
import { ConnectionParams, EndpointParams, parsePath } from '../../path-params';
import { findConnection, findEndpoint } from './lookups';

/** Runs a test workflow and waits for its answer (the API itself never calls the tenant). */
async function runTest<T>(deps: ApiDeps, start: (workflowId: string) => Promise<T>): Promise<T> {
  try {
    return await deps.temporal.withDeadline(Date.now() + 90_000, () => start(newId('test')));
  } catch (error) {
    if (isWaitExpired(error)) throw new AppError(504, 'test_timeout', 'the test did not finish in time; see the call logs');
    throw error;
  }
}

/** `POST /v1/connections/:id/test`: reachability and auth, with a plain reason when it fails. */
export function testConnection(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id } = parsePath(ConnectionParams, req.params);
    const { accountId } = callerOf(res);
    await findConnection(deps, accountId, id);
    const result = await runTest(deps, (workflowId) =>
      deps.temporal.workflow.execute<typeof connectionTestWorkflow>('connectionTestWorkflow', { workflowId, taskQueue: deps.config.TASK_QUEUE, args: [{ accountId, connectionId: id }] }),
    );
    res.json({ result });
  };
}

/** `POST /v1/connections/:id/endpoints/:eid/test` {values}: runs the endpoint once and shows the real response. */
export function testEndpoint(deps: ApiDeps): RequestHandler {
  return async (req, res) => {
    const { id, eid } = parsePath(EndpointParams, req.params);
    const body = parse(TestEndpointBody, req.body ?? {});
    const { accountId } = callerOf(res);
    await findEndpoint(deps, accountId, id, eid);
    const result = await runTest(deps, (workflowId) =>
      deps.temporal.workflow.execute<typeof endpointTestWorkflow>('endpointTestWorkflow', { workflowId, taskQueue: deps.config.TASK_QUEUE, args: [{ accountId, endpointId: eid, values: body.values }] }),
    );
    res.json({ result });
  };
}
