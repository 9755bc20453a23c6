// Follow a conversation as it happens (Server-Sent Events), until Ctrl-C. A dropped connection is
// resumed after the last event received; pass an event's lastEventId to start after it another time.
// PARLEY_API_KEY=pk_... PARLEY_CONVERSATION_ID=conv_... npx tsx client/examples/stream-events.ts
import { conversationEvents, createParleyClient } from '@parley/client';

const parley = createParleyClient({ baseUrl: process.env.PARLEY_URL ?? 'http://localhost:3000', apiKey: process.env.PARLEY_API_KEY });

async function main(): Promise<void> {
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  for await (const event of conversationEvents(parley, process.env.PARLEY_CONVERSATION_ID!, { signal: stop.signal })) {
    if (event.type === 'message.created') console.log(`[${event.lastEventId}] ${event.data.message.role}: ${event.data.message.text}`);
    else console.log(`[${event.lastEventId}] ${event.type}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
