/**
 * Save-time judgement of a URL a tenant configures (a connection's base URL, a webhook, an AI provider):
 * the same policy the worker enforces at every connect (core/http/network-policy.ts), applied early so
 * the tenant hears why now rather than from a failed call later. The worker still judges every address
 * it resolves at connect time: DNS can change after this check.
 */
import dns from 'node:dns';
import { judgeDestination, judgeUrl, namesHost, urlPort, type NetworkPolicy } from '../core/http/network-policy';

/** How long a save waits for a name to resolve; a name that does not resolve now is judged by the worker later. */
const RESOLVE_TIMEOUT_MS = 2000;

export interface UrlIssue {
  field: string;
  message: string;
}

async function resolveAll(host: string): Promise<string[]> {
  const lookup = dns.promises.lookup(host, { all: true }).then((rows) => rows.map((r) => r.address));
  const timeout = new Promise<string[]>((resolve) => setTimeout(() => resolve([]), RESOLVE_TIMEOUT_MS).unref());
  return Promise.race([lookup.catch(() => []), timeout]);
}

/**
 * Pushes an issue for `url` when the policy refuses it: its scheme, port or literal host, and, for a
 * name, any address it resolves to now. `privateRequested` is the tenant's `allowPrivateNetwork`.
 */
export async function checkOutboundUrl(policy: NetworkPolicy, url: URL, privateRequested: boolean, field: string, issues: UrlIssue[]): Promise<void> {
  const early = judgeUrl(policy, url, privateRequested);
  if (early) {
    if (!early.ok) issues.push({ field, message: refusal(early.message, early.reason) });
    return;
  }
  const scheme = url.protocol === 'http:' ? 'http' : 'https';
  const hostname = url.hostname.toLowerCase();
  for (const address of await resolveAll(hostname)) {
    const verdict = judgeDestination(policy, { address, port: urlPort(url), hostname, scheme, privateRequested });
    if (!verdict.ok) {
      issues.push({ field, message: refusal(`${hostname} resolves to ${verdict.message}`, verdict.reason) });
      return;
    }
  }
}

function refusal(message: string, reason: string): string {
  if (reason === 'private') return `${message}; private networks are reachable only where the deployment allows them, with allowPrivateNetwork`;
  if (reason === 'not_allowlisted') return `${message}: allowPrivateNetwork works only inside the deployment's OUTBOUND_ALLOWLIST`;
  return message;
}

/**
 * What a stored `allowPrivateNetwork` does for this URL, shown with every connection, webhook and AI
 * setting (a value saved before the allowlist existed keeps working only where the allowlist covers it):
 * - `not_requested`: public destinations only;
 * - `public`: the host is a public address, which needs no private-network access;
 * - `allowlisted`: the allowlist covers the URL's host and port;
 * - `not_allowlisted`: the host is an address (or localhost) the allowlist does not cover: calls are refused;
 * - `checked_at_call`: the host is a name; each address it resolves to is judged when it is called.
 */
export type PrivateNetworkAccess = 'not_requested' | 'public' | 'allowlisted' | 'not_allowlisted' | 'checked_at_call';

export function privateNetworkAccess(policy: NetworkPolicy, raw: string, requested: boolean): PrivateNetworkAccess {
  if (!requested) return 'not_requested';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not_allowlisted';
  }
  const verdict = judgeUrl(policy, url, true);
  const host = url.hostname.toLowerCase();
  const port = urlPort(url);
  if (verdict === undefined) return namesHost(policy.allow, host, port) ? 'allowlisted' : 'checked_at_call';
  if (!verdict.ok) return 'not_allowlisted';
  return verdict.via === 'allowlist' ? 'allowlisted' : 'public';
}
