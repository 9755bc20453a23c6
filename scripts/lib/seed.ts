/**
 * The demo seed of `npm run dev`: a demo account, its API key and a published demo bot, created through
 * the real HTTP API (never by writing MongoDB directly), idempotently.
 *
 * The credentials are kept in `.data/demo.json` so a restart reuses them. On a restart the key is
 * checked with `GET /v1/account`; the bot is looked up, its settings brought back to the demo ones and
 * re-published when they (or its latest published version) differ.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_BOT, DEMO_FLOWS } from './demo-bot';

export const DEMO_EMAIL = 'demo@parley.dev';

export { DEMO_BOT, DEMO_FLOWS } from './demo-bot';

/** What `.data/demo.json` holds. */
export interface DemoCredentials {
  apiKey: string;
  accountId: string;
  botId: string;
  email: string;
}

export interface SeedResult extends DemoCredentials {
  /** One line per thing the seed did, for the dev banner. */
  actions: string[];
}

export class SeedError extends Error {}

interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
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

/** Creates or reuses the demo account, key and bot through the API at `baseUrl`. */
export async function seedDemo(options: { baseUrl: string; stateFile: string; log: Log }): Promise<SeedResult> {
  const { baseUrl, stateFile, log } = options;
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

  let state: Partial<DemoCredentials> & Pick<DemoCredentials, 'apiKey' | 'accountId' | 'email'>;
  if (saved) {
    state = saved;
  } else {
    state = await createAccount();
    writeState(stateFile, state);
  }
  const apiKey = state.apiKey;

  // 2. The bot: the saved one, else one with the demo name (a seed interrupted before saving), else a new one.
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
  writeState(stateFile, { ...state, botId });

  // The guided flows: saved every time (idempotent); the API answers with them as stored.
  const flows = expect(await call('PUT', `/v1/bots/${botId}/flows`, apiKey, DEMO_FLOWS), [200], 'saving the demo flows');

  // 3. Publish unless the latest published version already holds exactly the demo settings.
  const versions = expect(await call('GET', `/v1/bots/${botId}/versions`, apiKey), [200], 'listing the demo bot versions');
  const latest = (versions.data as { version: number; snapshot: Record<string, unknown> }[])[0];
  const current =
    latest &&
    (Object.keys(DEMO_BOT) as (keyof typeof DEMO_BOT)[]).every((field) => latest.snapshot[field] === DEMO_BOT[field]) &&
    JSON.stringify(latest.snapshot.flows) === JSON.stringify(flows);
  if (current) {
    actions.push(`bot already published as version ${latest.version}`);
  } else {
    log(`publishing the demo bot ${botId}`);
    const published = expect(await call('POST', `/v1/bots/${botId}/publish`, apiKey), [201], 'publishing the demo bot');
    actions.push(`published bot ${botId} as version ${(published.version as { version: number }).version}`);
  }

  return { apiKey, accountId: state.accountId, botId, email: state.email, actions };

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

function readState(file: string): (Partial<DemoCredentials> & Pick<DemoCredentials, 'apiKey' | 'accountId' | 'email'>) | undefined {
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
  const ordered = { apiKey: state.apiKey, accountId: state.accountId, botId: state.botId, email: state.email };
  // The file holds a live API key: readable by its owner only.
  fs.writeFileSync(file, `${JSON.stringify(ordered, null, 2)}\n`, { mode: 0o600 });
}
