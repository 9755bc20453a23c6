/**
 * The embeddable widget and the preview page in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core): a tenant's page on 127.0.0.1 pastes the snippet, and a visitor chats through the
 * widget against the real stack. Checks what a visitor sees: the greeting, replies, choice buttons, icons
 * drawn as inline SVG, the conversation kept across a reload, the end of a conversation closed by the business, a signed identity,
 * replies shown as text (never HTML), the widget refused on a site that is not bound, and the preview page
 * under its Content-Security-Policy.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { eventually, publishedFlowBot, signUp, startStack, type Http, type Stack } from '../harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`the widget test needs Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium)`);
if (!available) console.warn(`widget-browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
const describeBrowser = available ? describe : describe.skip;

const GREETING = 'Hello <b>there</b> <img src=x onerror="window.__xss=1">! Ask me about hours or booking.';

const FLOWS = {
  flows: [
    {
      id: 'hours',
      name: 'Opening hours',
      trigger: { keywords: ['hours'] },
      startBlockId: 'say',
      blocks: [
        { id: 'say', type: 'message', text: 'We are open 9 to 5.', next: 'end' },
        { id: 'end', type: 'end' },
      ],
    },
    {
      id: 'book',
      name: 'Book',
      trigger: { keywords: ['book'] },
      startBlockId: 'day',
      blocks: [
        {
          id: 'day',
          type: 'choice',
          text: 'Which day?',
          variable: 'day',
          options: [
            { label: 'Monday', value: 'monday', next: 'done' },
            { label: 'Tuesday', value: 'tuesday', next: 'done' },
          ],
        },
        { id: 'done', type: 'end', text: 'Booked for {{day}}.' },
      ],
    },
  ],
};

let stack: Stack;
let api: Http;
let botId: string;
let browser: Browser;
const servers: Server[] = [];

/** A tenant's web page on 127.0.0.1 that embeds the snippet (and optionally identifies the visitor). */
async function tenantSite(body: () => string): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url !== '/' && req.url !== '/other') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><head><title>Shop</title></head><body><h1>Our shop</h1>${body()}</body></html>`);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function bind(origin: string, extra: Record<string, unknown> = {}) {
  const res = await api.post('/v1/websites', { botId, name: 'Shop', origins: [origin], ...extra });
  expect(res.status).toBe(201);
  return res.body as { website: { id: string; websiteToken: string }; snippet: string; identitySecret: string };
}

/** The conversation id the widget keeps in this browser's localStorage (a string expression: no DOM types here). */
async function storedConversationId(page: Page): Promise<string> {
  const stored = (await page.evaluate("Object.entries(localStorage).find(([k]) => k.startsWith('parley:'))?.[1] ?? null")) as string | null;
  if (!stored) throw new Error('the widget stored no conversation');
  return (JSON.parse(stored) as { conversationId: string }).conversationId;
}

/** What a test does to an element in the page (there are no DOM types here). */
interface Attributes {
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
}

const texts = (page: Page, selector: string): Promise<string[]> => page.locator(selector).allTextContents();

/** Waits until the widget shows a bot message with exactly `text`. */
async function botSays(page: Page, text: string): Promise<void> {
  await page.locator('.msg.bot', { hasText: text }).first().waitFor({ timeout: 20_000 });
}

async function send(page: Page, text: string): Promise<void> {
  await page.locator('input.input').fill(text);
  await page.locator('input.input').press('Enter');
}

describeBrowser('the chat widget in Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    ({ api } = await signUp(stack.baseUrl));
    botId = await publishedFlowBot(api, FLOWS, { name: 'Shop helper', greeting: GREETING });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-extensions', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await stack?.stop();
  });

  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
    pageErrors.length = 0;
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
    });
    // Every refused request but the browser's own favicon.ico guess.
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) pageErrors.push(`${response.status()} ${response.request().method()} ${response.url()}`);
    });
  });

  afterEach(async () => {
    await context.close();
  });

  it('chats on a bound site: greeting as text, replies, choice buttons, kept across a reload', async () => {
    let snippet = '';
    const site = await tenantSite(() => snippet);
    const bound = await bind(site);
    snippet = bound.snippet;

    await page.goto(site);
    await page.locator('button.launcher').click();
    await botSays(page, 'Ask me about hours or booking.');
    // The greeting's markup is shown as text, never run.
    expect(await texts(page, '.msg.bot')).toEqual([GREETING]);
    expect(await page.locator('[data-parley-widget] img').count()).toBe(0);
    expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
    expect(await page.locator('h2.title').textContent()).toBe('Shop helper');

    await send(page, 'what are your hours?');
    await botSays(page, 'We are open 9 to 5.');

    await send(page, 'I want to book');
    await botSays(page, 'Which day?');
    const buttons = page.locator('button.choice');
    expect(await buttons.allTextContents()).toEqual(['Monday', 'Tuesday']);
    await buttons.filter({ hasText: 'Tuesday' }).click();
    await botSays(page, 'Booked for tuesday.');
    // Choices of an answered question can no longer be clicked.
    expect(await page.locator('button.choice:disabled').count()).toBe(2);

    const transcript = await texts(page, '.msg');
    expect(transcript).toEqual([GREETING, 'what are your hours?', 'We are open 9 to 5.', 'I want to book', expect.stringContaining('Which day?'), 'tuesday', 'Booked for tuesday.']);

    // A reload (or another page of the site) shows the same conversation, from the server.
    const conversationId = await storedConversationId(page);
    await page.goto(`${site}/other`);
    await page.locator('button.launcher').click();
    await botSays(page, 'Booked for tuesday.');
    expect(await texts(page, '.msg')).toEqual(transcript);

    const seen = await api.get(`/v1/conversations/${conversationId}`);
    expect(seen.body.conversation).toMatchObject({ channel: 'widget', websiteId: bound.website.id, messageCount: transcript.length });
    expect(pageErrors).toEqual([]);
  });

  it('draws its icons as inline SVG that paint, with no font glyph, and keeps their labels', async () => {
    let snippet = '';
    const site = await tenantSite(() => snippet);
    snippet = (await bind(site)).snippet;
    await page.goto(site);
    const launcher = page.locator('button.launcher');
    await launcher.waitFor();

    // A glyph needs a font (an emoji shows as an empty box without one): the buttons hold no text at all.
    expect(await launcher.getAttribute('aria-label')).toBe('Open chat');
    expect(await launcher.textContent()).toBe('');
    const chat = launcher.locator('svg.icon-chat');
    expect(await chat.count()).toBe(1);
    expect(await chat.getAttribute('aria-hidden')).toBe('true');
    const box = await chat.boundingBox();
    expect(box?.width).toBeGreaterThan(16);
    expect(box?.height).toBeGreaterThan(16);
    // It paints: the launcher looks different once the drawing is hidden.
    const withIcon = await launcher.screenshot();
    await chat.evaluate((svg: Attributes) => svg.setAttribute('visibility', 'hidden'));
    const withoutIcon = await launcher.screenshot();
    expect(withIcon.equals(withoutIcon)).toBe(false);
    await chat.evaluate((svg: Attributes) => svg.removeAttribute('visibility'));

    // Open: the launcher turns into a cross, and the panel's close button is one too.
    await launcher.click();
    await botSays(page, 'Ask me about hours or booking.');
    expect(await launcher.getAttribute('aria-label')).toBe('Close chat');
    expect(await launcher.locator('svg.icon-close').count()).toBe(1);
    const close = page.getByRole('button', { name: 'Close chat' }).and(page.locator('button.close'));
    expect(await close.textContent()).toBe('');
    const closeBox = await close.locator('svg.icon-close').boundingBox();
    expect(closeBox?.width).toBeGreaterThan(10);
    expect(closeBox?.height).toBeGreaterThan(10);
    await close.click();
    expect(await page.locator('section.panel').isHidden()).toBe(true);
    expect(await launcher.getAttribute('aria-label')).toBe('Open chat');
    expect(await launcher.locator('svg.icon-chat').count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });

  it('shows the end of a conversation the business closed, and starts a new one on request', async () => {
    let snippet = '';
    const site = await tenantSite(() => snippet);
    snippet = (await bind(site)).snippet;
    await page.goto(site);
    await page.locator('button.launcher').click();
    await botSays(page, 'Ask me about hours or booking.');
    const conversationId = await storedConversationId(page);

    expect((await api.post(`/v1/conversations/${conversationId}/close`)).status).toBeLessThan(300);
    // The open widget polls the transcript and notices.
    await page.locator('.notice', { hasText: 'This conversation has ended.' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('input.input').isDisabled()).toBe(true);
    await page.locator('.notice button', { hasText: 'Start a new one' }).click();
    await botSays(page, 'Ask me about hours or booking.');
    expect(await storedConversationId(page)).not.toBe(conversationId);
    await send(page, 'hours');
    await botSays(page, 'We are open 9 to 5.');
  });

  it('identifies the visitor from the token the site\'s server signed', async () => {
    let body = '';
    const site = await tenantSite(() => body);
    const bound = await bind(site, { identity: 'required' });
    const identityToken = await new SignJWT({ email: 'ada@example.com', name: 'Ada' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('customer-1815')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(bound.identitySecret));
    body = `<script>window.parleySettings = { identityToken: ${JSON.stringify(identityToken)} };</script>${bound.snippet}`;
    await page.goto(site);
    await page.locator('button.launcher').click();
    await botSays(page, 'Ask me about hours or booking.');
    const list = await api.get(`/v1/conversations?botId=${botId}&limit=5`);
    const mine = list.body.data.find((c: { websiteId: string | null }) => c.websiteId === bound.website.id);
    expect(mine).toMatchObject({ externalUserId: 'customer-1815', contact: { email: 'ada@example.com', name: 'Ada' } });

    // Without the token, a site that requires identity shows why instead of chatting.
    const other = await browser.newContext();
    const anonymous = await other.newPage();
    body = bound.snippet;
    await anonymous.goto(site);
    await anonymous.locator('button.launcher').click();
    await anonymous.locator('.notice', { hasText: 'signed identity token' }).waitFor({ timeout: 20_000 });
    expect(await anonymous.locator('.msg').count()).toBe(0);
    await other.close();
  });

  it('does not run on a site that is not bound', async () => {
    let snippet = '';
    const bound = await tenantSite(() => snippet);
    snippet = (await bind(bound)).snippet;
    const stranger = await tenantSite(() => snippet); // another origin (port) pasting the same snippet
    const before = (await api.get(`/v1/conversations?botId=${botId}&limit=100`)).body.data.length;
    await page.goto(stranger);
    await page.locator('button.launcher').click();
    await page.locator('.notice').waitFor({ state: 'visible', timeout: 20_000 });
    expect(await page.locator('.msg').count()).toBe(0);
    expect((await api.get(`/v1/conversations?botId=${botId}&limit=100`)).body.data.length).toBe(before);
  });

  it('runs the preview page under its Content-Security-Policy', async () => {
    const link = await api.post(`/v1/bots/${botId}/preview`);
    expect(link.status).toBe(201);
    await page.goto(link.body.url);
    expect(await page.title()).toBe('Preview: Shop helper');
    // The preview opens the chat by itself.
    await botSays(page, 'Ask me about hours or booking.');
    await send(page, 'hours');
    await botSays(page, 'We are open 9 to 5.');
    expect(pageErrors.filter((e) => /Content Security Policy|Refused/i.test(e))).toEqual([]);
    expect(pageErrors).toEqual([]);
    await eventually(async () => (await api.get(`/v1/conversations?botId=${botId}&limit=5`)).body.data.some((c: { channel: string }) => c.channel === 'preview'), 10_000, 'preview conversation listed');
  });
});
