/**
 * Handoff settings (issue 20): the account's inbox defaults (`GET|PUT /v1/inbox/settings`) and each bot's
 * routing and SLA (`GET|PUT /v1/bots/:id/handoff`). One document each in `handoff_settings`, read and
 * written by `_id`; a conversation reads them when it hands off (activity `loadHandoffSettings`), so a
 * change applies to the next handoff, never to one already running.
 */
import { Router } from 'express';
import { InboxSettings } from '../../models/inbox-settings.schema';
import { HandoffSettings } from '../../models/sla.schema';
import { accountSettingsId, botSettingsId, storedSettings, type HandoffSettingsDoc } from '../../models/sla.model';
import { findOwned, withOwnedId } from '../../models/tenancy';
import { callerOf } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { BotParams, parsePath } from '../path-params';
import { parse } from '../validate';

export function handoffSettingsRouter(deps: ApiDeps): Router {
  const router = Router();
  const { HandoffSetting, Bot } = deps;

  const save = (id: string, accountId: string, kind: HandoffSettingsDoc['kind'], fields: object) =>
    withOwnedId(kind === 'account' ? "the caller's own account settings" : 'the settings of a bot the caller owns (checked just before)', () =>
      HandoffSetting.replaceOne({ _id: id }, { _id: id, accountId, kind, ...fields, updatedAt: new Date() }, { upsert: true }).exec(),
    );

  const requireBot = async (accountId: string, id: string): Promise<void> => {
    if (!(await findOwned(Bot, id, accountId, { _id: 1 }))) throw AppError.notFound('bot');
  };

  router.get('/v1/inbox/settings', async (_req, res) => {
    const accountId = callerOf(res).accountId;
    res.json(storedSettings(InboxSettings, await findOwned(HandoffSetting, accountSettingsId(accountId), accountId)));
  });

  router.put('/v1/inbox/settings', async (req, res) => {
    const body = parse(InboxSettings, req.body);
    const accountId = callerOf(res).accountId;
    await save(accountSettingsId(accountId), accountId, 'account', body);
    res.json(body);
  });

  router.get('/v1/bots/:id/handoff', async (req, res) => {
    const { id } = parsePath(BotParams, req.params);
    const accountId = callerOf(res).accountId;
    await requireBot(accountId, id);
    res.json(storedSettings(HandoffSettings, await findOwned(HandoffSetting, botSettingsId(id), accountId)));
  });

  router.put('/v1/bots/:id/handoff', async (req, res) => {
    const { id } = parsePath(BotParams, req.params);
    const body = parse(HandoffSettings, req.body);
    const accountId = callerOf(res).accountId;
    await requireBot(accountId, id);
    await save(botSettingsId(id), accountId, 'bot', body);
    res.json(body);
  });

  return router;
}
