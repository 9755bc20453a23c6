/**
 * The agent inbox page (`GET /inbox`, issue 20 item 5) in a real headless Chromium (Debian's `chromium`,
 * driven by playwright-core, as test/integration/widget-browser.test.ts) against the real stack: an
 * admin's API key invites an agent, the agent accepts the invite on the page (and stays signed in across a
 * reload), goes online and away, and works conversations a visitor handed off: the queue with its SLA
 * clocks, claim, transcript, reply, internal note, a visitor message arriving without a reload (the page
 * reads the event stream with fetch), release; then a handoff assigned to the online agent at once, a
 * breached clock in red, an admin's view of it under "Assigned to others", close, sign out and sign in.
 * Every step happens under the page's Content-Security-Policy, with no console error and no refused request.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { eventually, publishedFlowBot, signUp, startStack, type Http, type Stack } from '../harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`the inbox page test needs Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium)`);
if (!available) console.warn(`inbox-browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
const describeBrowser = available ? describe : describe.skip;

const FLOWS = {
  flows: [
    {
      id: 'human',
      name: 'Talk to a person',
      trigger: { keywords: ['human'] },
      startBlockId: 'handoff',
      blocks: [{ id: 'handoff', type: 'handoff', text: 'Connecting you to a colleague.', reason: 'visitor asked' }],
    },
  ],
};

const PASSWORD = 'a long agent password';

let stack: Stack;
let api: Http;
let botId: string;
let browser: Browser;

/** A fresh browser context and page that records every console error, page error and refused request. */
async function openPage(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.request().method()} ${response.url()}`);
  });
  return { context, page, problems };
}

/** A visitor (API channel) starts a conversation with `text`; returns its id. */
async function visitorSays(text: string, conversationId?: string): Promise<string> {
  if (conversationId) {
    const sent = await api.post(`/v1/conversations/${conversationId}/messages`, { message: { type: 'text', text } });
    expect(sent.status).toBeLessThan(300);
    return conversationId;
  }
  const started = await api.post('/v1/conversations', { botId, externalUserId: `visitor-${Date.now()}`, message: { type: 'text', text } });
  expect(started.status).toBe(201);
  return started.body.conversation.id as string;
}

describeBrowser('the agent inbox page in Chromium', () => {
  beforeAll(async () => {
    stack = await startStack();
    ({ api } = await signUp(stack.baseUrl));
    botId = await publishedFlowBot(api, FLOWS, { name: 'Front desk' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-extensions', '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('is served with a strict Content-Security-Policy, its script and style from the same origin', async () => {
    const page = await fetch(`${stack.baseUrl}/inbox`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp.split(';').map((d) => d.trim())).toEqual(expect.arrayContaining(["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"]));
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    // No inline script or style: every <script> has a src, and there is no <style> or style attribute.
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script src="/inbox/inbox.js" defer>']);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    expect(html).toContain('<link rel="stylesheet" href="/inbox/inbox.css">');

    const script = await fetch(`${stack.baseUrl}/inbox/inbox.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(await script.text()).toContain('/v1/agent-auth/login');
    const style = await fetch(`${stack.baseUrl}/inbox/inbox.css`);
    expect(style.status).toBe(200);
    expect(style.headers.get('content-type')).toMatch(/^text\/css/);
    expect((await fetch(`${stack.baseUrl}/inbox/other.js`)).status).toBe(404);
    expect((await fetch(`${stack.baseUrl}/inbox`, { method: 'POST' })).status).toBe(405);
  });

  it('shows the sign-in form, and a wrong password as an inline error', async () => {
    const { context, page, problems } = await openPage();
    try {
      await page.goto(`${stack.baseUrl}/inbox`);
      expect(await page.title()).toBe('Parley inbox');
      await page.getByLabel('Email').waitFor();
      expect(await page.locator('#login').isVisible()).toBe(true);
      expect(await page.locator('#app').isVisible()).toBe(false);
      // Labelled fields, focus on the first one.
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('login-email');
      await page.getByLabel('Email').fill('nobody@example.com');
      await page.getByLabel('Password', { exact: true }).fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const error = page.locator('#login-form p.error');
      await error.waitFor({ state: 'visible' });
      expect((await error.textContent())?.length).toBeGreaterThan(0);
      expect(await page.locator('#app').isVisible()).toBe(false);
      // The refused sign-in is the one failed request; nothing else went wrong.
      expect(problems.filter((p) => !/401 POST .*\/v1\/agent-auth\/login$/.test(p) && !/Failed to load resource: .* 401/.test(p))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('lets an invited agent sign up, claim, reply, note, see new messages live, release, close and sign out', async () => {
    // SLA targets for the bot's handoffs, so the queue shows clocks.
    const handoff = await api.put(`/v1/bots/${botId}/handoff`, { sla: { firstResponseMinutes: 30, resolutionMinutes: 240 } });
    expect(handoff.status).toBe(200);

    const invited = await api.post('/v1/agents', { name: 'Ada Lovelace', email: `ada+${Date.now()}@example.com` });
    expect(invited.status).toBe(201);
    const agentId = invited.body.agent.id as string;
    const inviteUrl = invited.body.invite.url as string;
    expect(inviteUrl).toBe(`${stack.baseUrl}/inbox#invite=${invited.body.invite.token}`);

    const { context, page, problems } = await openPage();
    try {
      // Accept the invite: choose a password, and be signed in.
      await page.goto(inviteUrl);
      await page.getByLabel('New password').fill(PASSWORD);
      await page.getByLabel('Repeat the password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Set password and sign in' }).click();
      await page.locator('#app').waitFor({ state: 'visible' });
      expect(await page.locator('#me-name').textContent()).toBe('Ada Lovelace');
      expect(new URL(page.url()).hash).toBe(''); // the spent invite leaves the address bar
      // The refresh token is kept for this tab only; the access token never reaches storage.
      const stored = (await page.evaluate('JSON.stringify([Object.values(sessionStorage), Object.keys(localStorage)])')) as string;
      const [session, local] = JSON.parse(stored) as [string[], string[]];
      expect(session).toEqual([expect.stringMatching(/^rt_/)]);
      expect(local).toEqual([]);
      // A reload keeps the session: the page trades the stored refresh token for a new one.
      await page.reload();
      await page.locator('#app').waitFor({ state: 'visible' });
      expect(await page.locator('#me-name').textContent()).toBe('Ada Lovelace');
      const rotated = JSON.parse((await page.evaluate('JSON.stringify(Object.values(sessionStorage))')) as string) as string[];
      expect(rotated).toEqual([expect.stringMatching(/^rt_/)]);
      expect(rotated[0]).not.toBe(session[0]);

      // Online, then away (so that the next handoff waits in the queue for a claim).
      await page.getByLabel('Availability').selectOption('online');
      await eventually(async () => (await api.get(`/v1/agents/${agentId}`)).body.agent.availability === 'online', 10_000, 'agent online');
      await page.getByLabel('Availability').selectOption('away');
      await eventually(async () => (await api.get(`/v1/agents/${agentId}`)).body.agent.availability === 'away', 10_000, 'agent away');
      expect((await api.get(`/v1/agents/${agentId}`)).body.agent.lastSeenAt).not.toBeNull(); // the heartbeat

      // A visitor asks for a person: the conversation appears in the queue (no reload), with its SLA clocks.
      const conversationId = await visitorSays('I want a human please');
      const waiting = page.locator(`#waiting li[data-conversation="${conversationId}"]`);
      await waiting.waitFor({ timeout: 20_000 });
      expect(await waiting.textContent()).toMatch(/Waiting \d+:\d\d/);
      expect(await page.title()).toBe('(1) Parley inbox');
      const firstResponse = waiting.locator('.clock[data-target="firstResponse"] .clock-value');
      await expect(firstResponse.textContent()).resolves.toMatch(/^(29|30):\d\d left$/);
      expect(await waiting.locator('.clock[data-target="resolution"]').count()).toBe(1);

      // Claim: it moves to "Mine" and opens, with the transcript so far.
      await waiting.getByRole('button', { name: /^Claim/ }).click();
      await page.locator(`#mine li[data-conversation="${conversationId}"]`).waitFor({ timeout: 20_000 });
      await page.locator('#transcript .msg.visitor', { hasText: 'I want a human please' }).waitFor();
      await page.locator('#transcript .msg.bot', { hasText: 'Connecting you to a colleague.' }).waitFor();
      expect(await page.locator('#conversation-title').textContent()).toBe(`Conversation ${conversationId}`);
      expect((await api.get(`/v1/conversations/${conversationId}`)).body.conversation).toMatchObject({ status: 'handoff' });

      // Reply: the visitor gets it, recorded as this agent's.
      await page.getByLabel('Message').fill('Hello, Ada here. How can I help?');
      await page.getByRole('button', { name: 'Send reply' }).click();
      await page.locator('#transcript .msg.agent', { hasText: 'Hello, Ada here. How can I help?' }).waitFor();
      await eventually(async () => (await page.getByLabel('Message').inputValue()) === '', 10_000, 'the composer emptied once the reply was sent');
      const visible = (await api.get(`/v1/conversations/${conversationId}/messages`)).body.data as Array<{ role: string; text: string; agentId?: string }>;
      expect(visible.at(-1)).toMatchObject({ role: 'agent', text: 'Hello, Ada here. How can I help?', agentId });

      // An internal note: shown apart in the page, never in the visitor's transcript.
      await page.getByLabel('Message').fill('Regular customer, check the March order.');
      await page.getByRole('button', { name: 'Add internal note' }).click();
      const note = page.locator('#transcript .msg.note', { hasText: 'Regular customer, check the March order.' });
      await note.waitFor();
      expect(await note.locator('.who').textContent()).toMatch(/^ ?Internal note/);
      const visitorView = (await api.get(`/v1/conversations/${conversationId}/messages`)).body.data as Array<{ text: string }>;
      expect(visitorView.map((m) => m.text)).not.toContain('Regular customer, check the March order.');

      // The visitor writes again: it appears without a reload, from the event stream.
      await visitorSays('Yes, about my order from March', conversationId);
      await page.locator('#transcript .msg.visitor', { hasText: 'Yes, about my order from March' }).waitFor({ timeout: 15_000 });
      expect(await page.locator('#transcript .msg.visitor').count()).toBe(2);
      expect(await page.locator('#transcript .msg.note').count()).toBe(1);

      // Release to the bot: it leaves the queue; the bot answers the visitor again.
      await page.getByRole('button', { name: 'Release to bot' }).click();
      await page.locator('#conversation-meta', { hasText: 'Released to the bot.' }).waitFor();
      expect(await page.getByLabel('Message').isDisabled()).toBe(true);
      await eventually(async () => (await page.locator(`#mine li[data-conversation="${conversationId}"]`).count()) === 0, 15_000, 'released conversation leaves the queue');
      expect((await api.get(`/v1/conversations/${conversationId}`)).body.conversation.status).toBe('active');
      const botAgain = await api.post(`/v1/conversations/${conversationId}/messages`, { message: { type: 'text', text: 'thanks!' } });
      expect(botAgain.body.replies.length).toBeGreaterThan(0);

      // Online: the next handoff is assigned to this agent at once and shows under "Mine" without a reload.
      await page.getByLabel('Availability').selectOption('online');
      await eventually(async () => (await api.get(`/v1/agents/${agentId}`)).body.agent.availability === 'online', 10_000, 'agent online again');
      const second = await visitorSays('human, please, about a refund');
      const mine = page.locator(`#mine li[data-conversation="${second}"]`);
      await mine.waitFor({ timeout: 20_000 });
      expect(await mine.textContent()).toContain('Assigned to you');
      await mine.getByRole('button', { name: /^Open/ }).click();
      await page.locator('#transcript .msg.visitor', { hasText: 'human, please, about a refund' }).waitFor();

      // An SLA clock past its due time turns red (the page's clock moved five hours ahead, past the 4-hour resolution target).
      await page.clock.setFixedTime(Date.now() + 5 * 3600_000);
      const resolution = mine.locator('.clock[data-target="resolution"]');
      await eventually(async () => (await resolution.getAttribute('class'))?.includes('breached'), 5_000, 'resolution clock breached');
      expect(await resolution.locator('.clock-value').textContent()).toMatch(/^breached \d+:\d\d:\d\d ago$/);
      expect(await resolution.evaluate((node) => (globalThis as any).getComputedStyle(node).color)).toBe('rgb(185, 28, 28)');

      // An admin agent sees it under "Assigned to others"; Ada, an agent, has no such list.
      expect(await page.locator('#others-block').isVisible()).toBe(false);
      const admin = await api.post('/v1/agents', { name: 'Grace Hopper', email: `grace+${Date.now()}@example.com`, role: 'admin' });
      expect(admin.status).toBe(201);
      const adminPage = await openPage();
      try {
        await adminPage.page.goto(admin.body.invite.url);
        await adminPage.page.getByLabel('New password').fill(PASSWORD);
        await adminPage.page.getByLabel('Repeat the password').fill(PASSWORD);
        await adminPage.page.getByRole('button', { name: 'Set password and sign in' }).click();
        const others = adminPage.page.locator(`#others li[data-conversation="${second}"]`);
        await others.waitFor({ timeout: 20_000 });
        expect(await others.textContent()).toContain('Assigned to Ada Lovelace');
        expect(adminPage.problems).toEqual([]);
      } finally {
        await adminPage.context.close();
      }

      // Close: the conversation ends for the visitor too.
      await page.getByRole('button', { name: 'Close', exact: true }).click();
      await page.locator('#conversation-meta', { hasText: 'Closed.' }).waitFor();
      await eventually(async () => (await page.locator(`#mine li[data-conversation="${second}"]`).count()) === 0, 15_000, 'closed conversation leaves the queue');
      expect((await api.get(`/v1/conversations/${second}`)).body.conversation.status).toBe('closed');

      // Sign out (the session ends on the server), then sign in with the password chosen at the invite.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.locator('#login').waitFor({ state: 'visible' });
      expect(await page.evaluate('sessionStorage.length')).toBe(0);
      await page.getByLabel('Email').fill(invited.body.agent.email);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#app').waitFor({ state: 'visible' });
      expect(await page.locator('#me-name').textContent()).toBe('Ada Lovelace');

      expect(problems.filter((p) => /Content Security Policy|Refused/i.test(p))).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
