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
 * Long-running operations (issue 21):
 * - `POST /group-bookings` {name, email, date, time, party_size, callback_url} -> 202 {request_id, status:
 *   'pending_approval'}: a group booking needs staff approval, answered LATER by POSTing to `callback_url`
 *   ({status: 'approved', request_id, booking_ref, ...} or {status: 'rejected', request_id, reason}),
 *   retried on network errors and 5xx; `Idempotency-Key` as for POST /bookings
 * - `GET /group-bookings?status=pending_approval` -> {data: [...]} the requests (newest first), for staff;
 *   `GET /group-bookings/:id` -> one request and its status
 * - `POST /group-bookings/:id/approve` -> approves it (staff) and calls back; `POST /group-bookings/:id/reject`
 *   {reason?} rejects it and calls back; 409 when it was already decided. With the `autoApproveAfterMs`
 *   option, a request still pending after that long is approved by itself (`npm run dev`: DEMO_AUTO_APPROVE_MS)
 * - `POST /quotes` {party_size, date} -> 202 {job_id, status: 'running'} with `Location: /quotes/jobs/<id>`;
 *   `Idempotency-Key` honoured
 * - `GET /quotes/jobs/:id` -> {status: 'running'} until the job is ready (after `quoteReadyAfterPolls` polls
 *   and `quoteReadyAfterMs`), then {status: 'done', quote_id, price, currency}; a party over 50 ends as
 *   {status: 'failed', reason}
 * - `DELETE /quotes/jobs/:id` -> cancels the job (its status becomes 'cancelled')
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

export interface GroupBooking {
  request_id: string;
  name: string;
  email: string;
  date: string;
  time: string;
  party_size: number;
  status: 'pending_approval' | 'approved' | 'rejected';
  booking_ref?: string;
  reason?: string;
  createdAt: string;
}

/** A callback the demo API made (or tried): where, what, and how the receiver answered. */
export interface DemoCallback {
  request_id: string;
  url: string;
  body: Record<string, unknown>;
  attempts: number;
  /** The receiver's HTTP status, or undefined when every attempt failed on the network. */
  status?: number;
  error?: string;
}

export interface QuoteJob {
  job_id: string;
  party_size: number;
  date: string;
  status: 'running' | 'done' | 'failed' | 'cancelled';
  polls: number;
  createdAtMs: number;
  quote_id?: string;
  price?: number;
  reason?: string;
}

export interface DemoApiState {
  bookings: Booking[];
  /** Idempotency-Key -> booking id. */
  keys: Map<string, string>;
  /** Every request seen (method, path, idempotency key), for tests. */
  requests: { method: string; path: string; idempotencyKey?: string; authorization?: string }[];
  /** Artificial latency for POST /bookings, in ms (tests use it to kill a worker mid-call). */
  bookingDelayMs: number;
  /** Group bookings waiting for (or given) staff approval, and their Idempotency-Key -> request id. */
  groupBookings: GroupBooking[];
  groupKeys: Map<string, string>;
  /** The callbacks made when a group booking was decided, in order (the URLs are one-time: kept in memory only). */
  callbacks: DemoCallback[];
  /** Quote jobs, and their Idempotency-Key -> job id. */
  quotes: QuoteJob[];
  quoteKeys: Map<string, string>;
  /** A quote job is done once it was polled this many times and is this old (both can be changed by tests). */
  quoteReadyAfterPolls: number;
  quoteReadyAfterMs: number;
  /** Callbacks still being delivered (tests await them). */
  pending: Set<Promise<unknown>>;
}

export interface DemoApiOptions {
  token?: string;
  widgetSnippet?: () => string | undefined;
  /** Approve a group booking still pending after this many ms (the demo runs hands-free); absent or 0: staff only. */
  autoApproveAfterMs?: number;
  /** A quote job is done after this many polls (default 2) ... */
  quoteReadyAfterPolls?: number;
  /** ... and once it is this old (default 0 ms). */
  quoteReadyAfterMs?: number;
  /** Attempts per callback (default 4), the first retry after `callbackRetryMs` (default 500 ms), doubling. */
  callbackAttempts?: number;
  callbackRetryMs?: number;
}

/** Groups above this size are not quoted online: their quote job fails. */
export const MAX_QUOTED_PARTY = 50;
/** The demo price per guest, in EUR. */
const PRICE_PER_GUEST = 35;

