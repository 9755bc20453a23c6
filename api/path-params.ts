/**
 * The ids in request paths, and the one rule for them: an id that does not even have the shape of one
 * names nothing, exactly like a well-formed id that is unknown (or another account's), so both answer
 * 404 `<resource>_not_found`, never 400. The OpenAPI document shows each id's pattern (these schemas are
 * registered for the path parameters in api/openapi/routes.ts), so a client can tell an id from a typo.
 */
import { z } from 'zod';
import { AppError } from './errors';

/** What a path parameter names, for the 404 of a malformed value: its schema → the resource (`bot`, ...). */
const resources = new WeakMap<z.ZodType, string>();

/** A path parameter naming a `resource`, documented with `pattern` (the shape every such id has). */
export function pathId(resource: string, pattern: RegExp, description: string, maxLength = 64): z.ZodString {
  const schema = z.string().max(maxLength).regex(pattern).describe(description);
  resources.set(schema, resource);
  return schema;
}

/** The shape of the ids `newId(prefix)` makes (api/ids.ts): the prefix, `_`, lower-case letters and digits. */
const madeBy = (prefix: string): RegExp => new RegExp(`^${prefix}_[a-z0-9]{1,40}$`);

export const BotId = pathId('bot', madeBy('bot'), 'a bot id (`bot_...`)');
export const ConversationId = pathId('conversation', madeBy('conv'), 'a conversation id (`conv_...`)');
export const ConnectionId = pathId('connection', madeBy('conn'), 'a connection id (`conn_...`)');
export const EndpointId = pathId('endpoint', madeBy('ep'), 'an endpoint id (`ep_...`)');
export const WebsiteId = pathId('website', madeBy('site'), 'a website id (`site_...`)');
export const KnowledgeItemId = pathId('knowledge_item', madeBy('kb'), 'a knowledge item id (`kb_...`)');
export const DraftId = pathId('knowledge_draft', madeBy('kd'), 'a knowledge draft id (`kd_...`)');
export const ApiKeyId = pathId('api_key', madeBy('key'), 'an API key id (`key_...`)');
export const WebhookId = pathId('webhook', madeBy('whk'), 'a webhook endpoint id (`whk_...`)');
/** Action ids are the account's own slugs (`order_status`), given when the action is created. */
export const ActionId = pathId('action', /^[A-Za-z0-9_-]{1,64}$/, 'an action id: the slug it was created with');
/**
 * The token in a widget URL: a website token (`wt_` and 40 hex digits) or a preview link's token (a
 * signed JWT). Anything else is no website's.
 */
export const WidgetToken = pathId('widget_token', /^(?:wt_[a-f0-9]{40}|ey[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/, 'the website token (`wt_...`) of the snippet, or a preview token', 1024);

/**
 * Parses path parameters: a value that is not a well-formed id answers 404 naming what it would have
 * named (the first malformed parameter, in path order), as an unknown id does.
 */
export function parsePath<S extends z.ZodObject>(schema: S, params: unknown): z.infer<S> {
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  const name = String(result.error.issues[0]?.path[0] ?? '');
  const resource = resources.get((schema.shape as Record<string, z.ZodType>)[name]!) ?? 'resource';
  if (resource === 'widget_token') throw new AppError(404, 'website_not_found', 'no website has this token; copy the snippet again from the website settings');
  throw AppError.notFound(resource);
}

/** The path parameters of each kind of route, as the routes parse them and the document shows them. */
export const BotParams = z.object({ id: BotId });
export const ConversationParams = z.object({ id: ConversationId });
export const ConnectionParams = z.object({ id: ConnectionId });
export const EndpointParams = z.object({ id: ConnectionId, eid: EndpointId });
export const WebsiteParams = z.object({ id: WebsiteId });
export const KnowledgeItemParams = z.object({ id: KnowledgeItemId });
export const DraftParams = z.object({ id: DraftId });
export const ApiKeyParams = z.object({ id: ApiKeyId });
export const WebhookParams = z.object({ id: WebhookId });
export const ActionParams = z.object({ id: ActionId });
export const WidgetParams = z.object({ token: WidgetToken });
export const WidgetConversationParams = z.object({ token: WidgetToken, id: ConversationId });
