/**
 * `GET /docs` (api/routes/docs.ts): Scalar's reference page, its bundle served from the installed
 * package, and the Content-Security-Policy it runs under. What the page does in a browser (no CSP
 * violation, no request off the origin, every operation with an example, search, Test Request) is
 * test/integration/docs-browser.test.ts's.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Server } from 'node:http';
import express from 'express';
import { docsRouter } from '../../api/routes/docs';

let server: Server;
let base: string;
beforeAll(async () => {
  const app = express();
  app.use(docsRouter());
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.close();
});

const directives = (csp: string): Map<string, string[]> => new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));

describe('GET /docs', () => {
  it('is a page that loads Scalar from this origin under a nonce-based policy with no other origin', async () => {
    const res = await fetch(`${base}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    const csp = directives(res.headers.get('content-security-policy') ?? '');
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp.get('script-src')?.join(' ') ?? '')?.[1];
    expect(nonce).toBeDefined();
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'", `'nonce-${nonce}'`]);
    expect(csp.get('style-src')).toEqual(["'self'", `'nonce-${nonce}'`, "'report-sample'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    for (const name of ['img-src', 'font-src']) expect(csp.get(name)).toEqual(["'self'", 'data:']);
    for (const name of ['object-src', 'base-uri', 'form-action', 'frame-ancestors']) expect(csp.get(name)).toEqual(["'none'"]);
    // Only style attributes are inline without a nonce (Scalar's rendered HTML carries a few).
    expect([...csp].filter(([, values]) => values.some((v) => /unsafe/.test(v)))).toEqual([['style-src-attr', ["'unsafe-inline'", "'report-sample'"]]]);

    // The nonce is the meta tag Scalar reads for its style elements and the one inline script's; the
    // other script is the bundle, by its version.
    const version = (JSON.parse(readFileSync(join(dirname(require.resolve('@scalar/api-reference')), '..', 'package.json'), 'utf8')) as { version: string }).version;
    expect(html).toContain(`<meta property="csp-nonce" content="${nonce}">`);
    expect(html.match(/<script\b[^>]*>/g)).toEqual([`<script nonce="${nonce}">`, `<script src="/docs/scalar.js?v=${version}">`]);
    expect(html).not.toMatch(/https?:\/\//);
    // What would reach Scalar's services is off, and the page reads this API's document.
    const config = JSON.parse(/Scalar\.createApiReference\('#app', (\{.*\})\);/.exec(html)![1]!) as Record<string, unknown>;
    expect(config).toMatchObject({ url: '/openapi.json', proxyUrl: '', withDefaultFonts: false, telemetry: false, agent: { disabled: true }, mcp: { disabled: true } });
    // A new nonce for every response.
    const again = (await fetch(`${base}/docs`)).headers.get('content-security-policy');
    expect(again).not.toContain(nonce);
  });

  it('serves the bundle from the installed package: gzipped when asked, cached, revalidated by ETag', async () => {
    const onDisk = readFileSync(join(dirname(require.resolve('@scalar/api-reference')), 'browser', 'standalone.js'));
    const res = await fetch(`${base}/docs/scalar.js?v=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(res.headers.get('content-encoding')).toBe('gzip'); // fetch asks for gzip, and decodes it
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    expect(Buffer.from(await res.arrayBuffer()).equals(onDisk)).toBe(true);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const revalidated = await fetch(`${base}/docs/scalar.js`, { headers: { 'If-None-Match': etag } });
    expect(revalidated.status).toBe(304);
    const plain = await fetch(`${base}/docs/scalar.js`, { headers: { 'Accept-Encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect((await plain.arrayBuffer()).byteLength).toBe(onDisk.length);
  });
});
