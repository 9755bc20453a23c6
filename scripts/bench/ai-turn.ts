/**
 * The Smart AI scenario of `npm run bench`: a visitor message answered by the bot's model, which calls
 * one tool (an API action) and then answers from its result, beside a message the model answers
 * directly, without a tool.
 *
 * The model is the scripted OpenAI-compatible server of the tests (test/llm-server.ts), the tool's API
 * the demo booking API (scripts/demo-api/app.ts): both served here, in the bench process, on 127.0.0.1,
 * so a model round trip costs about a millisecond and what is measured is Parley's side of it. Through
 * Parley's HTTP API the tenant gets a connection to the demo API (bearer auth, allowPrivateNetwork), an
 * endpoint GET /availability whose `date` the model fills (source `llm`), an action `check_availability`,
 * and two bots with Smart AI on (allowPrivateNetwork, knowledge and flows-as-tools off, that one action
 * as their only tool) that differ only in the model name they send, which is how the scripted model
 * tells them apart:
 *
 * - `bench-tool`: when the request's last message is the visitor's, the model calls
 *   `check_availability` for a day far ahead; when it is the tool's result, it answers "First slot
 *   <first_slot>" from it. A turn is two model round trips, one action run (actionRunWorkflow) calling the demo
 *   API, and the interim reply ("Let me check that for you…") written before the call.
 * - `bench-text`: the model answers with text straight away. A turn is one model round trip.
 *
 * The model decides per request (not from a queue), so any number of callers can share it.
 */
import http from 'node:http';
import { createDemoApi } from '../demo-api/app';
import { fn, startScriptedLlm, text, toolCall } from '../../test/llm-server';
import { listenTenantUrl } from '../../test/tenant-ports';

const TOKEN = 'bench-ai-tenant-token-51d9';
/** A day far ahead, with no bookings: its first slot is always 09:00. */
const DATE = '2099-06-01';
const INTERIM = 'Let me check that for you…';
const TOOL_ANSWER = /^First slot 09:00$/;
const TEXT_ANSWER = 'Happy to help: ask me about free slots.';
const MODELS = { tool: 'bench-tool', text: 'bench-text' } as const;

/**
 * Smart AI limits per conversation: the largest the settings allow (models/ai.schema.ts). A caller
 * moves to a fresh conversation, between phases, once it has had ROTATE_AFTER turns: far below both
 * limits (a tool turn spends one of the 1000 tool calls and, with the 40-message memory, a few thousand
 * of the 10 million tokens).
 */
const MAX_TOOL_CALLS_PER_CONVERSATION = 1000;
const TOKEN_BUDGET = 10_000_000;
const ROTATE_AFTER = 400;
/** Past this many turns a caller moves to a fresh conversation even mid-phase (that one turn pays for it). */
const HARD_ROTATE_AT = 900;

export type AiKind = 'tool' | 'text';

