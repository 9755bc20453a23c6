// Receive webhook deliveries and check their Standard Webhooks signature with the secret (whsec_...)
// shown once when the webhook was created (POST /v1/webhooks). Verify the raw body, before parsing it.
// PARLEY_WEBHOOK_SECRET=whsec_... PORT=4000 npx tsx client/examples/verify-webhook.ts
import http from 'node:http';
import { verifyWebhook, WebhookVerificationError } from '@parley/client';

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      const event = verifyWebhook({ secret: process.env.PARLEY_WEBHOOK_SECRET!, body: Buffer.concat(chunks), headers: req.headers });
      if (event.type === 'message.created') console.log(`verified ${event.type} ${req.headers['webhook-id']}: ${event.data.message.role}: ${event.data.message.text}`);
      else console.log(`verified ${event.type} ${req.headers['webhook-id']}`);
      res.writeHead(204).end();
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      console.log(`rejected: ${error.message}`);
      res.writeHead(400).end();
    }
  });
});

server.listen(Number(process.env.PORT ?? 4000), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${Number(process.env.PORT ?? 4000)}/`));
