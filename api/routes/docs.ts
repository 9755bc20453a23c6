import { Router } from 'express';
import { registry } from '../openapi/routes';

type Json = Record<string, any>;

let cached: { json: Json; html: string } | undefined;

/** The OpenAPI document, built once per process from the route registry. */
export function openApiDocument(): Json {
  cached ??= build();
  return cached.json;
}

function build(): { json: Json; html: string } {
  const json = registry.document({
    title: 'Parley API',
    version: '0.1.0',
    description: 'Chatbots that act inside a business\'s own systems. Every route but sign-up, log-in and these docs takes `Authorization: Bearer pk_...`. Errors are `{message, code, details}`.',
  });
  return { json, html: renderHtml(json) };
}

/** `GET /openapi.json` and `GET /docs` (a self-contained HTML page: no scripts, no network). */
export function docsRouter(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.get('/docs', (_req, res) => {
    openApiDocument();
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'").type('html').send(cached!.html);
  });
  return router;
}

/** Text for HTML: the five characters that matter as numeric entities. */
export const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `code` spans for backticks, the rest escaped. */
const prose = (s: unknown): string => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

function renderHtml(doc: Json): string {
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags?.[0] as string) ?? 'other';
      const params = (op.parameters as Json[] | undefined) ?? [];
      const body = op.requestBody?.content?.['application/json']?.schema;
      const responses = Object.entries(op.responses as Record<string, Json>)
        .map(([code, r]) => `<li><b>${esc(code)}</b> ${prose(r.description)}</li>`)
        .join('');
      const auth = (op.security as unknown[]).length === 0 ? 'no auth' : op.security[0].codecToken ? 'codec token' : 'bearer';
      const html = `<details id="${esc(op.operationId)}"><summary><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code> — ${prose(op.summary)} <small>(${auth})</small></summary>
${op.description ? `<p>${prose(op.description)}</p>` : ''}
${params.length ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${params.map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : ''}</td><td><code>${esc(JSON.stringify(p.schema))}</code></td></tr>`).join('')}</table>` : ''}
${body ? `<p>Request body (JSON):</p><pre>${esc(JSON.stringify(body, null, 2))}</pre>` : ''}
<p>Responses:</p><ul>${responses}</ul></details>`;
      (byTag.get(tag) ?? byTag.set(tag, []).get(tag)!).push(html);
    }
  }
  const sections = [...byTag.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([tag, ops]) => `<section><h2 id="tag-${esc(tag)}">${esc(tag)}</h2>${ops.join('\n')}</section>`);
  const toc = [...byTag.keys()].sort().map((t) => `<a href="#tag-${esc(t)}">${esc(t)}</a>`).join(' · ');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info.title)}</title><meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}details{border:1px solid #ddd;border-radius:6px;margin:.4em 0;padding:.3em .6em}summary{cursor:pointer}pre{background:#f6f6f6;padding:.6em;overflow:auto;max-height:30em}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top}.m{display:inline-block;min-width:4.5em;font-weight:bold}.get{color:#0a7}.post{color:#06c}.put,.patch{color:#a60}.delete{color:#c22}</style></head>
<body><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1><p>${prose(doc.info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${esc(doc.openapi)}). ${toc}</p>
<h2>Errors</h2><pre>${esc(JSON.stringify(doc.components.schemas.Error, null, 2))}</pre>
${sections.join('\n')}</body></html>`;
}
