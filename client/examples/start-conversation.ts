// Start a conversation on the API channel with a first message; the bot's replies come back at once.
// PARLEY_API_KEY=pk_... PARLEY_BOT_ID=bot_... npx tsx client/examples/start-conversation.ts
import { createParleyClient, ok } from '@parley/client';

const parley = createParleyClient({ baseUrl: process.env.PARLEY_URL ?? 'http://localhost:3000', apiKey: process.env.PARLEY_API_KEY });

async function main(): Promise<void> {
  const { conversation, replies } = ok(
    await parley.POST('/v1/conversations', {
      body: {
        botId: process.env.PARLEY_BOT_ID!,
        externalUserId: 'visitor-1',
        message: { type: 'text', text: process.argv[2] ?? "Hi, I'd like to book an appointment" },
      },
    }),
  );
  console.log(`conversation ${conversation.id} (${conversation.status})`);
  for (const reply of replies) console.log(`bot: ${reply.text}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
