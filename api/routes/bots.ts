import { Router } from 'express';
import { z } from 'zod';
import type { BotDoc, BotVersionDoc } from '../../models/bot.model';
import { BotSnapshot, CreateBotBody, UpdateBotBody } from '../../models/bot.schema';
import { ActionBody } from '../../models/connection.schema';
import { BotFlows } from '../../models/flow.schema';
import { validateBotFlows } from '../../core/flows/validate';
import { callerOf } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { newId } from '../ids';
import { page, PageQuery } from '../pagination';
import { parse } from '../validate';
import { releasePlanSlot, withPlanSlot } from '../plans';
import { BotParams, parsePath } from '../path-params';
import type { NetworkPolicy } from '../../core/http/network-policy';
import { aiSnapshotOf, aiView } from './bot-ai';

export const botView = (b: BotDoc, policy: NetworkPolicy) => ({
  id: b._id,
  name: b.name,
  greeting: b.greeting,
  fallbackMessage: b.fallbackMessage,
  inactivityTimeoutSeconds: b.inactivityTimeoutSeconds,
  timezone: b.timezone,
  publishedVersion: b.publishedVersion || null,
  ai: aiView(b, policy),
  createdAt: b.createdAt.toISOString(),
  updatedAt: b.updatedAt.toISOString(),
});

const versionView = (v: BotVersionDoc) => ({ version: v.version, botId: v.botId, snapshot: v.snapshot, createdAt: v.createdAt.toISOString() });

export const BotListQuery = z.strictObject(PageQuery);

