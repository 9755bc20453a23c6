/**
 * The public widget endpoints: what a browser on a bound website (or the preview page) calls, with no
 * API key. `/widget/v1/<website token>/...`:
 *
 * - `GET  config`: the bot's name and the widget's appearance;
 * - `POST conversations`: starts a conversation, answers the greeting and a visitor token (`vt_...`)
 *   that the browser keeps and sends as `Authorization: Bearer vt_...` on the routes below;
 * - `POST conversations/:id/messages`, `GET conversations/:id/messages?after=`: send and read.
 *
 * Every request must come from one of the website's origins (CORS: the `Origin` header; anything else is
 * 403 `origin_not_allowed`), and is counted per website and per website and client address (an IPv6
 * client by its /64). A signed identity token (HS256, the website's identity secret) is the only way a
 * widget visitor gets a user id and a contact; otherwise they are an anonymous `visitor_...`.
 */
import { randomBytes } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { ConversationDoc } from '../../models/conversation.model';
import { SendMessageBody } from '../../models/conversation.schema';
import type { WebsiteSecrets } from '../../models/website.model';
import { WidgetStartBody } from '../../models/website.schema';
import { originAllowed } from '../../core/origins';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { newId } from '../ids';
import { timeTurn } from '../metrics';
import { addressLimitKey } from '../client-address';
import { applyLimits, type SharedLimiters } from '../rate-limit';
import { deliverVisitorMessage } from '../routes/conversations/send-message';
import { begin } from '../routes/conversations/start';
import { VisitorTranscriptQuery, transcriptPage } from '../routes/conversations/read';
import { parse } from '../validate';
import { parsePath, WidgetConversationParams, WidgetParams } from '../path-params';
import { createSiteResolver, type WidgetSite } from './sites';
import { verifyIdentityToken, type WidgetTokens } from './tokens';
import { findOwned } from '../../models/tenancy';

const EXPOSED_HEADERS = 'Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset';

type Kind = 'read' | 'message' | 'start';

