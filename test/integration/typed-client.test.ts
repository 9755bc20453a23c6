/**
 * The typed client (@parley/client) against the real stack: the README's examples (client/examples/*.ts)
 * compile on their own (tsc over the client and the examples) and, run as a user runs them (tsx, their
 * environment variables), start a conversation, send a message, read the transcript, stream events and
 * verify a real webhook delivery. And `npm run chat` (scripts/chat.ts, on the client) spawned with piped
 * stdin and stdout: replies printed, a choice picked by its number, an agent's message streamed in.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { publishedFlowBot, signUp, sleep, startStack, type Http, type Stack } from '../harness';
import { closedTenantPort } from '../tenant-ports';

const ROOT = path.join(__dirname, '..', '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const GREETING = 'Hello! I am the test bot.';
/** A choice block's text lists its options. */
const CHOICE = 'Tea or coffee?\n1. Tea\n2. Coffee';

const flows = {
  flows: [
    {
      id: 'drinks',
      name: 'Drinks',
      trigger: { keywords: ['drink'] },
      startBlockId: 'pick',
      blocks: [
        {
          id: 'pick',
          type: 'choice',
          text: 'Tea or coffee?',
          variable: 'drink',
          options: [
            { label: 'Tea', value: 'tea', next: 'tea' },
            { label: 'Coffee', value: 'coffee', next: 'coffee' },
          ],
        },
        { id: 'tea', type: 'end', text: 'Tea it is.' },
        { id: 'coffee', type: 'end', text: 'Coffee it is.' },
      ],
    },
    { id: 'human', name: 'Human', trigger: { keywords: ['human'] }, startBlockId: 'h', blocks: [{ id: 'h', type: 'handoff', text: 'Connecting you to a colleague.' }] },
  ],
};

let stack: Stack;
let api: Http;
let key: string;
let botId: string;
const children: ChildProcessWithoutNullStreams[] = [];

beforeAll(async () => {
  stack = await startStack({ api: { SSE_POLL_MS: '50' } });
  ({ api, key } = await signUp(stack.baseUrl));
  botId = await publishedFlowBot(api, flows);
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await stack?.stop();
});

interface Running {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  /** Resolves when stdout has a line matching `pattern` (after `from` characters). */
  waitFor(pattern: RegExp, what: string): Promise<void>;
  exit(): Promise<number | null>;
}

