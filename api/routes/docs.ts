import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Router, type Request, type Response } from 'express';
import { esc } from '../html';
import { registry } from '../openapi/routes';

type Json = Record<string, any>;

let cached: Json | undefined;

/** The OpenAPI document, built once per process from the route registry. */
export function openApiDocument(): Json {
  cached ??= registry.document({
    title: 'Parley API',
    version: '0.1.0',
    description: 'Chatbots that act inside a business\'s own systems. Every route but sign-up, log-in and these docs takes `Authorization: Bearer pk_...`. Errors are `{message, code, details}`.',
  });
  return cached;
}

/**
 * The API reference at `/docs` is Scalar (`@scalar/api-reference`), served from the installed package:
 * its standalone browser bundle, which carries its own CSS and injects it as `<style>` elements that take
 * the nonce of `<meta property="csp-nonce">`. Nothing is fetched from anywhere but this origin: the bundle
 * and the document come from here, and the bootstrap turns off what would call Scalar's services (the
 * request proxy, the default fonts, telemetry), so "Test Request" calls this API directly (the document's
 * server is `/`) with the key the reader types in.
 */
const SCALAR_DIST = dirname(require.resolve('@scalar/api-reference')); // …/@scalar/api-reference/dist
const SCALAR_BUNDLE = join(SCALAR_DIST, 'browser', 'standalone.js');
const SCALAR_VERSION = (JSON.parse(readFileSync(join(SCALAR_DIST, '..', 'package.json'), 'utf8')) as { version: string }).version;
/** The page asks for it with `?v=<version>`, so an upgrade is never run from a stale cache. */
export const SCALAR_SCRIPT_PATH = '/docs/scalar.js';

/**
 * Scalar's options (docs: "Configuration" of @scalar/api-reference). Everything that would reach past this
 * origin is off: `proxyUrl` empty (unset, Scalar may send "Test Request" through its hosted proxy),
 * `withDefaultFonts` false (they load from Scalar's font host; the system fonts are used instead),
 * `telemetry` false, and its hosted extras (the "Ask AI" agent, MCP) disabled. The `apiKey` scheme (HTTP
 * bearer) is preselected, so the reader pastes a `pk_` key once and every "Test Request" sends it; it is
 * not kept in the browser's storage (`persistAuth`). Every tag starts open, so the sidebar lists every
 * operation; curl is the first request example.
 */
const SCALAR_CONFIG = {
  url: '/openapi.json',
  proxyUrl: '',
  withDefaultFonts: false,
  telemetry: false,
  persistAuth: false,
  hideClientButton: true,
  defaultOpenAllTags: true,
  showDeveloperTools: 'never',
  documentDownloadType: 'json',
  defaultHttpClient: { targetKey: 'shell', clientKey: 'curl' },
  authentication: { preferredSecurityScheme: 'apiKey' },
  mcp: { disabled: true },
  agent: { disabled: true },
};

/**
 * The page's policy: everything from this origin, and the inline pieces it needs by this response's nonce
 * (the bootstrap script below and the style elements Scalar creates). Style *attributes* are allowed
 * (`style-src-attr 'unsafe-inline'`): Scalar writes some into the HTML it renders (a code block's
 * `style="--line-count: 2; …"`) and sets others with `setAttribute` (a scrollbar probe). A style attribute
 * can neither run script nor, with `img-src` and `font-src` limited to this origin, fetch from anywhere
 * else. Images may be `data:` URLs (Scalar's icons), nothing may frame the page, and no form may post.
 */
export const docsCsp = (nonce: string): string =>
  [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}' 'report-sample'`,
    "style-src-attr 'unsafe-inline' 'report-sample'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

/**
 * The page's one inline script (allowed by the response's nonce), run before the bundle:
 * - zod inside the bundle probes whether it may compile validators with `Function('')`; under this CSP that
 *   probe is a refused eval (a console error and a violation report), so it is told up front not to
 *   (`jitless`, zod's documented switch, read from `globalThis.__zod_globalConfig`);
 * - Scalar injects its main CSS with the meta tag's nonce, but renders the theme as a Vue `<style>`
 *   element and its code editor (CodeMirror) adds style elements of its own, both without one: every
 *   `<style>` created on this page gets the nonce. Any script that runs here could read the nonce from the
 *   meta tag anyway, so this widens nothing: scripts still need `'self'` or the nonce;
 * - then, once the bundle has run, Scalar renders `/openapi.json` into `#app`.
 */
function bootstrap(): string {
  // JSON inside a script element: `<` escaped so no string in it can close the element.
  const config = JSON.stringify(SCALAR_CONFIG).replace(/</g, '\\u003c');
  return `globalThis.__zod_globalConfig = Object.assign(globalThis.__zod_globalConfig || {}, { jitless: true });
(function () {
  var nonce = document.currentScript.nonce;
  var createElement = document.createElement;
  document.createElement = function (name) {
    var element = createElement.apply(this, arguments);
    if (String(name).toLowerCase() === 'style') element.nonce = nonce;
    return element;
  };
})();
document.addEventListener('DOMContentLoaded', function () {
  Scalar.createApiReference('#app', ${config});
});`;
}

function page(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta property="csp-nonce" content="${esc(nonce)}">
<title>${esc(openApiDocument().info.title)} reference</title>
<link rel="icon" href="data:,">
<script nonce="${esc(nonce)}">
${bootstrap()}
</script>
<script src="${SCALAR_SCRIPT_PATH}?v=${esc(SCALAR_VERSION)}"></script>
</head>
<body>
<div id="app"></div>
</body>
</html>
`;
}

/** The bundle (about 5 MB) and its gzip, read on the first request for it and kept for the process. */
let bundle: { raw: Buffer; gzip: Buffer; etag: string } | undefined;
function scalarBundle(): NonNullable<typeof bundle> {
  if (!bundle) {
    const raw = readFileSync(SCALAR_BUNDLE);
    bundle = { raw, gzip: gzipSync(raw), etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 27)}"` };
  }
  return bundle;
}

const common = (res: Response): Response =>
  res.set('X-Content-Type-Options', 'nosniff').set('Referrer-Policy', 'no-referrer').set('Cross-Origin-Resource-Policy', 'same-origin');

/** `GET /openapi.json`, `GET /docs` (Scalar's reference page) and `GET /docs/scalar.js` (its bundle). */
export function docsRouter(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.get('/docs', (_req, res) => {
    const nonce = randomBytes(18).toString('base64');
    common(res).set('Content-Security-Policy', docsCsp(nonce)).set('Cache-Control', 'no-store').type('html').send(page(nonce));
  });
  // A day in caches, then revalidated by ETag; the page asks for `?v=<version>`, so an upgrade is fetched anew.
  router.get(SCALAR_SCRIPT_PATH, (req: Request, res) => {
    const { raw, gzip, etag } = scalarBundle();
    common(res).set('Cache-Control', 'public, max-age=86400').set('ETag', etag).set('Vary', 'Accept-Encoding').type('application/javascript; charset=utf-8');
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) res.set('Content-Encoding', 'gzip').send(gzip);
    else res.send(raw);
  });
  return router;
}
