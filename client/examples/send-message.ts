// Send the visitor's next message and print the bot's replies, with any choices numbered.
// PARLEY_API_KEY=pk_... PARLEY_CONVERSATION_ID=conv_... npx tsx client/examples/send-message.ts "Ada Lovelace"
import { randomUUID } from 'node:crypto';
import { createParleyClient, ok } from '@parley/client';

const parley = createParleyClient({ baseUrl: process.env.PARLEY_URL ?? 'http://localhost:3000', apiKey: process.env.PARLEY_API_KEY });

async function main(): Promise<void> {
  const answer = ok(
    await parley.POST('/v1/conversations/{id}/messages', {
      params: { path: { id: process.env.PARLEY_CONVERSATION_ID! } },
      // The same clientMessageId again answers the same replies and adds nothing: safe to retry.
      body: { message: { type: 'text', text: process.argv[2] ?? 'Hello' }, clientMessageId: randomUUID() },
    }),
  );
  // 202: the bot takes longer than the API waits; retry with the same clientMessageId or read the transcript.
  if ('status' in answer) console.log(`pending: ${answer.messageId}`);
  for (const reply of answer.replies) {
    console.log(`bot: ${reply.text}`);
    reply.choices?.forEach((choice, i) => console.log(`  ${i + 1}. ${choice.label} (${choice.value})`));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