/** A TypeScript file run with tsx, as a developer runs it (`--import tsx`: one process, so signals reach it). */
function run(file: string, args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, file), ...args], { cwd: ROOT, env: { ...process.env, PARLEY_URL: stack.baseUrl, PARLEY_API_KEY: key, ...env } });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => stdout,
    waitFor: async (pattern, what) => {
      const deadline = Date.now() + 30_000;
      while (!pattern.test(stdout)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${file} ${child.exitCode === null ? 'timed out' : `exited ${child.exitCode}`} before ${what}; it printed:\n${stdout}\n${stderr}`);
        await sleep(50);
      }
    },
    exit: () => exited,
  };
}

/** Runs an example to its end; its stdout. */
async function example(name: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const running = run(`client/examples/${name}.ts`, args, env);
  const code = await running.exit();
  if (code !== 0) throw new Error(`${name} exited ${code}: ${running.output()}`);
  return running.output();
}

describe('the client examples', () => {
  it('compile on their own: tsc over the client and its examples', async () => {
    await expect(promisify(execFile)(process.execPath, [TSC, '-p', path.join(ROOT, 'client')], { cwd: ROOT })).resolves.toBeDefined();
  }, 60_000);

  it('start a conversation, send a message, read the transcript and stream its events', async () => {
    const started = await example('start-conversation', ['I would like a drink'], { PARLEY_BOT_ID: botId });
    const id = /^conversation (conv_[a-z0-9]+) \(active\)$/m.exec(started)?.[1];
    expect(id).toBeDefined();
    expect(started).toContain(`bot: ${GREETING}\nbot: Tea or coffee?\n`);

    const env = { PARLEY_CONVERSATION_ID: id! };
    // Streaming from the start: the events so far, then the next turn's as it happens.
    const stream = run('client/examples/stream-events.ts', [], env);
    await stream.waitFor(/\] bot: Tea or coffee\?\n/, 'the events so far');

    const sent = await example('send-message', ['coffee'], env);
    expect(sent).toBe('bot: Coffee it is.\n');
    await stream.waitFor(/\] visitor: coffee\n\[\d+\] bot: Coffee it is\.\n/, "the new turn's events");
    expect(stream.output()).toMatch(/^\[\d+\] conversation\.started\n\[\d+\] visitor: I would like a drink\n/);

    const transcript = await example('read-transcript', [], env);
    expect(transcript).toBe(`visitor: I would like a drink\nbot: ${GREETING}\nbot: ${CHOICE}\nvisitor: coffee\nbot: Coffee it is.\n5 messages\n`);

    // Ctrl-C ends the stream cleanly.
    stream.child.kill('SIGINT');
    expect(await stream.exit()).toBe(0);
  });

  it('verify a real webhook delivery, and reject a forged one', async () => {
    const port = await closedTenantPort();
    const created = await api.post('/v1/webhooks', { url: `http://127.0.0.1:${port}/`, events: ['message.created'], allowPrivateNetwork: true });
    expect(created.status).toBe(201);
    const receiver = run('client/examples/verify-webhook.ts', [], { PORT: String(port), PARLEY_WEBHOOK_SECRET: created.body.secret });
    await receiver.waitFor(/listening on /, 'the receiver');

    await example('start-conversation', ['drink'], { PARLEY_BOT_ID: botId });
    await receiver.waitFor(/verified message\.created evt_[a-f0-9]+: bot: Tea or coffee\?\n/, 'a verified delivery');
    expect(receiver.output()).not.toContain('rejected');
    const log = await api.get(`/v1/webhooks/${created.body.webhook.id}/deliveries`);
    expect(log.body.data.some((row: { status: string; responseStatus: number }) => row.status === 'succeeded' && row.responseStatus === 204)).toBe(true);

    const forged = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'evt_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}` },
      body: JSON.stringify({ type: 'message.created', timestamp: new Date().toISOString(), data: {} }),
    });
    expect(forged.status).toBe(400);
    await receiver.waitFor(/rejected: /, 'the forged delivery rejected');
    receiver.child.kill('SIGTERM');
    await api.delete(`/v1/webhooks/${created.body.webhook.id}`);
  });
});

describe('npm run chat', () => {
  it('prints replies, picks a choice by its number, and streams an agent message while waiting', async () => {
    const chat = run('scripts/chat.ts', ['--url', stack.baseUrl, '--key', key, '--bot', botId, '--user', 'chat-test']);
    await chat.waitFor(new RegExp(`^bot: ${GREETING}$`, 'm'), 'the greeting');
    const id = /^Conversation (conv_[a-z0-9]+) /m.exec(chat.output())![1]!;

    chat.child.stdin.write('I want a drink\n');
    await chat.waitFor(/^bot: Tea or coffee\?\n1\. Tea\n2\. Coffee\n/m, 'the numbered choices');
    chat.child.stdin.write('1\n');
    await chat.waitFor(/^bot: Tea it is\.$/m, 'the choice picked by number');
    const transcript = await api.get(`/v1/conversations/${id}/messages`);
    expect(transcript.body.data.filter((m: { role: string }) => m.role === 'visitor').map((m: { text: string }) => m.text)).toEqual(['I want a drink', 'tea']);

    chat.child.stdin.write('human\n');
    await chat.waitFor(/^bot: Connecting you to a colleague\.$/m, 'the handoff');
    // A person answers through the API: the chat prints it from the event stream, with no input typed.
    expect((await api.post(`/v1/conversations/${id}/agent-messages`, { message: { type: 'text', text: 'Sam here, how can I help?' } })).status).toBe(201);
    await chat.waitFor(/^agent: Sam here, how can I help\?$/m, "the agent's message");
    await chat.waitFor(/^-- handed to a person/m, 'the handoff notice');

    chat.child.stdin.end();
    expect(await chat.exit()).toBe(0);
    // Each message once, though replies also arrive on the stream.
    expect(chat.output().match(/Tea it is\./g)).toHaveLength(1);
    expect(chat.output().match(new RegExp(GREETING, 'g'))).toHaveLength(1);
  });
});
