import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { esc } from '../html';
import type { WidgetTokens } from './tokens';

/** The widget script: plain browser JavaScript next to this file (copied to dist/ by `npm run build`). */
function widgetScript(): string {
  return readFileSync(join(__dirname, 'widget.js'), 'utf8');
}

/** A preview link's token: a signed JWT. Anything else is as invalid as a forged or expired one (401). */
export const PreviewParams = z.object({ token: z.string().max(1024).regex(/^ey[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/).describe('the token of a preview link (`POST /v1/bots/:id/preview`)') });

/**
 * `GET /widget.js` (the embeddable widget) and `GET /preview/:token` (the bot preview page: the same
 * widget, open, on the API's own origin, keyed by a one-hour preview token).
 */
export function widgetPagesRouter(deps: ApiDeps, tokens: WidgetTokens): Router {
  const router = Router();
  const script = widgetScript();

  router.get('/widget.js', (_req, res) => {
    res
      .type('application/javascript; charset=utf-8')
      // Sites embed it from another origin; browsers with Cross-Origin-Embedder-Policy need this to load it.
      .set('Cross-Origin-Resource-Policy', 'cross-origin')
      .set('Cache-Control', 'public, max-age=300')
      .set('X-Content-Type-Options', 'nosniff')
      .send(script);
  });

  router.get('/preview/:token', async (req, res) => {
    const parsed = PreviewParams.safeParse(req.params);
    const token = parsed.success ? parsed.data.token : '';
    const preview = parsed.success ? await tokens.verifyPreview(token) : undefined;
    if (!preview) throw new AppError(401, 'preview_expired', 'this preview link is not valid or has expired; open a new one');
    const bot = await deps.Bot.findOne({ _id: preview.botId, accountId: preview.accountId }, { name: 1 }).lean();
    if (!bot) throw AppError.notFound('bot');
    res
      .set('Content-Security-Policy', "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
      .set('Referrer-Policy', 'no-referrer')
      .set('Cache-Control', 'no-store')
      .set('X-Content-Type-Options', 'nosniff')
      .type('html')
      .send(previewHtml(bot.name, token));
  });

  return router;
}

function previewHtml(botName: string, token: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Preview: ${esc(botName)}</title>
<style>
  body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #111827; background: #f3f4f6; }
  main { max-width: 40rem; margin: 3rem auto; padding: 0 1.5rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
  p { color: #4b5563; }
</style>
</head>
<body>
<main>
  <h1>Preview: ${esc(botName)}</h1>
  <p>This page runs the chat widget against the bot's latest published version. Conversations here are real
  (channel <code>preview</code>): actions call your connected systems. The link expires after an hour.</p>
</main>
<script src="/widget.js" data-parley-preview="${esc(token)}" data-parley-open="true" async></script>
</body>
</html>
`;
}
