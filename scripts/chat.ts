/**
 * `npm run chat`: a terminal chat with a bot over the API channel, built on the typed client
 * (@parley/client). Lines you type are the visitor's messages; the bot's replies are printed, choices
 * numbered (type the number to pick one), and a Smart AI confirmation is answered with yes/no (or 1/2)
 * through POST /v1/conversations/:id/confirm. Messages that arrive later (a human agent's, a bot's
 * after a call that finished later) come from the conversation's event stream while you type.
 *
 *   npm run chat [-- --bot <id>] [--url http://localhost:3000] [--key pk_...] [--user <externalUserId>]
 *
 * Without --bot and --key it talks to the demo bot with the demo key that `npm run dev` seeded
 * (.data/demo.json). `/quit` or Ctrl-D leaves (the conversation closes after the bot's inactivity timeout).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { conversationEvents, createParleyClient, ok, type ParleyClient, type Reply } from '@parley/client';

const DEMO_FILE = path.join(__dirname, '..', '.data', 'demo.json');

/** What a bot message can ask for next: a choice by number, or a yes/no confirmation. */
type Pending = { choices: NonNullable<Reply['choices']>; confirmation?: Reply['confirmation'] };

interface Shown {
  id: string;
  role: string;
  text: string;
  choices?: Reply['choices'];
  confirmation?: Reply['confirmation'];
}

function options(): { url: string; key: string; botId: string; user: string } {
  const { values } = parseArgs({ options: { bot: { type: 'string' }, url: { type: 'string' }, key: { type: 'string' }, user: { type: 'string' } } });
  let demo: { apiKey?: string; botId?: string } = {};
  if ((!values.bot || !values.key) && fs.existsSync(DEMO_FILE)) demo = JSON.parse(fs.readFileSync(DEMO_FILE, 'utf8'));
  const key = values.key ?? process.env.PARLEY_API_KEY ?? demo.apiKey;
  const botId = values.bot ?? demo.botId;
  if (!key || !botId) throw new Error(`no ${key ? 'bot' : 'API key'}: pass --bot <id> --key pk_..., or run \`npm run dev\` first to seed the demo (${path.relative(process.cwd(), DEMO_FILE)})`);
  return { url: values.url ?? process.env.PARLEY_URL ?? 'http://localhost:3000', key, botId, user: values.user ?? `chat-${randomUUID().slice(0, 8)}` };
}

class Chat {
  private readonly seen = new Set<string>();
  private pending: Pending = { choices: [] };

  constructor(
    private readonly parley: ParleyClient,
    private readonly rl: readline.Interface,
    readonly conversationId: string,
  ) {}

  /** Prints a message once (it may come both as a reply and from the event stream), above the prompt. */
  show(message: Shown): void {
    if (this.seen.has(message.id) || message.role === 'visitor' || message.role === 'note') return;
    this.seen.add(message.id);
    const lines = [`${message.role}: ${message.text}`];
    if (message.role === 'bot') {
      this.pending = { choices: message.choices ?? [], confirmation: message.confirmation };
      // A confirmation's text already lists Yes/No; other choices are numbered here.
      if (!message.confirmation && !/\n1\. /.test(message.text)) message.choices?.forEach((choice, i) => lines.push(`  ${i + 1}. ${choice.label}`));
      if (message.confirmation) lines.push(`  (yes/no: ${message.confirmation.action} ${JSON.stringify(message.confirmation.arguments)})`);
    }
    this.print(lines.join('\n'));
  }

  print(text: string): void {
    if (process.stdout.isTTY) {
      readline.clearLine(process.stdout, 0);
      readline.cursorTo(process.stdout, 0);
    }
    process.stdout.write(`${text}\n`);
    if (process.stdout.isTTY) this.rl.prompt(true);
  }

  /** One line typed by the visitor: a confirmation's answer, a choice's number, or a message. */
  async say(line: string): Promise<void> {
    const { confirmation, choices } = this.pending;
    const answer = line.trim().toLowerCase();
    if (confirmation && ['yes', 'y', '1', 'no', 'n', '2'].includes(answer)) {
      this.pending = { choices: [] };
      const result = ok(
        await this.parley.POST('/v1/conversations/{id}/confirm', {
          params: { path: { id: this.conversationId } },
          body: { confirmationId: confirmation.id, argsHash: confirmation.argsHash, approved: ['yes', 'y', '1'].includes(answer), clientMessageId: randomUUID() },
        }),
      );
      for (const reply of result.replies) this.show(reply);
      return;
    }
    const picked = /^\d+$/.test(answer) ? choices[Number(answer) - 1] : undefined;
    const result = ok(
      await this.parley.POST('/v1/conversations/{id}/messages', {
        params: { path: { id: this.conversationId } },
        body: { message: { type: 'text', text: picked?.value ?? line.trim() }, clientMessageId: randomUUID() },
      }),
    );
    if ('status' in result) this.print('(the bot is still working: its replies will appear here)');
    for (const reply of result.replies) this.show(reply);
  }

  /** Prints what arrives on the event stream: other people's messages and status changes. */
  async follow(signal: AbortSignal): Promise<void> {
    for await (const event of conversationEvents(this.parley, this.conversationId, { signal })) {
      if (event.type === 'message.created') this.show(event.data.message);
      else if (event.type === 'conversation.handoff') this.print('-- handed to a person: their messages appear here --');
      else if (event.type === 'conversation.released') this.print('-- back with the bot --');
      else if (event.type === 'conversation.closed') this.print('-- the conversation is closed --');
    }
  }
}

async function main(): Promise<void> {
  const { url, key, botId, user } = options();
  const parley = createParleyClient({ baseUrl: url, apiKey: key });
  const { conversation, replies } = ok(await parley.POST('/v1/conversations', { body: { botId, externalUserId: user } }));
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY && process.stdout.isTTY });
  rl.setPrompt('> ');
  const chat = new Chat(parley, rl, conversation.id);
  chat.print(`Conversation ${conversation.id} with ${botId} at ${url} (/quit to leave)`);
  for (const reply of replies) chat.show(reply);

  const stop = new AbortController();
  const following = chat.follow(stop.signal).catch((error: unknown) => chat.print(`(event stream: ${error instanceof Error ? error.message : String(error)})`));
  // Lines are handled one at a time, in order: a choice's number refers to the reply before it.
  let queue = Promise.resolve();
  rl.on('line', (line) => {
    queue = queue.then(async () => {
      if (line.trim() === '/quit') return rl.close();
      if (line.trim() === '') return;
      await chat.say(line).catch((error: unknown) => chat.print(`(error: ${error instanceof Error ? error.message : String(error)})`));
      if (process.stdout.isTTY) rl.prompt();
    });
  });
  if (process.stdout.isTTY) rl.prompt();
  await new Promise<void>((resolve) => rl.once('close', resolve));
  await queue;
  stop.abort();
  await following;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