export function widgetRouter(deps: ApiDeps, options: { limiters: SharedLimiters; tokens: WidgetTokens }): Router {
  const { config } = deps;
  const { tokens } = options;
  const resolve = createSiteResolver(deps, tokens);
  const perSite = options.limiters.create('widget-site', config.WIDGET_RATE_LIMIT_PER_MINUTE, 60);
  const perClient = options.limiters.create('widget-client', config.WIDGET_CLIENT_RATE_LIMIT_PER_MINUTE, 60);
  const messagesPerClient = options.limiters.create('widget-client-messages', config.WIDGET_CLIENT_MESSAGES_PER_MINUTE, 60);
  const startsPerClient = options.limiters.create('widget-client-starts', config.WIDGET_CLIENT_CONVERSATIONS_PER_HOUR, 3600);

  /** Resolves the token, checks the origin, sets CORS headers; answers a preflight. Undefined when answered. */
  const admit = async (req: Request, res: Response, kind: Kind): Promise<WidgetSite | undefined> => {
    const { token } = parsePath(WidgetParams, req.params);
    const site = await resolve(token, req);
    // Browsers leave Origin out of same-origin GETs (the preview page reading its transcript); Fetch
    // Metadata says where those come from.
    const origin = req.get('origin') ?? (req.get('sec-fetch-site') === 'same-origin' && site.channel === 'preview' ? site.origins[0] : undefined);
    if (!originAllowed(origin, site.origins)) {
      throw new AppError(403, 'origin_not_allowed', origin ? `the widget is not allowed on ${origin.slice(0, 200)}; add it to the website's origins` : 'widget requests must come from a browser page on one of the website\'s origins', {
        origin: origin?.slice(0, 200) ?? null,
      });
    }
    res.setHeader('Access-Control-Allow-Origin', origin!);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return undefined;
    }
    const scope = site.scope.kind === 'website' ? site.scope.websiteId : `preview:${site.scope.botId}`;
    const client = `${scope}:${addressLimitKey(req.ip)}`;
    // A store failure refuses starts and messages (503), not reads: api/rate-limit.ts `failsClosed`.
    const refused = applyLimits(
      req,
      res,
      await Promise.all([
        perSite.consume(scope),
        perClient.consume(client),
        kind === 'message' ? messagesPerClient.consume(client) : undefined,
        kind === 'start' ? startsPerClient.consume(client) : undefined,
      ]),
    );
    if (refused) throw refused;
    return site;
  };

  /** The visitor's own conversation: a valid visitor token for it, and it belongs to this website. */
  const visitorConversation = async (req: Request, site: WidgetSite, id: string): Promise<ConversationDoc> => {
    const token = /^Bearer\s+(vt_[A-Za-z0-9_-]{20,100})\s*$/.exec(req.get('authorization') ?? '')?.[1];
    if (!token || !tokens.visitorTokenValid(token, site.scope, id)) {
      throw new AppError(401, 'invalid_visitor_token', 'send the visitor token this conversation was started with as "Authorization: Bearer vt_..."');
    }
    const conversation = await deps.Conversation.findOne({ _id: id, accountId: site.accountId }).lean();
    const belongs =
      conversation &&
      (site.scope.kind === 'website' ? conversation.websiteId === site.scope.websiteId : conversation.channel === 'preview' && conversation.botId === site.scope.botId);
    if (!conversation || !belongs) throw AppError.notFound('conversation');
    deps.conversationOwners.set(id, site.accountId);
    return conversation;
  };

  const preflight: RequestHandler = async (req, res) => {
    await admit(req, res, 'read');
  };

  const router = Router();
  router.options('/widget/v1/:token/config', preflight);
  router.options('/widget/v1/:token/conversations', preflight);
  router.options('/widget/v1/:token/conversations/:id/messages', preflight);

  router.get('/widget/v1/:token/config', async (req, res) => {
    const site = await admit(req, res, 'read');
    if (!site) return;
    const bot = await deps.Bot.findOne({ _id: site.botId, accountId: site.accountId }, { name: 1 }).lean();
    if (!bot) throw AppError.notFound('bot');
    res.json({
      bot: { id: bot._id, name: bot.name },
      channel: site.channel,
      title: site.appearance.title ?? bot.name,
      appearance: { color: site.appearance.color ?? '#2563eb', position: site.appearance.position ?? 'right' },
      identity: site.identity,
    });
  });

  router.post('/widget/v1/:token/conversations', async (req, res) => {
    const site = await admit(req, res, 'start');
    if (!site) return;
    const body = parse(WidgetStartBody, req.body ?? {});
    const visitor = await identify(deps, site, body.identityToken);
    const conversationId = newId('conv');
    const answer = await timeTurn(deps.metrics, 'start', () => begin(
      deps,
      site.accountId,
      { botId: site.botId, externalUserId: visitor.externalUserId, ...(visitor.contact ? { contact: visitor.contact } : {}) },
      conversationId,
      undefined,
      { channel: site.channel, ...(site.websiteId ? { websiteId: site.websiteId } : {}) },
    ));
    const conversation = answer.body.conversation as { id: string; status: string };
    res.status(answer.status).json({
      conversation: { id: conversation.id, status: conversation.status },
      visitorToken: tokens.visitorToken(site.scope, conversation.id),
      identified: visitor.identified,
      replies: answer.body.replies,
      ...(answer.status === 202 ? { status: 'pending' } : {}),
    });
  });

  router.post('/widget/v1/:token/conversations/:id/messages', async (req, res) => {
    const site = await admit(req, res, 'message');
    if (!site) return;
    const { id } = parsePath(WidgetConversationParams, req.params);
    const body = parse(SendMessageBody, req.body);
    await visitorConversation(req, site, id);
    await deliverVisitorMessage(deps, res, site.accountId, id, body);
  });

  router.get('/widget/v1/:token/conversations/:id/messages', async (req, res) => {
    const site = await admit(req, res, 'read');
    if (!site) return;
    const { id } = parsePath(WidgetConversationParams, req.params);
    const query = parse(VisitorTranscriptQuery, req.query, 'query');
    const conversation = await visitorConversation(req, site, id);
    res.json({ ...(await transcriptPage(deps, site.accountId, id, query)), conversation: { id, status: conversation.status } });
  });

  return router;
}

interface Visitor {
  externalUserId: string;
  contact?: { email?: string; name?: string };
  identified: boolean;
}

/** Who the visitor is: the signed identity when the website uses them, else an anonymous visitor id. */
async function identify(deps: ApiDeps, site: WidgetSite, identityToken: string | undefined): Promise<Visitor> {
  const anonymous: Visitor = { externalUserId: `visitor_${randomBytes(12).toString('hex')}`, identified: false };
  if (site.identity === 'off' || !site.website) return anonymous;
  if (!identityToken) {
    if (site.identity === 'required') throw new AppError(401, 'identity_required', 'this website requires a signed identity token (identityToken) for every visitor');
    return anonymous;
  }
  // Read afresh (not from the 5 s site cache): a rotated secret stops working at once.
  const current = await findOwned(deps.Website, site.website._id, site.website.accountId, { sealed: 1 });
  if (!current) throw new AppError(404, 'website_not_found', 'no website has this token; copy the snippet again from the website settings');
  const { identitySecret } = deps.secrets.open<WebsiteSecrets>(current.sealed, current._id);
  const check = await verifyIdentityToken(identityToken, identitySecret);
  if (!check.ok) throw new AppError(401, 'invalid_identity', check.reason);
  const { sub, email, name } = check.claims;
  const contact = { ...(email ? { email } : {}), ...(name ? { name } : {}) };
  return { externalUserId: sub, ...(Object.keys(contact).length ? { contact } : {}), identified: true };
}
