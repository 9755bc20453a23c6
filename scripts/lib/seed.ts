/**
 * The demo seed of `npm run dev`: a demo account, its API key, a connection to the demo booking API with
 * its endpoints and actions, and a published demo bot whose flows use them, all created through the real
 * HTTP API (never by writing MongoDB directly), idempotently.
 *
 * The credentials are kept in `.data/demo.json` so a restart reuses them. On a restart the key is
 * checked with `GET /v1/account`; the connection (by name), its endpoints (by name) and the actions (by
 * id) are reused and brought back to the demo definitions where they differ; the bot is looked up, its
 * settings brought back to the demo ones and re-published when they (or its latest published version,
 * flows and actions) differ. A demo seeded by an older version of this script is upgraded in place.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ActionBody, CreateEndpointBody } from '../../models/connection.schema';
import { DEMO_ACTIONS, DEMO_BOT, DEMO_CONNECTION_NAME, DEMO_ENDPOINTS, DEMO_FLOWS } from './demo-bot';

export const DEMO_EMAIL = 'demo@parley.dev';
/** The demo account's admin agent (the inbox page at /inbox). */
export const DEMO_AGENT_EMAIL = 'agent@parley.dev';

export { DEMO_ACTIONS, DEMO_BOT, DEMO_CONNECTION_NAME, DEMO_ENDPOINTS, DEMO_FLOWS } from './demo-bot';
import { DEMO_KNOWLEDGE, demoAiSettings, type DemoAiProvider } from './demo-ai';

/** What `.data/demo.json` holds. */
export interface DemoCredentials {
  apiKey: string;
  accountId: string;
  botId: string;
  email: string;
  /** The demo booking API connection, and a hash of what its credentials were last set to (never the token). */
  connectionId?: string;
  connectionFingerprint?: string;
  /** The demo admin agent who signs in to the inbox page (the password is this file's, made by the seed). */
  agentEmail?: string;
  agentPassword?: string;
}

/** Where the demo booking API runs, and the bearer token it wants. */
export interface DemoApiTarget {
  baseUrl: string;
  token: string;
  /** The key set the API seals credentials with ($PARLEY_SECRET_KEYS): a new one means sealing them again. */
  secretKeys: string;
}

export interface SeedResult extends Pick<DemoCredentials, 'apiKey' | 'accountId' | 'botId' | 'email'> {
  connectionId: string;
  /** The demo site's widget binding (when `site` was given) and a one-hour bot preview link. */
  widget?: { websiteId: string; snippet: string };
  previewUrl: string;
  /** The demo admin agent for the inbox page (`/inbox`). */
  agent: { email: string; password: string };
  /** One line per thing the seed did, for the dev banner. */
  actions: string[];
}

export class SeedError extends Error {}

interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
}

interface ConnectionView {
  id: string;
  name: string;
  baseUrl: string;
  auth: { type: string };
  allowPrivateNetwork: boolean;
}

interface EndpointView extends Record<string, unknown> {
  id: string;
  name: string;
}

interface ActionView {
  id: string;
  name: string;
  description: string;
  steps: unknown[];
  outputStep: string | null;
}

interface BotView {
  id: string;
  name: string;
  greeting: string;
  fallbackMessage: string;
  timezone: string;
  publishedVersion: number | null;
}

type Log = (message: string) => void;