const ORDERS: Record<string, { id: string; status: string; total: string; currency: string; billing: { email: string }; date_created: string }> = {
  '1001': { id: '1001', status: 'processing', total: '42.50', currency: 'EUR', billing: { email: 'ada@example.com' }, date_created: '2026-11-18T10:12:00' },
  '1002': { id: '1002', status: 'completed', total: '19.90', currency: 'EUR', billing: { email: 'grace@example.com' }, date_created: '2026-11-02T16:40:00' },
};

export function createDemoApi(options: DemoApiOptions = {}): { app: Express; state: DemoApiState } {
  const state: DemoApiState = {
    bookings: [],
    keys: new Map(),
    requests: [],
    bookingDelayMs: 0,
    groupBookings: [],
    groupKeys: new Map(),
    callbacks: [],
    quotes: [],
    quoteKeys: new Map(),
    quoteReadyAfterPolls: options.quoteReadyAfterPolls ?? 2,
    quoteReadyAfterMs: options.quoteReadyAfterMs ?? 0,
    pending: new Set(),
  };
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

  // Group bookings: staff approve or reject later; the answer goes to the caller's callback URL.
  /** The callback URL of each pending group booking (request id -> URL), outside the readable state. */
  const callbackUrls = new Map<string, string>();
  const groupView = (g: GroupBooking) => ({ ...g });

  app.post('/group-bookings', (req, res) => {
    const key = req.get('idempotency-key');
    const known = key ? state.groupBookings.find((g) => g.request_id === state.groupKeys.get(key)) : undefined;
    if (known) {
      res.status(202).json(groupView(known));
      return;
    }
    const { name, email, date, time, party_size: partySize, callback_url: callbackUrl } = req.body ?? {};
    const problems: string[] = [];
    if (![name, email, time].every((v) => typeof v === 'string' && v.length > 0)) problems.push('name, email and time are required');
    if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) problems.push('date must be YYYY-MM-DD');
    if (!Number.isInteger(partySize) || partySize < 1 || partySize > 500) problems.push('party_size must be a whole number from 1 to 500');
    if (!isHttpUrl(callbackUrl)) problems.push('callback_url must be an http(s) URL');
    if (problems.length > 0) {
      res.status(422).json({ error: problems.join('; ') });
      return;
    }
    const booking: GroupBooking = {
      request_id: `GR-${randomBytes(3).toString('hex').toUpperCase()}`,
      name,
      email,
      date,
      time,
      party_size: partySize,
      status: 'pending_approval',
      createdAt: new Date().toISOString(),
    };
    state.groupBookings.push(booking);
    callbackUrls.set(booking.request_id, callbackUrl);
    if (key) state.groupKeys.set(key, booking.request_id);
    if (options.autoApproveAfterMs && options.autoApproveAfterMs > 0) {
      setTimeout(() => {
        if (booking.status === 'pending_approval') track(decide(booking, { status: 'approved' }));
      }, options.autoApproveAfterMs).unref();
    }
    res.status(202).json(groupView(booking));
  });

  app.get('/group-bookings', (req, res) => {
    const status = req.query.status;
    if (status !== undefined && !['pending_approval', 'approved', 'rejected'].includes(String(status))) {
      res.status(400).json({ error: 'status must be pending_approval, approved or rejected' });
      return;
    }
    res.json({ data: state.groupBookings.filter((g) => status === undefined || g.status === status).reverse().map(groupView) });
  });

  app.get('/group-bookings/:id', (req, res) => {
    const booking = state.groupBookings.find((g) => g.request_id === req.params.id);
    if (!booking) {
      res.status(404).json({ error: 'no such group booking' });
      return;
    }
    res.json(groupView(booking));
  });

  for (const verdict of ['approve', 'reject'] as const) {
    app.post(`/group-bookings/:id/${verdict}`, async (req, res) => {
      const booking = state.groupBookings.find((g) => g.request_id === req.params.id);
      if (!booking) {
        res.status(404).json({ error: 'no such group booking' });
        return;
      }
      if (booking.status !== 'pending_approval') {
        res.status(409).json({ error: `this group booking was already ${booking.status}`, ...groupView(booking) });
        return;
      }
      const reason = typeof req.body?.reason === 'string' && req.body.reason.trim() ? req.body.reason.trim().slice(0, 300) : undefined;
      const delivered = decide(booking, verdict === 'approve' ? { status: 'approved' } : { status: 'rejected', reason });
      track(delivered);
      const callback = await delivered;
      res.json({ ...groupView(booking), callback: { status: callback.status ?? null, attempts: callback.attempts, ...(callback.error ? { error: callback.error } : {}) } });
    });
  }

  /** Decides a pending group booking and calls its callback URL back with the answer. */
  function decide(booking: GroupBooking, verdict: { status: 'approved' } | { status: 'rejected'; reason?: string }): Promise<DemoCallback> {
    let body: Record<string, unknown>;
    if (verdict.status === 'approved') {
      booking.status = 'approved';
      booking.booking_ref = `GB-${randomBytes(3).toString('hex').toUpperCase()}`;
      body = { status: 'approved', request_id: booking.request_id, booking_ref: booking.booking_ref, date: booking.date, time: booking.time, party_size: booking.party_size };
    } else {
      booking.status = 'rejected';
      booking.reason = verdict.reason ?? `we cannot seat a group of ${booking.party_size} on ${booking.date} at ${booking.time}`;
      body = { status: 'rejected', request_id: booking.request_id, reason: booking.reason };
    }
    const url = callbackUrls.get(booking.request_id)!;
    callbackUrls.delete(booking.request_id);
    const record: DemoCallback = { request_id: booking.request_id, url, body, attempts: 0 };
    state.callbacks.push(record);
    return deliver(record);
  }

  /** POSTs a callback, again after a network error or a 5xx (a few times, backing off); the record says how it went. */
  async function deliver(record: DemoCallback): Promise<DemoCallback> {
    const attempts = options.callbackAttempts ?? 4;
    let wait = options.callbackRetryMs ?? 500;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      record.attempts = attempt;
      try {
        const answer = await fetch(record.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(record.body), signal: AbortSignal.timeout(10_000) });
        await answer.body?.cancel();
        record.status = answer.status;
        record.error = undefined;
        if (answer.status < 500) return record;
      } catch (error) {
        record.status = undefined;
        record.error = error instanceof Error ? error.message : String(error);
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, wait));
      wait *= 2;
    }
    return record;
  }

  function track(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => state.pending.delete(tracked));
    state.pending.add(tracked);
  }

  // Quotes: a back-office job the caller polls at its Location.
  app.post('/quotes', (req, res) => {
    const key = req.get('idempotency-key');
    const known = key ? state.quotes.find((q) => q.job_id === state.quoteKeys.get(key)) : undefined;
    if (known) {
      res.status(202).location(`/quotes/jobs/${known.job_id}`).json({ job_id: known.job_id, status: known.status });
      return;
    }
    const { party_size: partySize, date } = req.body ?? {};
    if (!Number.isInteger(partySize) || partySize < 1 || partySize > 500 || typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      res.status(422).json({ error: 'party_size (a whole number from 1 to 500) and date (YYYY-MM-DD) are required' });
      return;
    }
    const job: QuoteJob = { job_id: `QJ-${randomBytes(4).toString('hex')}`, party_size: partySize, date, status: 'running', polls: 0, createdAtMs: Date.now() };
    state.quotes.push(job);
    if (key) state.quoteKeys.set(key, job.job_id);
    res.status(202).location(`/quotes/jobs/${job.job_id}`).json({ job_id: job.job_id, status: job.status });
  });

  app.get('/quotes/jobs/:id', (req, res) => {
    const job = state.quotes.find((q) => q.job_id === req.params.id);
    if (!job) {
      res.status(404).json({ error: 'no such quote job' });
      return;
    }
    job.polls++;
    if (job.status === 'running' && job.polls >= state.quoteReadyAfterPolls && Date.now() - job.createdAtMs >= state.quoteReadyAfterMs) {
      if (job.party_size > MAX_QUOTED_PARTY) {
        job.status = 'failed';
        job.reason = `groups over ${MAX_QUOTED_PARTY} are quoted by phone`;
      } else {
        job.status = 'done';
        job.quote_id = `Q-${randomBytes(3).toString('hex').toUpperCase()}`;
        job.price = job.party_size * PRICE_PER_GUEST;
      }
    }
    res.json(quoteView(job));
  });

  app.delete('/quotes/jobs/:id', (req, res) => {
    const job = state.quotes.find((q) => q.job_id === req.params.id);
    if (!job) {
      res.status(404).json({ error: 'no such quote job' });
      return;
    }
    if (job.status === 'running') job.status = 'cancelled';
    res.json(quoteView(job));
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

function quoteView(job: QuoteJob): Record<string, unknown> {
  const base = { job_id: job.job_id, status: job.status, party_size: job.party_size, date: job.date };
  if (job.status === 'done') return { ...base, quote_id: job.quote_id, price: job.price, currency: 'EUR' };
  if (job.status === 'failed') return { ...base, reason: job.reason };
  return base;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 2000) return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
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
