/**
 * A bot's Smart AI settings: `GET/PUT/DELETE /v1/bots/:id/ai`. The provider key is write-only: sealed
 * on the bot (bound to its id), shown as `••••`, opened only by the worker's `completeChat` activity.
 * Publishing freezes the settings, the tools' definitions and their JSON Schemas into the version.
 */
import { Router } from 'express';
import { AI_DEFAULTS, AiSettingsBody, type AiSettings, type AiSnapshot, type AiToolSnapshot } from '../../models/ai.schema';
import { aiKeyOwner, type BotDoc } from '../../models/bot.model';
import { maxWaitMsOf } from '../../models/limits';
import { actionToolShape, BUILTIN_TOOL_NAMES, BUILTIN_TOOLS, type ToolEndpoint } from '../../core/ai/tools';
import type { NetworkPolicy } from '../../core/http/network-policy';
import { callerOf } from '../auth';
import { checkOutboundUrl, privateNetworkAccess, type UrlIssue as FieldIssue } from '../outbound';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { parse } from '../validate';
import { BotParams, parsePath } from '../path-params';

const MASK = '••••';

export const aiView = (bot: Pick<BotDoc, 'ai' | 'aiKeySealed'>, policy: NetworkPolicy) =>
  bot.ai
    ? {
        ...bot.ai,
        // Settings saved before `seed`, `toolChoice`, `maxWaitMs` and `provider` existed read as their defaults.
        seed: bot.ai.seed ?? AI_DEFAULTS.seed,
        toolChoice: bot.ai.toolChoice ?? AI_DEFAULTS.toolChoice,
        // ... and so does `provider`, field by field.
        provider: { ...AI_DEFAULTS.provider, ...bot.ai.provider },
        maxWaitMs: maxWaitMsOf(bot.ai),
        apiKey: bot.aiKeySealed ? MASK : null,
        privateNetworkAccess: privateNetworkAccess(policy, bot.ai.baseUrl, bot.ai.allowPrivateNetwork),
      }
    : null;

/** The account's action definitions and the endpoints they use, for tool shapes. */
async function loadActions(deps: ApiDeps, accountId: string, actionIds: string[]) {
  const actions = await deps.Action.find({ accountId, actionId: { $in: actionIds } }).lean();
  const endpointIds = [...new Set(actions.flatMap((a) => a.steps.flatMap((s) => [s.endpointId, ...(s.compensation ? [s.compensation.endpointId] : [])])))];
  const endpoints = await deps.Endpoint.find({ accountId, _id: { $in: endpointIds } }, { parameters: 1, sideEffects: 1 }).lean();
  return { actions: new Map(actions.map((a) => [a.actionId, a])), endpoints: new Map<string, ToolEndpoint>(endpoints.map((e) => [e._id, e])) };
}

/** Problems with the tools a bot offers the model, as `{ path, message }` details. */
async function toolIssues(deps: ApiDeps, accountId: string, settings: AiSettings) {
  const { actions, endpoints } = await loadActions(deps, accountId, settings.tools.map((t) => t.actionId));
  const issues: { path: string; message: string }[] = [];
  const choice = settings.toolChoice;
  if (choice !== 'auto' && choice !== 'required') {
    const offered = [
      ...settings.tools.map((t) => t.actionId),
      ...(settings.knowledge.enabled ? [BUILTIN_TOOLS.searchKnowledge] : []),
      ...(settings.flowsAsTools ? [BUILTIN_TOOLS.startFlow] : []),
    ];
    if (!offered.includes(choice)) issues.push({ path: 'body.toolChoice', message: `toolChoice "${choice}" is not a tool this bot offers (${offered.join(', ') || 'none'}), "auto" or "required"` });
  }
  settings.tools.forEach((tool, i) => {
    const path = `body.tools.${i}.actionId`;
    const action = actions.get(tool.actionId);
    if (BUILTIN_TOOL_NAMES.includes(tool.actionId)) issues.push({ path, message: `"${tool.actionId}" is the name of a built-in tool` });
    else if (!action) issues.push({ path, message: `no action "${tool.actionId}" in this account` });
    else {
      const shape = actionToolShape(action, endpoints);
      if (shape.unfillable.length > 0) {
        issues.push({ path, message: `the AI cannot fill ${shape.unfillable.map((n) => `"${n}"`).join(', ')}: give those endpoint parameters source "llm", "contact" or "constant"` });
      }
    }
  });
  return issues;
}