/** Creates or reuses the demo account, key, booking API connection (endpoints, actions) and bot through the API at `baseUrl`. */
export async function seedDemo(options: {
  baseUrl: string;
  stateFile: string;
  demoApi: DemoApiTarget;
  log: Log;
  ai?: DemoAiProvider;
  /** Origins of the demo web site the chat widget is bound to. */
  siteOrigins?: string[];
}): Promise<SeedResult> {
  const { baseUrl, stateFile, demoApi, log } = options;
  const actions: string[] = [];

  const call = async (method: string, route: string, apiKey?: string, body?: unknown): Promise<ApiResponse> => {
    const headers: Record<string, string> = {};
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new SeedError(`${method} ${route} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    if (text) {
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        parsed = { raw: text };
      }
    }
    return { status: response.status, body: parsed };
  };
  const expect = (response: ApiResponse, statuses: number[], what: string): Record<string, unknown> => {
    if (!statuses.includes(response.status)) {
      throw new SeedError(`${what}: the API answered ${response.status} ${JSON.stringify(response.body)}`);
    }
    return response.body;
  };

  // 1. The account and its key: reuse the saved ones while the key still works.
  let saved = readState(stateFile);
  if (saved) {
    const check = await call('GET', '/v1/account', saved.apiKey);
    if (check.status === 200) {
      log(`reusing the demo account ${saved.accountId} from ${path.relative(process.cwd(), stateFile)}`);
      actions.push(`reused account ${saved.accountId}`);
    } else if (check.status === 401) {
      log(`the API key in ${path.relative(process.cwd(), stateFile)} no longer works (a different or wiped database?); creating a new demo account`);
      saved = undefined;
    } else {
      expect(check, [200], 'checking the saved demo API key');
    }
  }

  let state: SavedState;
  if (saved) {
    state = saved;
  } else {
    state = await createAccount();
    writeState(stateFile, state);
  }
  const apiKey = state.apiKey;

  /** Every item of a paged list route. */
  const listAll = async <T extends { id: string }>(route: string, what: string): Promise<T[]> => {
    const items: T[] = [];
    let after: string | null = null;
    do {
      const query: string = `limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const body = expect(await call('GET', `${route}?${query}`, apiKey), [200], what);
      items.push(...(body.data as T[]));
      after = body.hasMore ? (body.nextAfter as string | null) : null;
    } while (after);
    return items;
  };

  // 2. The connection to the demo booking API, its endpoints and the actions the flows call.
  const connection = await ensureConnection();
  state = { ...state, connectionId: connection.id, connectionFingerprint: fingerprint(connection.id) };
  writeState(stateFile, state);
  const endpointIds = await ensureEndpoints(connection.id);
  const wanted = await ensureActions(endpointIds);

  // 3. The bot: the saved one, else one with the demo name (a seed interrupted before saving), else a new one.
  let bot: BotView | undefined;
  if (state.botId) {
    const found = await call('GET', `/v1/bots/${encodeURIComponent(state.botId)}`, apiKey);
    if (found.status === 200) bot = found.body.bot as BotView;
    else expect(found, [404], 'reading the demo bot');
  }
  if (!bot) {
    const list = expect(await call('GET', '/v1/bots?limit=100', apiKey), [200], 'listing bots');
    bot = (list.data as BotView[]).find((b) => b.name === DEMO_BOT.name);
  }
  if (!bot) {
    log(`creating the demo bot "${DEMO_BOT.name}"`);
    bot = expect(await call('POST', '/v1/bots', apiKey, DEMO_BOT), [201], 'creating the demo bot').bot as BotView;
    actions.push(`created bot ${bot.id}`);
  } else {
    const changed = (Object.keys(DEMO_BOT) as (keyof typeof DEMO_BOT)[]).filter((field) => bot?.[field] !== DEMO_BOT[field]);
    if (changed.length > 0) {
      log(`updating the demo bot's ${changed.join(', ')}`);
      bot = expect(await call('PATCH', `/v1/bots/${bot.id}`, apiKey, DEMO_BOT), [200], 'updating the demo bot').bot as BotView;
      actions.push(`updated bot ${bot.id} (${changed.join(', ')})`);
    } else {
      actions.push(`reused bot ${bot.id}`);
    }
  }
  const botId = bot.id;
  state = { ...state, botId };
  writeState(stateFile, state);

  // The guided flows: saved every time (idempotent); the API answers with them as stored.
  const flows = expect(await call('PUT', `/v1/bots/${botId}/flows`, apiKey, DEMO_FLOWS), [200], 'saving the demo flows');

  // Smart AI: on with the provider from the environment, off without one; the knowledge base either way.
  await ensureKnowledge();
  const aiChanged = await ensureAi(botId);

  // 4. Publish unless the latest published version already holds exactly the demo settings, flows and
  // actions (a version freezes the definitions of the actions its flows call, endpoint ids included).
  const versions = expect(await call('GET', `/v1/bots/${botId}/versions`, apiKey), [200], 'listing the demo bot versions');
  const latest = (versions.data as { version: number; snapshot: Record<string, unknown> }[])[0];
  const stale: string[] = [];
  if (latest) {
    if (!(Object.keys(DEMO_BOT) as (keyof typeof DEMO_BOT)[]).every((field) => latest.snapshot[field] === DEMO_BOT[field])) stale.push('settings');
    if (JSON.stringify(latest.snapshot.flows) !== JSON.stringify(flows)) stale.push('flows');
    // Publishing adds each step's retry policy (from its endpoint, which ensureEndpoints keeps): not compared.
    if (canonical(withoutRetries(latest.snapshot.actions ?? {})) !== canonical(wanted)) stale.push('actions');
    if (aiChanged || Boolean(latest.snapshot.ai) !== Boolean(options.ai)) stale.push('Smart AI settings');
  }
  if (latest && stale.length === 0) {
    actions.push(`bot already published as version ${latest.version}`);
  } else {
    log(latest ? `publishing the demo bot ${botId} (its ${stale.join(', ')} changed since version ${latest.version})` : `publishing the demo bot ${botId}`);
    const published = expect(await call('POST', `/v1/bots/${botId}/publish`, apiKey), [201], 'publishing the demo bot');
    actions.push(`published bot ${botId} as version ${(published.version as { version: number }).version}`);
  }

  const widget = options.siteOrigins ? await ensureWebsite(botId, options.siteOrigins) : undefined;
  const preview = expect(await call('POST', `/v1/bots/${botId}/preview`, apiKey), [201], 'making a preview link');

  const agent = await ensureAgent();

  return { apiKey, accountId: state.accountId, botId, email: state.email, connectionId: connection.id, actions, widget, previewUrl: preview.url as string, agent };

  /**
   * The demo admin agent: invited and signed up through the API once, its password kept in the state file.
   * A saved password that no longer signs in (a wiped database, a deactivated agent) gets a fresh invite.
   */
  async function ensureAgent(): Promise<{ email: string; password: string }> {
    const email = state.agentEmail ?? DEMO_AGENT_EMAIL;
    const agents = await listAll<{ id: string; email?: string; status?: string }>('/v1/agents', 'listing agents');
    const found = agents.find((a) => a.email === email && a.status !== 'deactivated');
    if (found && found.status === 'active' && state.agentPassword) {
      const login = await call('POST', '/v1/agent-auth/login', undefined, { email, password: state.agentPassword, accountId: state.accountId });
      if (login.status === 200) {
        await call('POST', '/v1/agent-auth/logout', login.body.accessToken as string);
        return { email, password: state.agentPassword };
      }
    }
    const invite = found
      ? expect(await call('POST', `/v1/agents/${encodeURIComponent(found.id)}/invite`, apiKey), [200, 201], 'inviting the demo agent again')
      : expect(await call('POST', '/v1/agents', apiKey, { name: 'Demo Agent', email, role: 'admin', capacity: 10 }), [201], 'inviting the demo agent');
    const password = crypto.randomBytes(12).toString('base64url');
    const accepted = expect(await call('POST', '/v1/agent-auth/accept', undefined, { token: (invite.invite as { token: string }).token, password }), [200], 'signing up the demo agent');
    await call('POST', '/v1/agent-auth/logout', accepted.accessToken as string);
    log(found ? `gave the demo agent ${email} a new password` : `invited and signed up the demo agent ${email} (admin)`);
    actions.push(found ? 'reset the demo agent\'s password' : `created the demo agent ${email}`);
    state = { ...state, agentEmail: email, agentPassword: password };
    writeState(stateFile, state);
    return { email, password };
  }

  /** The demo site's website binding (found by name), with the wanted origins. */
  async function ensureWebsite(id: string, origins: string[]): Promise<{ websiteId: string; snippet: string }> {
    const name = 'Demo web site';
    const found = (await listAll<{ id: string; name: string; botId: string; origins: string[] }>('/v1/websites', 'listing websites')).find((w) => w.name === name);
    if (!found) {
      const created = expect(await call('POST', '/v1/websites', apiKey, { botId: id, name, origins }), [201], 'binding the demo web site');
      actions.push(`bound the chat widget to ${origins.join(', ')}`);
      return { websiteId: (created.website as { id: string }).id, snippet: created.snippet as string };
    }
    if (found.botId !== id || canonical(found.origins) !== canonical(origins)) {
      expect(await call('PATCH', `/v1/websites/${found.id}`, apiKey, { botId: id, origins }), [200], 'updating the demo web site binding');
      actions.push(`updated the widget's origins (${origins.join(', ')})`);
    }
    const read = expect(await call('GET', `/v1/websites/${found.id}`, apiKey), [200], 'reading the demo web site binding');
    return { websiteId: found.id, snippet: read.snippet as string };
  }

  /** The demo knowledge items, created when missing (matched by title). */
  async function ensureKnowledge(): Promise<void> {
    const existing = new Set((await listAll<{ id: string; title: string }>('/v1/knowledge', 'listing knowledge items')).map((k) => k.title));
    const missing = DEMO_KNOWLEDGE.filter((k) => !existing.has(k.title));
    if (missing.length === 0) return;
    expect(await call('POST', '/v1/knowledge/import', apiKey, { items: missing }), [201], 'importing the demo knowledge base');
    actions.push(`imported ${missing.length} knowledge items`);
  }

  /** Brings the bot's Smart AI settings to what the environment asks for; true when they changed. */
  async function ensureAi(id: string): Promise<boolean> {
    const current = expect(await call('GET', `/v1/bots/${id}/ai`, apiKey), [200], 'reading the demo bot AI settings').ai as Record<string, unknown> | null;
    if (!options.ai) {
      if (!current) return false;
      expect(await call('DELETE', `/v1/bots/${id}/ai`, apiKey), [204], 'turning Smart AI off');
      actions.push('Smart AI turned off');
      return true;
    }
    const wantedAi = demoAiSettings(options.ai);
    const saved = expect(await call('PUT', `/v1/bots/${id}/ai`, apiKey, { ...wantedAi, apiKey: options.ai.apiKey ?? null }), [200], 'saving the demo bot AI settings').ai as Record<string, unknown>;
    const same = current !== null && canonical({ ...current, apiKey: null }) === canonical({ ...saved, apiKey: null }) && current.apiKey === saved.apiKey;
    actions.push(`Smart AI on (${options.ai.model} at ${options.ai.baseUrl})`);
    // The key is write-only: a changed key cannot be seen, but it is used live (not frozen into versions).
    return !same;
  }

  /** What the connection's credentials were last set to, as a hash; a different one means PATCHing them. */
  function fingerprint(connectionId: string): string {
    return crypto.createHash('sha256').update(JSON.stringify([connectionId, demoApi.baseUrl, demoApi.token, demoApi.secretKeys])).digest('base64url');
  }

  async function ensureConnection(): Promise<ConnectionView> {
    // allowPrivateNetwork: the demo API runs on loopback (127.0.0.1), which connections refuse by default
    // (that refusal is what stops a tenant's connection from reaching Parley's own network); plain http
    // is also only allowed with it.
    const body = { name: DEMO_CONNECTION_NAME, baseUrl: demoApi.baseUrl, auth: { type: 'bearer', token: demoApi.token }, allowPrivateNetwork: true };
    const found = (await listAll<ConnectionView>('/v1/connections', 'listing connections')).filter((c) => c.name === DEMO_CONNECTION_NAME);
    const existing = found.find((c) => c.id === state.connectionId) ?? found[0];
    if (!existing) {
      log(`creating the connection "${DEMO_CONNECTION_NAME}" to ${demoApi.baseUrl}`);
      const created = expect(await call('POST', '/v1/connections', apiKey, body), [201], 'creating the demo booking API connection').connection as ConnectionView;
      actions.push(`created connection ${created.id} (${DEMO_CONNECTION_NAME})`);
      return created;
    }
    const why: string[] = [];
    if (existing.baseUrl !== demoApi.baseUrl) why.push(`baseUrl ${existing.baseUrl} -> ${demoApi.baseUrl}`);
    if (!existing.allowPrivateNetwork) why.push('allowPrivateNetwork');
    if (existing.auth.type !== 'bearer' || existing.id !== state.connectionId || state.connectionFingerprint !== fingerprint(existing.id)) why.push('token');
    if (why.length === 0) {
      actions.push(`reused connection ${existing.id}`);
      return existing;
    }
    // The token is write-only (the API never shows it), so it is sent again whenever it may differ.
    log(`updating the connection ${existing.id} (${why.join(', ')})`);
    const { name: _name, ...update } = body;
    const updated = expect(await call('PATCH', `/v1/connections/${existing.id}`, apiKey, update), [200], 'updating the demo booking API connection').connection as ConnectionView;
    actions.push(`updated connection ${existing.id} (${why.join(', ')})`);
    return updated;
  }

  /** The demo endpoints, created or brought back to their definitions; their ids by ref. */
  async function ensureEndpoints(connectionId: string): Promise<Record<keyof typeof DEMO_ENDPOINTS, string>> {
    const route = `/v1/connections/${connectionId}/endpoints`;
    const existing = await listAll<EndpointView>(route, 'listing the demo endpoints');
    const ids: Partial<Record<keyof typeof DEMO_ENDPOINTS, string>> = {};
    const counts = { created: 0, updated: 0, reused: 0 };
    for (const [ref, definition] of Object.entries(DEMO_ENDPOINTS) as [keyof typeof DEMO_ENDPOINTS, (typeof DEMO_ENDPOINTS)[keyof typeof DEMO_ENDPOINTS]][]) {
      const found = existing.find((e) => e.name === definition.name);
      if (!found) {
        log(`creating the endpoint "${definition.name}"`);
        ids[ref] = (expect(await call('POST', route, apiKey, definition), [201], `creating the endpoint "${definition.name}"`).endpoint as EndpointView).id;
        counts.created++;
        continue;
      }
      ids[ref] = found.id;
      // Compared with its defaults filled in, as the API stores it.
      const full = CreateEndpointBody.parse(definition) as Record<string, unknown>;
      const changed = Object.keys(full).filter((field) => canonical(full[field]) !== canonical(found[field]));
      if (changed.length === 0) {
        counts.reused++;
        continue;
      }
      log(`updating the endpoint "${definition.name}" (${changed.join(', ')})`);
      expect(await call('PATCH', `${route}/${found.id}`, apiKey, Object.fromEntries(changed.map((f) => [f, full[f]]))), [200], `updating the endpoint "${definition.name}"`);
      counts.updated++;
    }
    actions.push(summary('endpoint', counts));
    return ids as Record<keyof typeof DEMO_ENDPOINTS, string>;
  }

  /** The demo actions, created or brought back to their definitions; returned as a published version holds them. */
  async function ensureActions(endpointIds: Record<keyof typeof DEMO_ENDPOINTS, string>): Promise<Record<string, ActionBody>> {
    const wanted: Record<string, ActionBody> = {};
    const counts = { created: 0, updated: 0, reused: 0 };
    for (const demo of DEMO_ACTIONS) {
      const body = ActionBody.parse({
        ...demo,
        steps: demo.steps.map((s) => ({
          id: s.id,
          endpointId: endpointIds[s.endpoint],
          ...(s.compensation ? { compensation: { endpointId: endpointIds[s.compensation.endpoint], inputs: s.compensation.inputs } } : {}),
        })),
      });
      // A published version also freezes each long-running step's settings (`wait`) from its endpoint.
      wanted[body.id] = {
        ...body,
        steps: body.steps.map((step, i) => {
          const longRunning = CreateEndpointBody.parse(DEMO_ENDPOINTS[demo.steps[i]!.endpoint]).longRunning;
          return longRunning ? { ...step, wait: longRunning } : step;
        }),
      };
      const found = await call('GET', `/v1/actions/${encodeURIComponent(body.id)}`, apiKey);
      if (found.status === 404) {
        log(`creating the action ${body.id}`);
        expect(await call('POST', '/v1/actions', apiKey, body), [201], `creating the action ${body.id}`);
        counts.created++;
        continue;
      }
      const action = expect(found, [200], `reading the action ${body.id}`).action as ActionView;
      if (sameAction(action, body)) {
        counts.reused++;
        continue;
      }
      log(`updating the action ${body.id}`);
      expect(await call('PUT', `/v1/actions/${encodeURIComponent(body.id)}`, apiKey, body), [200], `updating the action ${body.id}`);
      counts.updated++;
    }
    actions.push(summary('action', counts));
    return wanted;
  }

  async function createAccount(): Promise<Pick<DemoCredentials, 'apiKey' | 'accountId' | 'email'>> {
    // The password is never needed by the demo (the API authenticates with keys), so it is random and unsaved.
    const password = crypto.randomBytes(18).toString('base64url');
    let email = DEMO_EMAIL;
    log(`creating the demo account ${email}`);
    let response = await call('POST', '/v1/accounts', undefined, { name: 'Parley demo', email, password });
    if (response.status === 409 && response.body.code === 'email_taken') {
      // The fixed address belongs to an account whose key this machine no longer has (its demo.json was
      // deleted, or MONGODB_URI points to a shared database): leave it alone and make a fresh demo account.
      email = `demo+${crypto.randomBytes(4).toString('hex')}@parley.dev`;
      log(`${DEMO_EMAIL} is already taken and its key is not in ${path.relative(process.cwd(), stateFile)}; creating ${email} instead`);
      response = await call('POST', '/v1/accounts', undefined, { name: 'Parley demo', email, password });
    }
    const body = expect(response, [201], 'creating the demo account');
    const account = body.account as { id: string };
    const key = body.apiKey as { key: string };
    actions.push(`created account ${account.id} (${email}) and its API key`);
    return { apiKey: key.key, accountId: account.id, email };
  }
}

