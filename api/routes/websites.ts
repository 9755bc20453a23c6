/**
 * Website bindings (`/v1/websites`): where a bot's chat widget may run. Creating one answers the public
 * `website_token`, the snippet to paste into the site, and the identity secret (shown once, like a webhook
 * secret; rotate it to see a new one). `POST /v1/bots/:id/preview` makes a one-hour link to the preview
 * page, which runs the same widget against the bot's latest published version.
 */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { WebsiteDoc, WebsiteSecrets } from '../../models/website.model';
import { CreateWebsiteBody, UpdateWebsiteBody } from './website-bodies';
import { callerOf } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { newId } from '../ids';
import { page, PageQuery } from '../pagination';
import { parse } from '../validate';
import { releasePlanSlot, withPlanSlot } from '../plans';
import { BotParams, parsePath, WebsiteParams } from '../path-params';
import { apiOrigin } from '../widget/sites';
import { newIdentitySecret, newWebsiteToken, type WidgetTokens } from '../widget/tokens';

export const WebsiteListQuery = z.strictObject({ ...PageQuery, botId: z.string().min(1).max(64).optional() });

const websiteView = (w: WebsiteDoc) => ({
  id: w._id,
  botId: w.botId,
  name: w.name,
  origins: w.origins,
  websiteToken: w.token,
  identity: w.identity,
  appearance: w.appearance ?? {},
  createdAt: w.createdAt.toISOString(),
  updatedAt: w.updatedAt.toISOString(),
});

/** The tag a site pastes before `</body>`; the token is public by design. */
export const widgetSnippet = (base: string, token: string): string => `<script src="${base}/widget.js" data-parley-website="${token}" async></script>`;

export function websitesRouter(deps: ApiDeps, tokens: WidgetTokens): Router {
  const { Website, Bot, BotVersion, secrets, config } = deps;
  const router = Router();
  const base = (req: Request): string => config.PUBLIC_URL ?? apiOrigin(req, config);

  const findWebsite = async (accountId: string, id: string): Promise<WebsiteDoc> => {
    const website = await Website.findOne({ _id: id, accountId }).lean();
    if (!website) throw AppError.notFound('website');
    return website;
  };
  const requireBot = async (accountId: string, botId: string): Promise<void> => {
    if (!(await Bot.exists({ _id: botId, accountId }))) throw new AppError(404, 'bot_not_found', 'bot not found', { botId });
  };

  router.post('/v1/websites', async (req, res) => {
    const body = parse(CreateWebsiteBody, req.body);
    const { accountId } = callerOf(res);
    await requireBot(accountId, body.botId);
    const id = newId('site');
    const identitySecret = newIdentitySecret();
    const now = new Date();
    const doc: WebsiteDoc = {
      _id: id,
      accountId,
      botId: body.botId,
      name: body.name,
      origins: body.origins,
      token: newWebsiteToken(),
      identity: body.identity,
      appearance: body.appearance,
      sealed: secrets.seal({ identitySecret } satisfies WebsiteSecrets, id),
      createdAt: now,
      updatedAt: now,
    };
    await withPlanSlot(deps, accountId, 'websites', 1, () => Website.create(doc));
    res.status(201).json({ website: websiteView(doc), snippet: widgetSnippet(base(req), doc.token), identitySecret });
  });

  router.get('/v1/websites', async (req, res) => {
    const query = parse(WebsiteListQuery, req.query, 'query');
    const filter: Record<string, unknown> = { accountId: callerOf(res).accountId };
    if (query.botId) filter.botId = query.botId;
    if (query.after) filter._id = { $lt: query.after };
    const websites = await Website.find(filter).sort({ _id: -1 }).limit(query.limit + 1).lean();
    res.json(page(websites.map(websiteView), query.limit));
  });

  router.get('/v1/websites/:id', async (req, res) => {
    const { id } = parsePath(WebsiteParams, req.params);
    const website = await findWebsite(callerOf(res).accountId, id);
    res.json({ website: websiteView(website), snippet: widgetSnippet(base(req), website.token) });
  });

  router.patch('/v1/websites/:id', async (req, res) => {
    const { id } = parsePath(WebsiteParams, req.params);
    const body = parse(UpdateWebsiteBody, req.body);
    const { accountId } = callerOf(res);
    await findWebsite(accountId, id);
    if (body.botId) await requireBot(accountId, body.botId);
    const website = await Website.findOneAndUpdate({ _id: id, accountId }, { $set: { ...body, updatedAt: new Date() } }, { returnDocument: 'after' }).lean();
    if (!website) throw AppError.notFound('website');
    res.json({ website: websiteView(website), snippet: widgetSnippet(base(req), website.token) });
  });

  router.delete('/v1/websites/:id', async (req, res) => {
    const { id } = parsePath(WebsiteParams, req.params);
    const result = await Website.deleteOne({ _id: id, accountId: callerOf(res).accountId });
    if (result.deletedCount === 0) throw AppError.notFound('website');
    await releasePlanSlot(deps, callerOf(res).accountId, 'websites');
    res.status(204).end();
  });

  /** A new public token: the old snippet stops working (within the widget's 5 s cache). */
  router.post('/v1/websites/:id/rotate-token', async (req, res) => {
    const { id } = parsePath(WebsiteParams, req.params);
    const { accountId } = callerOf(res);
    const website = await Website.findOneAndUpdate({ _id: id, accountId }, { $set: { token: newWebsiteToken(), updatedAt: new Date() } }, { returnDocument: 'after' }).lean();
    if (!website) throw AppError.notFound('website');
    res.json({ website: websiteView(website), snippet: widgetSnippet(base(req), website.token) });
  });

  /** A new identity secret, shown once: identity tokens signed with the old one are refused from now on. */
  router.post('/v1/websites/:id/rotate-identity-secret', async (req, res) => {
    const { id } = parsePath(WebsiteParams, req.params);
    const { accountId } = callerOf(res);
    const identitySecret = newIdentitySecret();
    const website = await Website.findOneAndUpdate(
      { _id: id, accountId },
      { $set: { sealed: secrets.seal({ identitySecret } satisfies WebsiteSecrets, id), updatedAt: new Date() } },
      { returnDocument: 'after' },
    ).lean();
    if (!website) throw AppError.notFound('website');
    res.json({ website: websiteView(website), identitySecret });
  });

  router.post('/v1/bots/:id/preview', async (req, res) => {
    const { id } = parsePath(BotParams, req.params);
    const { accountId } = callerOf(res);
    await requireBot(accountId, id);
    if (!(await BotVersion.exists({ botId: id, accountId }))) {
      throw new AppError(409, 'bot_not_published', 'the bot has no published version; publish it first', { botId: id });
    }
    const { token, expiresAt } = await tokens.issuePreview(accountId, id);
    res.status(201).json({ url: `${base(req)}/preview/${token}`, expiresAt: expiresAt.toISOString() });
  });

  return router;
}
