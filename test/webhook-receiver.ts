/** A webhook receiver on 127.0.0.1 for tests: records every request, answers per path from a script. */
import http from 'node:http';
import { listenTenantUrl } from './tenant-ports';

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export type Answer = { status: number; body?: string; headers?: Record<string, string> };

export interface Receiver {
  baseUrl: string;
  received: Received[];
  at(path: string): Received[];
  /** Answers for `path`, used in order; the last one repeats. Default 200. */
  script(path: string, ...answers: Answer[]): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const scripts = new Map<string, Answer[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      received.push({ path, headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const queue = scripts.get(path);
      const answer = queue && queue.length > 1 ? queue.shift()! : (queue?.[0] ?? { status: 200, body: '{"ok":true}' });
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body ?? '');
    });
  });
  const baseUrl = await listenTenantUrl(server);
  return {
    baseUrl,
    received,
    at: (path) => received.filter((r) => r.path === path),
    script: (path, ...answers) => scripts.set(path, answers),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