/** A stored action as the API shows it, against the definition the seed wants. */
function sameAction(action: ActionView, body: ActionBody): boolean {
  return (
    action.name === body.name &&
    action.description === body.description &&
    (action.outputStep ?? undefined) === body.outputStep &&
    canonical(action.steps) === canonical(body.steps)
  );
}

/** JSON with object keys sorted, so two equal values compare equal whatever their key order. */
/** A version's actions without the step retry policies publishing fills in. */
function withoutRetries(actions: unknown): unknown {
  return Object.fromEntries(
    Object.entries(actions as Record<string, { steps?: Record<string, unknown>[] }>).map(([id, action]) => [
      id,
      { ...action, steps: (action.steps ?? []).map(({ retry: _retry, ...step }) => step) },
    ]),
  );
}

function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    return v;
  };
  return JSON.stringify(sort(value)) ?? 'undefined';
}

/** "3 endpoints (1 created, 2 reused)" */
function summary(what: string, counts: { created: number; updated: number; reused: number }): string {
  const total = counts.created + counts.updated + counts.reused;
  const parts = (['created', 'updated', 'reused'] as const).filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`);
  return `${total} ${what}${total === 1 ? '' : 's'} (${parts.join(', ')})`;
}

type SavedState = Partial<DemoCredentials> & Pick<DemoCredentials, 'apiKey' | 'accountId' | 'email'>;

function readState(file: string): SavedState | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<DemoCredentials>;
    if (typeof data.apiKey !== 'string' || typeof data.accountId !== 'string') return undefined;
    return { ...data, apiKey: data.apiKey, accountId: data.accountId, email: data.email ?? DEMO_EMAIL };
  } catch {
    return undefined;
  }
}

function writeState(file: string, state: Partial<DemoCredentials>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const ordered = {
    apiKey: state.apiKey,
    accountId: state.accountId,
    botId: state.botId,
    email: state.email,
    connectionId: state.connectionId,
    connectionFingerprint: state.connectionFingerprint,
    agentEmail: state.agentEmail,
    agentPassword: state.agentPassword,
  };
  // The file holds a live API key: readable by its owner only.
  fs.writeFileSync(file, `${JSON.stringify(ordered, null, 2)}\n`, { mode: 0o600 });
}
