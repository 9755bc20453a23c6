import { Router } from 'express';
import { z } from 'zod';
import type { CallLogDoc } from '../../models/connection.model';
import { LIMITS } from '../../models/limits';
import { callerOf } from '../auth';
import type { ApiDeps } from '../deps';
import { page, queryInt } from '../pagination';
import { parse } from '../validate';
import { EndpointParams, findEndpoint } from './connections/lookups';

/**
 * A call log as shown. The activity stores requests with secrets already masked and bodies trimmed;
 * this view still lists each field by name, so nothing added to the document later shows up unreviewed.
 */
export const callLogView = (l: CallLogDoc) => ({
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
  createdAt: l.createdAt.toISOString(),
});

const Ref = z.string().min(1).max(64);
const Page = {
  limit: queryInt(1, LIMITS.pageSizeMax).default(50),
  // Log ids are time-ordered like every other id, so the last id of a page is the cursor.
  after: z.string().regex(/^[A-Za-z0-9_:.-]{1,128}$/, 'must be an id from a previous page').optional(),
  success: z.enum(['true', 'false']).optional(),
};
const LogQuery = z.strictObject({ ...Page, connectionId: Ref.optional(), endpointId: Ref.optional(), conversationId: Ref.optional() });
const EndpointLogQuery = z.strictObject(Page);

/** Outbound call logs, newest first. */
export function logsRouter(deps: ApiDeps): Router {
  const router = Router();

  const list = async (filter: Record<string, unknown>, query: z.infer<typeof EndpointLogQuery>) => {
    if (query.success) filter.success = query.success === 'true';
    if (query.after) filter._id = { $lt: query.after };
    const logs = await deps.CallLog.find(filter).sort({ _id: -1 }).limit(query.limit + 1).lean();
    return page(logs.map(callLogView), query.limit);
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
    const { id, eid } = parse(EndpointParams, req.params, 'params');
    const query = parse(EndpointLogQuery, req.query, 'query');
    const accountId = callerOf(res).accountId;
    await findEndpoint(deps, accountId, id, eid);
    res.json(await list({ accountId, connectionId: id, endpointId: eid }, query));
  });

  return router;
}
