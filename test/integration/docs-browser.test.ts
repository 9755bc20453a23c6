/**
 * The API reference page (`GET /docs`, issue 23 item 1: Scalar from the installed package) in a real
 * headless Chromium (Debian's `chromium`, driven by playwright-core, as test/integration/inbox-browser.test.ts)
 * against the real stack. Under the page's Content-Security-Policy it loads with no console error, no
 * CSP violation, no failed request and no request to any other origin; its sidebar lists every operation
 * of `/openapi.json`, and every operation shows a request example (curl, with a JSON body where the
 * operation takes one); search finds an operation by its path; and "Test Request" with an API key typed
 * into the page calls this API (not a proxy) and shows its 200.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { signUp, startStack, type Http, type Stack } from '../harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`the docs page test needs Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium)`);
if (!available) console.warn(`docs-browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
const describeBrowser = available ? describe : describe.skip;

type Operation = { method: string; path: string; tag: string; hasBody: boolean };

let stack: Stack;
let api: Http;
let key: string;
let operations: Operation[];
let browser: Browser;

/** Scalar's id for an operation's sidebar entry and its section: `api-1/tag/<tag>/<METHOD><path>`. */
const sectionId = (op: Operation): string => `api-1/tag/${op.tag}/${op.method.toUpperCase()}${op.path}`;

/**
 * A fresh context and page that record every console error or warning, page error, CSP violation (the
 * `securitypolicyviolation` event, installed before any page script runs), failed or refused request, and
 * every request that leaves the page's origin.
 */
async function openDocs(): Promise<{ context: BrowserContext; page: Page; problems: string[]; offOrigin: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  const offOrigin: string[] = [];
  const origin = new URL(stack.baseUrl).origin;
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    if (message.text().startsWith('csp-violation ')) problems.push(message.text());
  });
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol !== 'data:' && url.origin !== origin) offOrigin.push(`${request.method()} ${request.url()}`);
  });
  page.on('requestfailed', (request) => problems.push(`failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.request().method()} ${response.url()}`);
  });
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => console.log(`csp-violation ${e.effectiveDirective} ${e.sourceFile}:${e.lineNumber} ${e.sample}`))",
  });
  await page.goto(`${stack.baseUrl}/docs`);
  await page.getByRole('heading', { name: 'Parley API' }).waitFor();
  return { context, page, problems, offOrigin };
}

describeBrowser('the API reference page (/docs) in Chromium', () => {
  beforeAll(async () => {
    stack = await startStack();
    ({ api, key } = await signUp(stack.baseUrl));
    expect((await api.post('/v1/bots', { name: 'Docs page bot' })).status).toBe(201);
    const document = (await (await fetch(`${stack.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, { tags: string[]; requestBody?: unknown }>> };
    operations = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method, path, tag: op.tags[0]!, hasBody: op.requestBody !== undefined })),
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-extensions', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('loads cleanly, lists every operation of the document, and shows a request example for each', async () => {
    const { context, page, problems, offOrigin } = await openDocs();
    try {
      expect(await page.title()).toBe('Parley API reference');
      expect(await page.getByText('Ask AI').count()).toBe(0); // Scalar's hosted agent is off
      expect(operations.length).toBeGreaterThan(100);

      // The sidebar (every tag open) has one entry per operation, and no other.
      const entries = (await page.evaluate("[...document.querySelectorAll('[data-sidebar-id]')].map((e) => e.getAttribute('data-sidebar-id'))")) as string[];
      const listed = entries.filter((id) => /^api-1\/tag\/[^/]+\/(GET|POST|PUT|PATCH|DELETE)\//.test(id));
      expect(listed.sort()).toEqual(operations.map(sectionId).sort());

      // Sections render as they scroll into view: bring each one in, then wait until every one has its
      // curl example (Scalar generates the body from the schema where the document has no example).
      const ids = operations.map(sectionId);
      await page.evaluate(`(async (all) => {
        for (const id of all) {
          document.getElementById(id)?.scrollIntoView();
          await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 30)));
        }
      })(${JSON.stringify(ids)})`);
      // Each operation's curl example, or null (page script: this file is compiled without the DOM types).
      const examplesIn = `${JSON.stringify(ids)}.map((id) => {
        const section = document.getElementById(id);
        const codes = section ? [...section.querySelectorAll('pre code')].map((c) => c.innerText) : [];
        return codes.find((text) => text.startsWith('curl ')) ?? null;
      })`;
      await page.waitForFunction(`${examplesIn}.every((e) => e !== null)`, undefined, { timeout: 60_000 }).catch(() => undefined);
      const examples = (await page.evaluate(examplesIn)) as (string | null)[];
      const missing = operations.filter((op, i) => {
        const example = examples[i];
        if (!example) return true;
        const url = `${stack.baseUrl}${op.path}`.replace(/\{[^}]+\}/g, '[^ ]+');
        const methodOk = op.method === 'get' ? !/--request (?!GET)/.test(example) : example.includes(`--request ${op.method.toUpperCase()}`);
        return !new RegExp(`^curl '?${url}`).test(example) || !methodOk || (op.hasBody && !example.includes('--data'));
      });
      expect(missing.map(sectionId)).toEqual([]);

      expect(problems).toEqual([]);
      expect(offOrigin).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('finds an operation by its path with search, and goes to it', async () => {
    const { context, page, problems, offOrigin } = await openDocs();
    try {
      await page.getByRole('button', { name: /Open Search/ }).click();
      const query = page.getByRole('combobox', { name: 'Enter search query' });
      await query.waitFor();
      await query.fill('/v1/bots/{id}/publish');
      const first = page.getByRole('option').first();
      await first.getByText('/v1/bots/{id}/publish').waitFor();
      expect(await first.innerText()).toContain('Freeze the settings as the next immutable version');
      await first.click();
      await page.waitForFunction("decodeURIComponent(location.hash) === '#tag/bots/POST/v1/bots/{id}/publish'");
      expect(problems).toEqual([]);
      expect(offOrigin).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('tries GET /v1/bots with the API key typed into the page: the call goes to this API and answers 200', async () => {
    const { context, page, problems, offOrigin } = await openDocs();
    try {
      await page.evaluate("location.hash = '#tag/bots/GET/v1/bots'");
      const section = page.locator('[id="api-1/tag/bots/GET/v1/bots"]');
      await section.getByRole('button', { name: /Test Request/ }).click();
      // The client opens with the document's bearer scheme selected; the key goes into its token field.
      const token = page.locator('input[placeholder="Token"][id^="scalar-client"]');
      await token.fill(key);
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/bots' && r.request().method() === 'GET');
      await page.locator('button[data-addressbar-action="send"]:visible').click();
      const response = await answered;
      expect(response.url().startsWith(`${stack.baseUrl}/v1/bots`)).toBe(true);
      expect(response.status()).toBe(200);
      expect(await response.request().headerValue('authorization')).toBe(`Bearer ${key}`);
      expect(((await response.json()) as { data: { name: string }[] }).data.map((b) => b.name)).toContain('Docs page bot');
      await page.getByText('200 OK').first().waitFor();
      await page.getByText('Docs page bot').first().waitFor();
      expect(problems).toEqual([]);
      expect(offOrigin).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
