/**
 * `GET /v1/sla/status` (issue 20): open handoffs now, and first-response and resolution figures over a
 * window of UTC days. The figures come from the running aggregates (activity `recordSlaSample`): one scope's
 * documents of the window, through the index `{accountId, scope, day}` — at most (1 + bots + agents) × 2
 * documents a day, never the conversations themselves. The open counts are four index counts on the
 * conversations (`{accountId, inbox, slaState}`).
 */
import { Router } from 'express';
import { z } from 'zod';
import { summarize, utcDay, type AggregateRow } from '../../core/sla/aggregates';
import type { InboxState } from '../../models/agent.schema';
import type { SlaState } from '../../models/sla.schema';
import { callerOf } from '../auth';
import type { ApiDeps } from '../deps';
import { queryInt } from '../pagination';
import { BotId } from '../path-params';
import { parse } from '../validate';

export const SlaStatusQuery = z.strictObject({
  windowDays: queryInt(1, 90).default(7).describe('how many UTC days, today included'),
  botId: BotId.optional().describe("only this bot's handoffs and figures"),
});

const DAY_MS = 86_400_000;
const OPEN: InboxState[] = ['waiting', 'assigned'];

export function slaRouter(deps: ApiDeps): Router {
  const router = Router();
  const { Conversation, SlaAggregate } = deps;

  router.get('/v1/sla/status', async (req, res) => {
    const query = parse(SlaStatusQuery, req.query, 'query');
    const accountId = callerOf(res).accountId;
    const now = Date.now();
    const firstDay = utcDay(now - (query.windowDays - 1) * DAY_MS);
    const bot = query.botId ? { botId: query.botId } : {};
    const count = (inbox: InboxState, slaState: SlaState) => Conversation.countDocuments({ accountId, inbox, slaState, ...bot });
    const [rows, waiting, assigned, ...risky] = await Promise.all([
      SlaAggregate.find({ accountId, scope: query.botId ?? '', day: { $gte: firstDay, $lte: utcDay(now) } }, { dimension: 1, metric: 1, count: 1, breached: 1, hist: 1 }).lean<AggregateRow[]>(),
      Conversation.countDocuments({ accountId, inbox: 'waiting', ...bot }),
      Conversation.countDocuments({ accountId, inbox: 'assigned', ...bot }),
      // Equalities only (one count per inbox state): the index `{accountId, inbox, slaState}` answers each.
      ...OPEN.flatMap((inbox) => [count(inbox, 'at_risk'), count(inbox, 'breached')]),
    ]);
    const [atRisk, breached] = [risky[0]! + risky[2]!, risky[1]! + risky[3]!];
    res.json({
      window: { from: `${firstDay}T00:00:00.000Z`, to: new Date(now).toISOString() },
      open: { waiting, assigned, atRisk, breached },
      ...summarize(rows, query.botId ?? null),
    });
  });

  return router;
}