/** What a published version carries of Smart AI, and the action definitions its tools run. */
export async function aiSnapshotOf(deps: ApiDeps, accountId: string, bot: BotDoc): Promise<{ ai?: AiSnapshot; toolActionIds: string[] }> {
  if (!bot.ai) return { toolActionIds: [] };
  const ai = bot.ai;
  const { actions, endpoints } = await loadActions(deps, accountId, ai.tools.map((t) => t.actionId));
  const tools: AiToolSnapshot[] = [];
  for (const tool of ai.tools) {
    const action = actions.get(tool.actionId);
    if (!action) continue; // deleted since: the model is simply not offered it
    const shape = actionToolShape(action, endpoints);
    const description = [tool.whenToUse, action.description].filter(Boolean).join(' ');
    tools.push({ name: tool.actionId, actionId: tool.actionId, description, parameters: shape.parameters, sideEffects: shape.sideEffects });
  }
  const flows = ai.flowsAsTools ? (bot.flows?.flows ?? []).map((f) => ({ id: f.id, name: f.name, description: f.description ?? '' })) : [];
  const { tools: _settingsTools, flowsAsTools: _flowsAsTools, ...rest } = ai;
  return { ai: { ...rest, maxWaitMs: maxWaitMsOf(ai), tools, flows }, toolActionIds: tools.map((t) => t.actionId) };
}

export function botAiRouter(deps: ApiDeps): Router {
  const router = Router();
  const { Bot, secrets } = deps;

  const findBot = async (accountId: string, id: string) => {
    const bot = await Bot.findOne({ _id: id, accountId }, { ai: 1, aiKeySealed: 1 }).lean();
    if (!bot) throw AppError.notFound('bot');
    return bot;
  };

  router.get('/v1/bots/:id/ai', async (req, res) => {
    const { id } = parsePath(BotParams, req.params);
    res.json({ ai: aiView(await findBot(callerOf(res).accountId, id), deps.config.outbound) });
  });

  router.put('/v1/bots/:id/ai', async (req, res) => {
    const { id } = parsePath(BotParams, req.params);
    const { apiKey, ...body } = parse(AiSettingsBody, req.body);
    const settings: AiSettings = { ...body, maxWaitMs: maxWaitMsOf(body) };
    const accountId = callerOf(res).accountId;
    await findBot(accountId, id);
    const issues = await toolIssues(deps, accountId, settings);
    // The provider URL is tenant-given like a connection's: the same network policy (a metadata or
    // internal address is refused here, not only when the first turn calls it).
    const urlIssues: FieldIssue[] = [];
    await checkOutboundUrl(deps.config.outbound, new URL(settings.baseUrl), settings.allowPrivateNetwork, 'baseUrl', urlIssues);
    issues.push(...urlIssues.map((u) => ({ path: `body.${u.field}`, message: `baseUrl ${u.message}` })));
    if (issues.length > 0) throw new AppError(400, 'invalid_ai_settings', issues[0]!.message, issues);
    const set: Record<string, unknown> = { ai: settings, updatedAt: new Date() };
    // Omitted: keep the stored key; null: remove it; a value: seal it, bound to this bot.
    if (apiKey !== undefined) set.aiKeySealed = apiKey === null ? null : secrets.seal(apiKey, aiKeyOwner(id));
    const bot = await Bot.findOneAndUpdate({ _id: id, accountId }, { $set: set }, { returnDocument: 'after' }).lean();
    if (!bot) throw AppError.notFound('bot');
    res.json({ ai: aiView(bot, deps.config.outbound) });
  });

  router.delete('/v1/bots/:id/ai', async (req, res) => {
    const { id } = parsePath(BotParams, req.params);
    const accountId = callerOf(res).accountId;
    const done = await Bot.updateOne({ _id: id, accountId }, { $unset: { ai: 1, aiKeySealed: 1 }, $set: { updatedAt: new Date() } });
    if (done.matchedCount === 0) throw AppError.notFound('bot');
    res.status(204).end();
  });

  return router;
}
