/**
 * Smart AI for the demo bot. `npm run dev` turns it on when PARLEY_LLM_BASE_URL is set (any
 * OpenAI-compatible server: OpenAI, Ollama, vLLM, LM Studio...), with PARLEY_LLM_API_KEY (not needed by
 * a local Ollama) and PARLEY_LLM_MODEL; otherwise it is off and the banner says how to turn it on.
 * The demo knowledge base is seeded either way (searchable through the API).
 */

import { LOCAL_MODEL_NAME } from './infra';

/** What dev passes the seed: the provider, or nothing (Smart AI off). */
export interface DemoAiProvider {
  baseUrl: string;
  apiKey?: string;
  model: string;
}

export const DEFAULT_DEMO_MODEL = 'gpt-4o-mini';

/** The provider from the environment, or undefined when PARLEY_LLM_BASE_URL is not set. */
export function demoAiFromEnv(env: NodeJS.ProcessEnv = process.env): DemoAiProvider | undefined {
  const baseUrl = env.PARLEY_LLM_BASE_URL?.trim();
  if (!baseUrl) return undefined;
  return { baseUrl, apiKey: env.PARLEY_LLM_API_KEY?.trim() || undefined, model: env.PARLEY_LLM_MODEL?.trim() || DEFAULT_DEMO_MODEL };
}

/** A provider on this machine or the local network (Ollama on localhost) needs the private-network allowance. */
export function isLocalProvider(baseUrl: string): boolean {
  let host: string;
  try {
    host = new URL(baseUrl).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  return /^(localhost|127\.\d+\.\d+\.\d+|::1|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+|host\.docker\.internal)$/i.test(host) || host.endsWith('.local');
}

/** The demo bot's Smart AI settings (the key is added by the seed when there is one). */
export function demoAiSettings(provider: DemoAiProvider) {
  return {
    enabled: true,
    baseUrl: provider.baseUrl,
    model: provider.model,
    allowPrivateNetwork: isLocalProvider(provider.baseUrl) || provider.baseUrl.startsWith('http:'),
    systemPrompt: 'You work for Parley Demo Clinic. You can check free appointment slots, book appointments (name, email, day, time), price groups (number of people and day; the price arrives a little later) and look up orders (order number and billing email). Keep answers short.',
    tools: [
      { actionId: 'check_availability', whenToUse: 'When the visitor asks whether a day has a free slot, or before booking.' },
      { actionId: 'create_booking', whenToUse: 'When the visitor wants to book: you need their name, email, the day and a free time.' },
      { actionId: 'order_status', whenToUse: 'When the visitor asks about an order: you need the order number and the billing email they give.' },
      { actionId: 'group_quote', whenToUse: 'When the visitor asks what a group would cost: you need the number of people and the day. The price arrives a few seconds later.' },
    ],
    knowledge: { enabled: true, maxResults: 3 },
    flowsAsTools: true,
    // The small local model (PARLEY_LLM=local) answers the same way every time, briefly, and repeats a
    // rejected tool call rather than correcting it: two calls a message are enough for it.
    ...(provider.model === LOCAL_MODEL_NAME ? { temperature: 0, seed: 1, maxOutputTokens: 200, maxToolCallsPerTurn: 2 } : {}),
  };
}

/** The demo knowledge base, matched by title on a restart. */
export const DEMO_KNOWLEDGE = [
  { title: 'Opening hours', content: 'The clinic is open Monday to Saturday, 9:00 to 17:00. Appointments start on the hour.', category: 'clinic', tags: ['hours', 'opening'] },
  { title: 'Cancellation policy', content: 'Appointments can be cancelled free of charge up to 24 hours before. Later cancellations cost 20 EUR.', category: 'policies', tags: ['cancel', 'refund'] },
  { title: 'Parking', content: 'Free parking is available behind the building; the entrance is on Mill Lane.', category: 'clinic', tags: ['parking', 'car'] },
  { title: 'Delivery times', content: 'Orders ship within 2 working days; delivery takes 1 to 3 more days.', category: 'orders', tags: ['shipping', 'delivery'] },
];
