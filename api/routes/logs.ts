import { Router } from 'express';
import { z } from 'zod';
import type { CallLogDoc } from '../../models/connection.model';
import type { ApiConfig } from '../config';
import { LIMITS } from '../../models/limits';
import { callerOf } from '../auth';
import type { ApiDeps } from '../deps';
import { page, queryInt } from '../pagination';
import { parse } from '../validate';
import { EndpointParams, parsePath } from '../path-params';
import { findEndpoint } from './connections/lookups';

/** Where the Web UI shows a run's history (the workflow id is encoded: it is one path segment there). */
export function runHistoryUrl(config: Pick<ApiConfig, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>, workflowId: string, runId: string): string {
  return `${config.TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

/**
 * A call log as shown. The activity stores requests with secrets already masked and bodies trimmed;
 * this view still lists each field by name, so nothing added to the document later shows up unreviewed.
 * `run` links the call to the run that made it (null for logs written before runs were recorded).
 */
export const callLogView = (l: CallLogDoc, config: Pick<ApiConfig, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>) => ({
  id: l._id,
  connectionId: l.connectionId,
  endpointId: l.endpointId ?? null,
  kind: l.kind,
  // `?? {}`: mongoose does not store empty objects (its `minimize` option).
  request: { method: l.request.method, url: l.request.url, headers: l.request.headers ?? {}, body: l.request.body ?? null },
  response: l.response ? { status: l.response.status, headers: l.response.headers ?? {}, body: l.response.body ?? null, truncated: l.response.truncated } : null,
  status: l.status ?? null,
  success: l.success,
  error: l.error ?? null,
  durationMs: l.durationMs,
  attempt: l.attempt,
  conversationId: l.conversationId ?? null,
  workflowId: l.workflowId ?? null,
  run: l.workflowId && l.runId ? { workflowId: l.workflowId, runId: l.runId, url: runHistoryUrl(config, l.workflowId, l.runId) } : null,
  createdAt: l.createdAt.toISOString(),
});

const Ref = z.string().min(1).max(64);
const Page = {
  limit: queryInt(1, LIMITS.pageSizeMax).default(50),
  // Log ids are time-ordered like every other id, so the last id of a page is the cursor.
  after: z.string().regex(/^[A-Za-z0-9_:.-]{1,128}$/, 'must be an id from a previous page').optional(),
  success: z.enum(['true', 'false']).optional(),
};
export const LogQuery = z.strictObject({ ...Page, connectionId: Ref.optional(), endpointId: Ref.optional(), conversationId: Ref.optional() });
export const EndpointLogQuery = z.strictObject(Page);

/** Outbound call logs, newest first. */
export function logsRouter(deps: ApiDeps): Router {
  const router = Router();

  const list = async (filter: Record<string, unknown>, query: z.infer<typeof EndpointLogQuery>) => {
    if (query.success) filter.success = query.success === 'true';
    if (query.after) filter._id = { $lt: query.after };
    const logs = await deps.CallLog.find(filter).sort({ _id: -1 }).limit(query.limit + 1).lean();
    return page(logs.map((l) => callLogView(l, deps.config)), query.limit);
  };

  /** `GET /v1/logs?connectionId=&endpointId=&conversationId=&success=&after=&limit=` — another account's ids simply match nothing. */
  router.get('/v1/logs', async (req, res) => {
    const query = parse(LogQuery, req.query, 'query');
    const filter: Record<string, unknown> = { accountId: callerOf(res).accountId };
    if (query.connectionId) filter.connectionId = query.connectionId;
    if (query.endpointId) filter.endpointId = query.endpointId;
    if (query.conversationId) filter.conversationId = query.conversationId;
    res.json(await list(filter, query));
  });

  /** `GET /v1/connections/:id/endpoints/:eid/logs?success=&after=&limit=` */
  router.get('/v1/connections/:id/endpoints/:eid/logs', async (req, res) => {
    const { id, eid } = parsePath(EndpointParams, req.params);
    const query = parse(EndpointLogQuery, req.query, 'query');
    const accountId = callerOf(res).accountId;
    await findEndpoint(deps, accountId, id, eid);
    // The endpoint is this connection's (just checked) and its calls are all logged under it, so the
    // filter names the endpoint alone: one index, {accountId, endpointId, _id}, answers it.
    res.json(await list({ accountId, endpointId: eid }, query));
  });

  return router;
}
