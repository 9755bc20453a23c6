import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router, type Response } from 'express';

/**
 * The agent inbox page (issue 20, item 5): `GET /inbox`, its script and its style sheet, all served by the
 * API on its own origin. The page is static: it signs the agent in with `/v1/agent-auth/*` and then calls
 * the same API every other client uses (`/v1/inbox`, `/v1/conversations/:id/*`, `/v1/agents/me*`) with the
 * agent's access token. An invite link is `/inbox#invite=<token>`: the token travels in the fragment, so
 * it never reaches a server log, a proxy or a Referer header.
 *
 * The files sit next to this one (plain browser JavaScript and CSS, copied to dist/ by `npm run build`)
 * and are read once when the router is built.
 */

/**
 * Same-origin script and style only: no inline script or style, no third party, no framing, no form
 * posts (forms are handled by the script). `connect-src 'self'` covers the API calls and the event stream.
 */
export const INBOX_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const file = (name: string): string => readFileSync(join(__dirname, name), 'utf8');

export function inboxPageRouter(): Router {
  const router = Router();
  const html = file('inbox.html');
  const script = file('inbox.js');
  const style = file('inbox.css');

  const common = (res: Response): Response =>
    res.set('X-Content-Type-Options', 'nosniff').set('Referrer-Policy', 'no-referrer').set('Cross-Origin-Resource-Policy', 'same-origin');

  router.get('/inbox', (_req, res) => {
    common(res)
      .set('Content-Security-Policy', INBOX_CSP)
      .set('Cross-Origin-Opener-Policy', 'same-origin')
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(html);
  });
  // `no-cache`: browsers revalidate, so a new version of the page never runs with an old script.
  router.get('/inbox/inbox.js', (_req, res) => {
    common(res).set('Cache-Control', 'no-cache').type('application/javascript; charset=utf-8').send(script);
  });
  router.get('/inbox/inbox.css', (_req, res) => {
    common(res).set('Cache-Control', 'no-cache').type('text/css; charset=utf-8').send(style);
  });
  return router;
}
