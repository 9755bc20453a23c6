import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { parseDestinationList, PUBLIC_ONLY } from '../../core/http/network-policy';
import { createSafeAgents } from './safe-agent';
import { sendRequest, type SendOptions } from './send';

let server: http.Server;
let base: string;
const seen: { url?: string; headers: http.IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/ok':
        res.setHeader('content-type', 'application/json');
        return res.end('{"ok":true}');
      case '/redirect':
        res.writeHead(302, { location: `${base}/ok` });
        return res.end();
      case '/big':
        return res.end('x'.repeat(5000));
      case '/bomb':
        res.writeHead(200, { 'content-encoding': 'gzip' });
        return res.end(zlib.gzipSync(Buffer.alloc(2_000_000)));
      case '/slow': {
        const timer = setTimeout(() => res.end('late'), 2000);
        return void res.on('close', () => clearTimeout(timer));
      }
      case '/drip': {
        // Never idle for long, never finished: only a whole-call deadline stops it.
        res.write(' ');
        const timer = setInterval(() => res.write(' '), 50);
        return void res.on('close', () => clearInterval(timer));
      }
      default:
        res.statusCode = 503;
        return res.end('down');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

// The test servers' loopback, allowlisted as an operator would (every port: the servers listen on port 0).
const agents = createSafeAgents({ policy: () => ({ ...PUBLIC_ONLY, allow: parseDestinationList('127.0.0.1') }), privateRequested: true });
afterAll(() => agents.http.destroy());

function send(path: string, options: Partial<SendOptions> = {}) {
  return sendRequest({ request: { method: 'GET', url: `${base}${path}`, headers: {} }, agents, timeoutMs: 1000, maxResponseBytes: 4096, ...options });
}

describe('sendRequest', () => {
  it('returns a response with its status, headers and body', async () => {
    const result = await send('/ok');
    expect(result).toMatchObject({ kind: 'response', status: 200, body: '{"ok":true}' });
    expect(result.kind === 'response' && result.headers['content-type']).toBe('application/json');
  });
  it('returns 5xx as a response (the caller decides)', async () => expect(await send('/nope')).toMatchObject({ kind: 'response', status: 503 }));
  it('does not follow redirects', async () => {
    const before = seen.length;
    expect(await send('/redirect')).toMatchObject({ kind: 'response', status: 302 });
    expect(seen.length).toBe(before + 1);
  });
  it('fails an oversize response', async () => expect(await send('/big')).toMatchObject({ kind: 'failure', code: 'too_large' }));
  it('caps a compressed response by its decompressed size', async () => expect(await send('/bomb')).toMatchObject({ kind: 'failure', code: 'too_large' }));
  it('times out a slow answer', async () => expect(await send('/slow', { timeoutMs: 200 })).toMatchObject({ kind: 'failure', code: 'timeout' }));
  it('times out a response that drips forever (wall-clock deadline)', async () => {
    const result = await send('/drip', { timeoutMs: 400, maxResponseBytes: 1_000_000 });
    expect(result).toMatchObject({ kind: 'failure', code: 'timeout' });
    expect(result.durationMs).toBeLessThan(1500);
  });
  it('reports a refused connection', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await sendRequest({ request: { method: 'GET', url: `http://127.0.0.1:${port}/`, headers: {} }, agents, timeoutMs: 1000, maxResponseBytes: 100 });
    expect(result).toMatchObject({ kind: 'failure', code: 'refused' });
  });
  it('reports an unknown host as dns', async () => expect(await send('', { request: { method: 'GET', url: 'http://no-such-host.invalid/', headers: {} } })).toMatchObject({ kind: 'failure', code: 'dns' }));
  it('reports cancellation', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect(await send('/slow', { signal: controller.signal })).toMatchObject({ kind: 'failure', code: 'cancelled' });
  });
  it('ignores proxy settings from the environment', async () => {
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = 'http://127.0.0.1:1';
    try {
      expect(await send('/ok')).toMatchObject({ kind: 'response', status: 200 });
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
    }
  });
});

describe('sendRequest: refused before connecting', () => {
  const publicOnly = createSafeAgents({ policy: () => PUBLIC_ONLY, privateRequested: false });
  const refuse = (url: string) => sendRequest({ request: { method: 'GET', url, headers: {} }, agents: publicOnly, timeoutMs: 1000, maxResponseBytes: 100 });
  it.each(['http://127.0.0.1/', 'https://127.0.0.1/', 'https://2130706433/', 'https://0x7f000001/', 'https://0177.0.0.1/', 'https://[::1]/', 'https://[::ffff:127.0.0.1]/', 'https://169.254.169.254/'])('%s', async (url) => {
    expect(await refuse(url)).toMatchObject({ kind: 'failure', code: 'blocked_address' });
  });
  it('refuses a public host on a port other than 443', async () => expect(await refuse('https://api.example.com:6379/')).toMatchObject({ kind: 'failure', code: 'blocked_address', message: expect.stringContaining('not 6379') }));
  it('refuses plain http to a public host without the allowance', async () => expect(await refuse('http://example.com/')).toMatchObject({ kind: 'failure', code: 'blocked_address' }));
  it('refuses a name that resolves to loopback, at connect time', async () => {
    const before = seen.length;
    const result = await sendRequest({ request: { method: 'GET', url: `https://localhost:${new URL(base).port}/ok`, headers: {} }, agents: publicOnly, timeoutMs: 1000, maxResponseBytes: 100 });
    expect(result).toMatchObject({ kind: 'failure', code: 'blocked_address' });
    expect(seen.length).toBe(before);
  });
});
