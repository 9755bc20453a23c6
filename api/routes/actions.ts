import { Router } from 'express';
import { z } from 'zod';
import type { ActionDoc } from '../../models/connection.model';
import { ActionBody } from '../../models/connection.schema';
import { LIMITS } from '../../models/limits';
import { callerOf } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { page, queryInt } from '../pagination';
import { parse } from '../validate';
import { ActionId, ActionParams, parsePath } from '../path-params';
import { actionIssues, endpointIdsOf, storedSteps } from './connections/action-rules';
import { ACTION_TEMPLATES } from './connections/action-templates';
import { rejectIssues } from './connections/issues';

export const actionView = (a: ActionDoc) => ({
  id: a.actionId,
  name: a.name,
  description: a.description,
  steps: storedSteps(a.steps),
  outputStep: a.outputStep ?? null,
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
});

// Action ids are the account's own slugs (not time-ordered ids), so lists page in id order.
export const ActionListQuery = z.strictObject({ limit: queryInt(1, LIMITS.pageSizeMax).default(50), after: ActionId.optional() });

/** Stored under `<accountId>:<id>`, so two accounts can both have an action `order_status`. */
const docId = (accountId: string, id: string): string => `${accountId}:${id}`;

/** Actions: one endpoint, or a chain of steps, that flows and the LLM can run. */
export function actionsRouter(deps: ApiDeps): Router {
  const router = Router();
  const { Action, Endpoint } = deps;

  /** The checks that need the account's endpoints: every endpoint named must be the caller's. */
  const validate = async (accountId: string, action: ActionBody): Promise<void> => {
    const endpoints = await Endpoint.find({ _id: { $in: endpointIdsOf(action) }, accountId }).lean();
    rejectIssues('invalid_action', actionIssues(action, new Map(endpoints.map((e) => [e._id, e]))));
  };

  router.post('/v1/actions', async (req, res) => {
    const body = parse(ActionBody, req.body);
    const accountId = callerOf(res).accountId;
    await validate(accountId, body);
    const now = new Date();
    const { id, outputStep, ...fields } = body;
    const action: ActionDoc = { _id: docId(accountId, id), accountId, actionId: id, ...fields, ...(outputStep && { outputStep }), createdAt: now, updatedAt: now };
    try {
      await Action.create(action);
    } catch (error) {
      if ((error as { code?: number }).code === 11000) throw new AppError(409, 'action_exists', `an action "${id}" already exists; PUT /v1/actions/${id} replaces it`, { id });
      throw error;
    }
    res.status(201).json({ action: actionView(action) });
  });

  router.get('/v1/actions', async (req, res) => {
    const query = parse(ActionListQuery, req.query, 'query');
    const filter: Record<string, unknown> = { accountId: callerOf(res).accountId };
    if (query.after) filter.actionId = { $gt: query.after };
    const actions = await Action.find(filter).sort({ actionId: 1 }).limit(query.limit + 1).lean();
    res.json(page(actions.map(actionView), query.limit));
  });

  router.get('/v1/actions/:id', async (req, res) => {
    const { id } = parsePath(ActionParams, req.params);
    const accountId = callerOf(res).accountId;
    const action = await Action.findOne({ _id: docId(accountId, id), accountId }).lean();
    if (!action) throw AppError.notFound('action');
    res.json({ action: actionView(action) });
  });

  /** Replaces the action whole (create it with POST). The body's `id` must be the one in the path. */
  router.put('/v1/actions/:id', async (req, res) => {
    const { id } = parsePath(ActionParams, req.params);
    const body = parse(ActionBody, req.body);
    if (body.id !== id) {
      throw new AppError(400, 'validation_failed', 'body.id: must be the action id in the path', [{ path: 'body.id', message: 'must be the action id in the path', code: 'custom' }]);
    }
    const accountId = callerOf(res).accountId;
    if (!(await Action.exists({ _id: docId(accountId, id), accountId }))) throw AppError.notFound('action');
    await validate(accountId, body);
    const { id: _id, outputStep, ...fields } = body;
    const action = await Action.findOneAndUpdate(
      { _id: docId(accountId, id), accountId },
      { $set: { ...fields, ...(outputStep && { outputStep }), updatedAt: new Date() }, ...(!outputStep && { $unset: { outputStep: 1 } }) },
      { returnDocument: 'after' },
    ).lean();
    if (!action) throw AppError.notFound('action');
    res.json({ action: actionView(action) });
  });

  router.delete('/v1/actions/:id', async (req, res) => {
    const { id } = parsePath(ActionParams, req.params);
    const accountId = callerOf(res).accountId;
    const deleted = await Action.deleteOne({ _id: docId(accountId, id), accountId });
    if (deleted.deletedCount === 0) throw AppError.notFound('action');
    res.status(204).end();
  });

  /** Static starting points; see connections/action-templates.ts for how to apply one. */
  router.get('/v1/action-templates', (_req, res) => {
    res.json({ data: ACTION_TEMPLATES });
  });

  return router;
}
