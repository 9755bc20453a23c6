// Read a conversation's transcript, a page at a time.
// PARLEY_API_KEY=pk_... PARLEY_CONVERSATION_ID=conv_... npx tsx client/examples/read-transcript.ts
import { createParleyClient, ok } from '@parley/client';

const parley = createParleyClient({ baseUrl: process.env.PARLEY_URL ?? 'http://localhost:3000', apiKey: process.env.PARLEY_API_KEY });

async function main(): Promise<void> {
  const id = process.env.PARLEY_CONVERSATION_ID!;
  let after: string | undefined;
  let count = 0;
  do {
    const page = ok(await parley.GET('/v1/conversations/{id}/messages', { params: { path: { id }, query: { limit: 50, after } } }));
    for (const message of page.data) console.log(`${message.role}: ${message.text}`);
    count += page.data.length;
    after = page.nextAfter ?? undefined;
  } while (after);
  console.log(`${count} messages`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