export function botsRouter(deps: ApiDeps): Router {
  const router = Router();
  const { Bot, BotVersion, Action, Endpoint } = deps;

  /**
   * The definitions of the actions the flows call, frozen into the version: editing an action later does
   * not change running conversations. An action that does not exist yet is left out (the flow then takes
   * its failure branch), so a bot can be published before its connections are set up.
   */
  const actionsOf = async (accountId: string, flows: BotFlows | undefined, toolActionIds: string[]) => {
    const ids = new Set((flows?.flows ?? []).flatMap((f) => f.blocks.flatMap((b) => (b.type === 'api_call' ? [b.action] : []))));
    for (const id of toolActionIds) ids.add(id);
    if (ids.size === 0) return {};
    const docs = await Action.find({ accountId, actionId: { $in: [...ids] } }).lean();
    // Each step carries its endpoint's retry policy and long-running settings, since the workflow cannot read the endpoint.
    const endpointIds = [...new Set(docs.flatMap((a) => a.steps.map((s) => s.endpointId)))];
    const policies = new Map((await Endpoint.find({ accountId, _id: { $in: endpointIds } }, { retry: 1, longRunning: 1 }).lean()).map((e) => [e._id, e]));
    return Object.fromEntries(
      docs.map((a) => {
        const steps = a.steps.map((s) => {
          const endpoint = policies.get(s.endpointId);
          return { ...s, retry: s.retry ?? endpoint?.retry, ...(endpoint?.longRunning ? { wait: endpoint.longRunning } : {}) };
        });
        return [a.actionId, ActionBody.parse({ id: a.actionId, name: a.name, description: a.description, steps, ...(a.outputStep ? { outputStep: a.outputStep } : {}) })];
      }),
    );
  };

  const findBot = async (accountId: string, id: string): Promise<BotDoc> => {
    const bot = await Bot.findOne({ _id: id, accountId }).lean();
    if (!bot) throw AppError.notFound('bot');
    return bot;
  };

  router.post('/v1/bots', async (req, res) => {
    const body = parse(CreateBotBody, req.body);
    const now = new Date();
    const bot: BotDoc = { _id: newId('bot'), accountId: callerOf(res).accountId, ...body, publishedVersion: 0, createdAt: now, updatedAt: now };
    await withPlanSlot(deps, bot.accountId, 'bots', 1, () => Bot.create(bot));
    res.status(201).json({ bot: botView(bot, deps.config.outbound) });
  });

  router.get('/v1/bots', async (req, res) => {
    const query = parse(BotListQuery, req.query, 'query');
    const filter: Record<string, unknown> = { accountId: callerOf(res).accountId };
    if (query.after) filter._id = { $gt: query.after };
    const bots = await Bot.find(filter).sort({ _id: 1 }).limit(query.limit + 1).lean();
    res.json(page(bots.map((b) => botView(b, deps.config.outbound)), query.limit));
  });

  router.get('/v1/bots/:id', async (req, res) => {
    const { id } = parsePath(BotParams, req.params);
    res.json({ bot: botView(await findBot(callerOf(res).accountId, id), deps.config.outbound) });
  });

  router.patch('/v1/bots/:id', async (req, res) => {
    const { id } = parsePath(BotParams, req.params);
    const body = parse(UpdateBotBody, req.body);
    const bot = await Bot.findOneAndUpdate(
      { _id: id, accountId: callerOf(res).accountId },
      { $set: { ...body, updatedAt: new Date() } },
      { returnDocument: 'after' },
    ).lean();
    if (!bot) throw AppError.notFound('bot');
    res.json({ bot: botView(bot, deps.config.outbound) });
  });

  router.delete('/v1/bots/:id', async (req, res) => {
    const { id } = parsePath(BotParams, req.params);
    const accountId = callerOf(res).accountId;
    const deleted = await Bot.deleteOne({ _id: id, accountId });
    if (deleted.deletedCount === 0) throw AppError.notFound('bot');
    await releasePlanSlot(deps, accountId, 'bots');
    // Running conversations keep their own snapshot; only new conversations need the versions.
    await BotVersion.deleteMany({ botId: id, accountId });
    res.status(204).end();
  });

  /** Freezes the bot's current settings as the next immutable version; new conversations run it. */
  router.post('/v1/bots/:id/publish', async (req, res) => {
    const { id } = parsePath(BotParams, req.params);
    const accountId = callerOf(res).accountId;
    for (let attempt = 0; attempt < 5; attempt++) {
      const bot = await findBot(accountId, id);
      const latest = await BotVersion.findOne({ botId: id, accountId }, { version: 1 }).sort({ version: -1 }).lean();
      const version = (latest?.version ?? 0) + 1;
      const { ai, toolActionIds } = await aiSnapshotOf(deps, accountId, bot);
      const snapshot = BotSnapshot.parse({
        botId: bot._id,
        version,
        name: bot.name,
        greeting: bot.greeting,
        fallbackMessage: bot.fallbackMessage,
        inactivityTimeoutSeconds: bot.inactivityTimeoutSeconds,
        timezone: bot.timezone,
        flows: bot.flows ?? BotFlows.parse({ flows: [] }),
        actions: await actionsOf(accountId, bot.flows, toolActionIds),
        ...(ai ? { ai } : {}),
      });
      const doc: BotVersionDoc = { _id: `${id}.v${version}`, accountId, botId: id, version, snapshot, createdAt: new Date() };
      try {
        await BotVersion.create(doc);
      } catch (error) {
        // A concurrent publish took this number: read again and take the next one.
        if ((error as { code?: number }).code === 11000) continue;
        throw error;
      }
      await Bot.updateOne({ _id: id, accountId, publishedVersion: { $lt: version } }, { $set: { publishedVersion: version } });
      res.status(201).json({ version: versionView(doc) });
      return;
    }
    throw new AppError(409, 'publish_conflict', 'the bot is being published concurrently; try again');
  });

  /** The draft's guided flows. Saved as a whole and validated as a graph; publish to put them live. */
  router.get('/v1/bots/:id/flows', async (req, res) => {
    const { id } = parsePath(BotParams, req.params);
    const bot = await findBot(callerOf(res).accountId, id);
    res.json(bot.flows ?? BotFlows.parse({ flows: [] }));
  });

  router.put('/v1/bots/:id/flows', async (req, res) => {
    const { id } = parsePath(BotParams, req.params);
    const accountId = callerOf(res).accountId;
    const flows = parse(BotFlows, req.body);
    await findBot(accountId, id);
    const issues = validateBotFlows(flows);
    if (issues.length > 0) {
      const first = issues[0]!;
      throw new AppError(400, 'invalid_flows', first.message, issues);
    }
    const bot = await Bot.findOneAndUpdate({ _id: id, accountId }, { $set: { flows, updatedAt: new Date() } }, { returnDocument: 'after' }).lean();
    if (!bot) throw AppError.notFound('bot');
    res.json(bot.flows);
  });

  router.get('/v1/bots/:id/versions', async (req, res) => {
    const { id } = parsePath(BotParams, req.params);
    const accountId = callerOf(res).accountId;
    await findBot(accountId, id);
    const versions = await BotVersion.find({ botId: id, accountId }).sort({ version: -1 }).limit(100).lean();
    res.json({ data: versions.map(versionView) });
  });

  return router;
}