export interface AiTurnScenario {
  /** One visitor message: the model calls check_availability, then answers from its result. */
  toolTurnOp(loop: number): Promise<void>;
  /** One visitor message the model answers directly. */
  textTurnOp(loop: number): Promise<void>;
  /**
   * Runs one phase of either op: first moves callers with many turns behind them to fresh conversations,
   * then checks that the model got exactly two requests per tool turn (one per text turn) and the demo
   * API one request per tool turn (none per text turn), warm-up included: no retry, nothing missing.
   */
  phase<T>(kind: AiKind, run: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

async function json(res: Response): Promise<any> {
  const body = await res.json();
  if (!res.ok) throw new Error(`${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** The scripted model: answers by bot (model name) and by who spoke last. */
const model = fn((req) => {
  const messages: { role?: string; content?: unknown }[] = Array.isArray(req.body?.messages) ? req.body.messages : [];
  const last = messages.at(-1);
  if (req.body?.model === MODELS.text) return text(TEXT_ANSWER);
  if (last?.role === 'user') return toolCall('check_availability', { date: DATE });
  if (last?.role === 'tool') {
    const slot = /"first_slot":"([^"]*)"/.exec(String(last.content))?.[1];
    return text(slot ? `First slot ${slot}` : `No slot in the tool result: ${String(last.content).slice(0, 200)}`);
  }
  return text(`Unexpected last message: ${String(last?.role)}`);
});

/**
 * Starts the scripted model and the demo API, and sets up the tenant's connection, endpoint, action and
 * the two Smart AI bots through Parley's HTTP API (`base`, authorized by `headers`), with one
 * conversation per caller and bot.
 */
export async function setUpAiTurnScenario(options: { base: string; headers: Record<string, string>; callers: number }): Promise<AiTurnScenario> {
  const { base, headers } = options;
  const llm = await startScriptedLlm();
  llm.setDefault(model);
  const demo = createDemoApi({ token: TOKEN });
  let served = 0;
  const server = http.createServer((req, res) => {
    served++;
    demo.app(req, res);
  });
  // On the tenant port range the bench's worker allowlists (as an operator allowlists a tenant's network).
  const demoBase = await listenTenantUrl(server);
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await llm.close();
  };

  try {
    const post = async (path: string, body: unknown): Promise<any> => json(await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }));
    const connection = await post('/v1/connections', { name: 'Bench demo API (Smart AI)', baseUrl: demoBase, auth: { type: 'bearer', token: TOKEN }, allowPrivateNetwork: true });
    const endpoint = await post(`/v1/connections/${connection.connection.id}/endpoints`, {
      name: 'Availability',
      method: 'GET',
      path: '/availability',
      parameters: [{ name: 'date', type: 'date', in: 'query', source: 'llm', description: 'Day to check' }],
      responseFields: [
        { name: 'first_slot', path: '$.first_slot' },
        { name: 'available', path: '$.available' },
      ],
    });
    await post('/v1/actions', { id: 'check_availability', name: 'Check availability', description: 'Free slots on a day.', steps: [{ id: 'check', endpointId: endpoint.endpoint.id }] });

    const aiBot = async (name: string, modelName: string): Promise<string> => {
      const bot = await post('/v1/bots', { name, greeting: 'Hello!', fallbackMessage: 'Sorry, no idea.' });
      const id = bot.bot.id as string;
      await json(
        await fetch(`${base}/v1/bots/${id}/ai`, {
          method: 'PUT',
          headers,
          body: JSON.stringify({
            enabled: true,
            baseUrl: llm.baseUrl,
            model: modelName,
            apiKey: 'sk-bench-not-a-secret',
            allowPrivateNetwork: true,
            maxToolCallsPerConversation: MAX_TOOL_CALLS_PER_CONVERSATION,
            tokenBudget: TOKEN_BUDGET,
            interimMessage: INTERIM,
            tools: [{ actionId: 'check_availability', whenToUse: 'When the visitor asks about free slots.' }],
            knowledge: { enabled: false, maxResults: 5 },
            flowsAsTools: false,
          }),
        }),
      );
      await post(`/v1/bots/${id}/publish`, {});
      return id;
    };
    const bots: Record<AiKind, string> = { tool: await aiBot('Bench Smart AI bot', MODELS.tool), text: await aiBot('Bench Smart AI bot (no tool)', MODELS.text) };

    /** Each caller's conversation with each bot, and the turns it has had. */
    const conversations: Record<AiKind, { id: string; turns: number }[]> = { tool: [], text: [] };
    let started = 0;
    const startConversation = async (kind: AiKind): Promise<{ id: string; turns: number }> => {
      const res = await post('/v1/conversations', { botId: bots[kind], externalUserId: `bench-ai-${kind}-${started++}` });
      return { id: res.conversation.id as string, turns: 0 };
    };
    for (const kind of ['tool', 'text'] as const) {
      for (let i = 0; i < options.callers; i++) conversations[kind].push(await startConversation(kind));
    }

    let ops = 0;
    let counter = 0;
    const turn = async (kind: AiKind, loop: number): Promise<string[]> => {
      ops++;
      if (conversations[kind][loop]!.turns >= HARD_ROTATE_AT) conversations[kind][loop] = await startConversation(kind);
      const conversation = conversations[kind][loop]!;
      conversation.turns++;
      const res = await fetch(`${base}/v1/conversations/${conversation.id}/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ message: { type: 'text', text: `Anything free on 1 June 2099? (${counter++})` } }),
      });
      if (res.status !== 200) throw new Error(`Smart AI turn (${kind}) answered ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { replies?: { text?: string }[] };
      return (body.replies ?? []).map((r) => r.text ?? '');
    };
    const toolTurnOp = async (loop: number): Promise<void> => {
      const texts = await turn('tool', loop);
      if (texts.length !== 2 || texts[0] !== INTERIM || !TOOL_ANSWER.test(texts[1]!)) {
        throw new Error(`Smart AI turn with a tool call (conversation ${conversations.tool[loop]!.id}) expected ["${INTERIM}", "First slot 09:00"], got ${JSON.stringify(texts)}`);
      }
    };
    const textTurnOp = async (loop: number): Promise<void> => {
      const texts = await turn('text', loop);
      if (texts.length !== 1 || texts[0] !== TEXT_ANSWER) {
        throw new Error(`Smart AI turn without a tool (conversation ${conversations.text[loop]!.id}) expected ["${TEXT_ANSWER}"], got ${JSON.stringify(texts)}`);
      }
    };
    const phase = async <T>(kind: AiKind, run: () => Promise<T>): Promise<T> => {
      for (let i = 0; i < conversations[kind].length; i++) {
        if (conversations[kind][i]!.turns >= ROTATE_AFTER) conversations[kind][i] = await startConversation(kind);
      }
      ops = 0;
      served = 0;
      const modelRequestsBefore = llm.requests.length;
      const result = await run();
      const modelRequests = llm.requests.length - modelRequestsBefore;
      const expected = kind === 'tool' ? { model: 2 * ops, api: ops } : { model: ops, api: 0 };
      if (modelRequests !== expected.model || served !== expected.api) {
        throw new Error(`Smart AI phase (${kind}): ${ops} turns made ${modelRequests} model requests and ${served} demo API requests (expected ${expected.model} and ${expected.api})`);
      }
      // Both servers remember every request; the bench needs none of them.
      llm.requests.length = 0;
      demo.state.requests.length = 0;
      return result;
    };

    // One of each, to check both paths before anything is measured.
    await phase('tool', () => toolTurnOp(0));
    await phase('text', () => textTurnOp(0));

    return { toolTurnOp, textTurnOp, phase, close };
  } catch (error) {
    await close();
    throw error;
  }
}
