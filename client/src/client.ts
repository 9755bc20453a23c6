import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

/** The typed client: `parley.GET('/v1/conversations/{id}', { params: { path: { id } } })` and so on. */
export type ParleyClient = Client<paths>;

export interface ParleyClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** Where the API answers, e.g. `http://localhost:3000` (no trailing `/v1`: the paths carry it). */
  baseUrl: string;
  /** An API key (`pk_...`) or a login token, sent as `Authorization: Bearer ...`. */
  apiKey?: string;
}

/** openapi-fetch over the generated `paths`, with the key in every request. */
export function createParleyClient({ baseUrl, apiKey, headers, ...options }: ParleyClientOptions): ParleyClient {
  return createClient<paths>({
    ...options,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    headers: { ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...(headers as Record<string, string> | undefined) },
  });
}

/** The JSON answer of an operation for a status, e.g. `Answer<'postConversationsByIdMessages'>`. */
export type Answer<Op extends keyof operations, Status extends number = 200> =
  operations[Op]['responses'] extends Record<Status, { content: { 'application/json': infer T } }> ? T : never;

/** A conversation as the API shows it. */
export type Conversation = Answer<'getConversationsById'>['conversation'];
/** A message of a transcript (visitor, bot, agent). */
export type Message = Answer<'getConversationsByIdMessages'>['data'][number];
/** A bot reply to a visitor's message: text, and maybe choices or a Smart AI confirmation. */
export type Reply = Answer<'postConversationsByIdMessages'>['replies'][number];
/** The API's error body: `code` is machine-readable (`validation_failed`, `bot_not_found`, ...). */
export type ApiError = components['schemas']['Error'];
