/**
 * A small demo booking API: the "tenant's business system" that `npm run dev` starts on port 4010 and
 * the demo bot books through, and that the integration tests use as a real HTTP server on 127.0.0.1.
 *
 * - `GET /availability?date=YYYY-MM-DD` -> open slots that day
 * - `POST /bookings` {name, email, date, time} -> 201 booking; the same `Idempotency-Key` again returns
 *   the first booking (200) instead of making a second one
 * - `GET /orders/:id` -> an order with its billing email (for email-verified order status)
 * - `POST /auth/token` {username, password} -> a session token; `GET /me` with `X-Session: <token>`
 *   (for "log in, then a protected call" chains)
 *
 * - `GET /` -> a demo web site that embeds the Parley chat widget (only with the `widgetSnippet` option)
 *
 * Auth: `Authorization: Bearer <token>` when a token is configured (except /auth/token, /me and the web site).
 */
import express, { type Express } from 'express';
import { randomBytes } from 'node:crypto';

export interface Booking {
  id: string;
  name: string;
  email: string;
  date: string;
  time: string;
  status: 'confirmed';
  createdAt: string;
}

export interface DemoApiState {
  bookings: Booking[];
  /** Idempotency-Key -> booking id. */
  keys: Map<string, string>;
  /** Every request seen (method, path, idempotency key), for tests. */
  requests: { method: string; path: string; idempotencyKey?: string; authorization?: string }[];
  /** Artificial latency for POST /bookings, in ms (tests use it to kill a worker mid-call). */
  bookingDelayMs: number;
}

const ORDERS: Record<string, { id: string; status: string; total: string; currency: string; billing: { email: string }; date_created: string }> = {
  '1001': { id: '1001', status: 'processing', total: '42.50', currency: 'EUR', billing: { email: 'ada@example.com' }, date_created: '2026-11-18T10:12:00' },
  '1002': { id: '1002', status: 'completed', total: '19.90', currency: 'EUR', billing: { email: 'grace@example.com' }, date_created: '2026-11-02T16:40:00' },
};

export function createDemoApi(options: { token?: string; widgetSnippet?: () => string | undefined } = {}): { app: Express; state: DemoApiState } {
  const state: DemoApiState = { bookings: [], keys: new Map(), requests: [], bookingDelayMs: 0 };
  const app = express();
  app.use(express.json({ limit: '16kb' }));
  // The business's own web site, with the chat widget pasted in (what a tenant does with the snippet);
  // only for `npm run dev` (tests' Test Connection expects `/` to want the token like the rest).
  const { widgetSnippet } = options;
  if (widgetSnippet) {
    app.get('/', (_req, res) => {
      res.type('html').send(shopPage(widgetSnippet()));
    });
  }
  app.use((req, res, next) => {
    state.requests.push({ method: req.method, path: req.path, idempotencyKey: req.get('idempotency-key'), authorization: req.get('authorization') });
    const sessionRoute = req.path === '/auth/token' || req.path === '/me';
    if (options.token && !sessionRoute && req.get('authorization') !== `Bearer ${options.token}`) {
      res.status(401).json({ error: 'unauthorized' });
      return;
    }
    next();
  });

  app.get('/availability', (req, res) => {
    const date = String(req.query.date ?? '');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      res.status(400).json({ error: 'date must be YYYY-MM-DD' });
      return;
    }
    const taken = new Set(state.bookings.filter((b) => b.date === date).map((b) => b.time));
    const slots = ['09:00', '10:00', '11:00', '14:00', '15:00', '16:00'].filter((t) => !taken.has(t));
    res.json({ date, slots, first_slot: slots[0] ?? null, available: slots.length > 0 });
  });

  app.post('/bookings', async (req, res) => {
    const key = req.get('idempotency-key');
    const known = key ? state.keys.get(key) : undefined;
    if (known) {
      res.status(200).json(state.bookings.find((b) => b.id === known));
      return;
    }
    const { name, email, date, time } = req.body ?? {};
    if (![name, email, date, time].every((v) => typeof v === 'string' && v.length > 0)) {
      res.status(422).json({ error: 'name, email, date and time are required' });
      return;
    }
    if (state.bookingDelayMs > 0) await new Promise((r) => setTimeout(r, state.bookingDelayMs));
    // Checked again after the delay: a retry with the same key may have landed meanwhile.
    const raced = key ? state.keys.get(key) : undefined;
    if (raced) {
      res.status(200).json(state.bookings.find((b) => b.id === raced));
      return;
    }
    const booking: Booking = { id: `BK-${randomBytes(3).toString('hex').toUpperCase()}`, name, email, date, time, status: 'confirmed', createdAt: new Date().toISOString() };
    state.bookings.push(booking);
    if (key) state.keys.set(key, booking.id);
    res.status(201).json(booking);
  });

  app.delete('/bookings/:id', (req, res) => {
    const index = state.bookings.findIndex((b) => b.id === req.params.id);
    if (index < 0) {
      res.status(404).json({ error: 'no such booking' });
      return;
    }
    state.bookings.splice(index, 1);
    res.status(204).end();
  });

  const sessions = new Map<string, string>();
  app.post('/auth/token', (req, res) => {
    const { username, password } = req.body ?? {};
    if (username !== 'demo' || password !== 'demo-password') {
      res.status(401).json({ error: 'bad credentials' });
      return;
    }
    const token = `sess_${randomBytes(12).toString('hex')}`;
    sessions.set(token, username);
    res.json({ access_token: token, token_type: 'session', expires_in: 3600 });
  });

  app.get('/me', (req, res) => {
    const user = sessions.get(req.get('x-session') ?? '');
    if (!user) {
      res.status(401).json({ error: 'no session' });
      return;
    }
    res.json({ username: user, plan: 'pro' });
  });

  app.get('/orders/:id', (req, res) => {
    const order = ORDERS[req.params.id];
    if (!order) {
      res.status(404).json({ error: 'no such order' });
      return;
    }
    res.json(order);
  });

  return { app, state };
}

/** The demo business's home page; `snippet` is Parley's widget tag (its website token is public by design). */
function shopPage(snippet: string | undefined): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Harbour &amp; Co. (Parley demo)</title>
<style>body{margin:0;font:16px/1.6 system-ui,sans-serif;color:#1f2937}header{background:#0f766e;color:#fff;padding:2rem 1.5rem}main{max-width:42rem;margin:2rem auto;padding:0 1.5rem}code{background:#f3f4f6;padding:0 .3rem}</style>
</head>
<body>
<header><h1>Harbour &amp; Co.</h1><p>Appointments at our studio, and an online shop.</p></header>
<main>
<p>This is the demo business's web site. The chat button in the corner is Parley's widget, pasted in with one
<code>&lt;script&gt;</code> tag; the bot books through this server's demo booking API.</p>
<p>Try: <em>"I'd like to book an appointment"</em>, <em>"order status"</em>, or <em>"human"</em>.</p>
${snippet ?? '<p><strong>The widget is not set up yet</strong>: npm run dev seeds it once the API is up; reload in a moment.</p>'}
</main>
</body>
</html>
`;
}
