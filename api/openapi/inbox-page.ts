import { z } from 'zod';
import type { RouteRegistry } from './registry';

/** The agent inbox page (api/inbox-page/router.ts): a page and its two files, no credentials needed to load them. */
export function registerInboxPage(registry: RouteRegistry): void {
  registry.add(
    {
      method: 'get',
      path: '/inbox',
      operationId: 'getInboxPage',
      summary: 'The agent inbox page (sign in, or accept an invite link `/inbox#invite=<token>`)',
      tag: 'inbox',
      security: 'none',
      success: { contentType: 'text/html', schema: z.string() },
    },
    { method: 'get', path: '/inbox/inbox.js', summary: 'The inbox page\'s script', tag: 'inbox', security: 'none', success: { contentType: 'application/javascript', schema: z.string() } },
    { method: 'get', path: '/inbox/inbox.css', summary: 'The inbox page\'s style sheet', tag: 'inbox', security: 'none', success: { contentType: 'text/css', schema: z.string() } },
  );
}
