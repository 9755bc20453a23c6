/**
 * `completeChat`: one LLM call for Smart AI, with the `openai` SDK against any OpenAI-compatible base URL.
 * The provider key is opened here, by bot and account, and nowhere else: workflows pass only the bot id.
 * The request goes through Parley's SSRF-safe HTTP path (safe-fetch.ts), heartbeats while in flight so a
 * dead worker is noticed within the heartbeat timeout, and aborts when the activity is cancelled.
 *
 * Nothing here logs: the key is a secret and the messages are the visitor's words (PII).
 */
import { createHash } from 'node:crypto';
import type { Connection } from 'mongoose';
import OpenAI, { AzureOpenAI, type APIError, type ClientOptions } from 'openai';
import type { CompleteChatInput, CompleteChatResult } from '../../models/ai.schema';
import { aiKeyOwner, botModels, type BotDoc } from '../../models/bot.model';
import type { SecretBox } from '../../models/secret-box';
import { activitySignal, attemptInfo, withHeartbeat } from '../http/activity-context';
import type { HttpOptions } from '../http/connection';
import { createOutboundNetwork } from '../http/network';
import { keepErrorBody, nonRetryable, retryable, toLlmFailure } from './errors';
import { fromCompletion, profileOf, toCompletionParams } from './openai-format';
import { createSafeFetch } from './safe-fetch';

export interface LlmActivityDeps {
  db: Connection;
  /** Opens the bot's sealed provider key (sealed by the API with the same PARLEY_SECRET_KEYS). */
  secrets: SecretBox;
  /** The deployment's network policy: a bot's `allowPrivateNetwork` works only inside its allowlist. */
  http?: HttpOptions;
}

/** Clients kept for reuse (one per provider, key, timeout and network policy); the oldest is dropped past this. */
const MAX_CACHED_CLIENTS = 64;

/**
 * The SDK's client, keeping each error answer's whole body for errors.ts: the SDK itself keeps only its
 * `error` key, and some servers put their text elsewhere (Mistral's top-level `message`, FastAPI's `detail`).
 */
class ProviderClient extends OpenAI {
  protected override makeStatusError(status: number, error: object, message: string | undefined, headers: Headers): APIError {
    return keepErrorBody(super.makeStatusError(status, error, message, headers), error);
  }
}

/**
 * The same for Azure OpenAI's classic API (a bot's `provider.auth: "azure"`): the SDK's client sends the key
 * as `api-key` (no bearer), `api-version` in the query, and posts to `<baseUrl>/deployments/<model>/…`.
 */
class AzureProviderClient extends AzureOpenAI {
  protected override makeStatusError(status: number, error: object, message: string | undefined, headers: Headers): APIError {
    return keepErrorBody(super.makeStatusError(status, error, message, headers), error);
  }
}

/** The LLM activities the worker registers. */
export function createLlmActivities(deps: LlmActivityDeps) {
  const { Bot } = botModels(deps.db);
  const outbound = deps.http?.network ?? createOutboundNetwork();
  const clients = new Map<string, OpenAI>();

  function clientFor(provider: CompleteChatInput['provider'], key: string | undefined): OpenAI {
    // The key is part of the identity only as a hash, so the map's keys are safe to see in a heap dump.
    const keyHash = key === undefined ? '-' : createHash('sha256').update(key).digest('base64url');
    const profile = profileOf(provider);
    const azureVersion = profile.auth === 'azure' ? (profile.apiVersion ?? '') : null;
    const id = JSON.stringify([provider.baseUrl, keyHash, provider.timeoutMs, provider.allowPrivateNetwork, azureVersion]);
    const cached = clients.get(id);
    if (cached) {
      clients.delete(id); // re-inserted below: the map's order is least recently used first
      clients.set(id, cached);
      return cached;
    }
    const agents = outbound.agents(provider.allowPrivateNetwork);
    // Local servers (Ollama) need no key, but the SDK insists on one; this placeholder is not a secret.
    const apiKey = key ?? 'not-needed';
    const options: Omit<ClientOptions, 'provider' | 'apiKey'> = {
      baseURL: provider.baseUrl,
      // Explicit, so OPENAI_* variables in the worker's environment never travel to a tenant's provider.
      adminAPIKey: null,
      organization: null,
      project: null,
      webhookSecret: null,
      timeout: provider.timeoutMs,
      maxRetries: 0, // Temporal retries, with backoff, visible in the Web UI
      logLevel: 'off',
      fetch: createSafeFetch({ agents, timeoutMs: provider.timeoutMs + 1000 }),
    };
    // Azure: every option explicit too (the SDK would read AZURE_OPENAI_* and OPENAI_API_VERSION otherwise);
    // no `deployment`, so the request's model names the deployment.
    const client = azureVersion === null ? new ProviderClient({ ...options, apiKey }) : new AzureProviderClient({ ...options, apiKey, apiVersion: azureVersion });
    clients.set(id, client);
    if (clients.size > MAX_CACHED_CLIENTS) clients.delete(clients.keys().next().value!);
    return client;
  }

  async function providerKey(input: CompleteChatInput): Promise<string | undefined> {
    const bot = await Bot.findOne({ _id: input.botId, accountId: input.accountId }, { aiKeySealed: 1 }).lean<Pick<BotDoc, '_id' | 'aiKeySealed'>>();
    if (!bot) throw nonRetryable('This bot is not available for AI replies.', 'LlmUnavailable');
    if (!bot.aiKeySealed) return undefined;
    let key: unknown;
    try {
      key = deps.secrets.open<unknown>(bot.aiKeySealed, aiKeyOwner(input.botId));
    } catch {
      key = undefined; // a rotated-out key or tampered data: said below, without any detail of the secret
    }
    // A key that cannot be a header value would fail inside the SDK as an unreadable error on every retry.
    if (typeof key !== 'string' || !/^[\x21-\x7e]+$/.test(key)) throw nonRetryable("The bot's LLM provider key cannot be opened or used; set it again.", 'LlmKeyUnavailable');
    return key;
  }

  async function completeChat(input: CompleteChatInput): Promise<CompleteChatResult> {
    const key = await providerKey(input);
    const client = clientFor(input.provider, key);
    const signal = activitySignal();
    let completion: unknown;
    try {
      completion = await withHeartbeat(client.chat.completions.create(toCompletionParams(input), signal ? { signal } : {}));
    } catch (error) {
      throw toLlmFailure(error, { key, cancelled: signal?.aborted === true, attempt: attemptInfo().attempt });
    }
    const result = fromCompletion(completion, input);
    if (!result) throw retryable('The LLM provider answered without any choice.');
    return result;
  }

  return { completeChat };
}
