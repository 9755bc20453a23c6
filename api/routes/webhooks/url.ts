/**
 * Checks a webhook URL when it is saved: absolute http(s), no credentials or fragment, https unless the
 * endpoint allows private networks, and, without that allowance, no private, loopback, link-local or
 * metadata address (as an IP literal, `localhost`, or what the name resolves to now). The worker checks
 * every resolved address again at connect time (DNS can change), so this is the early, friendly refusal.
 */
import dns from 'node:dns';
import net from 'node:net';
import { checkAddress } from '../../../core/http/address-policy';
import type { FieldIssue } from '../connections/issues';

async function resolveAll(host: string, timeoutMs: number): Promise<string[] | undefined> {
  const lookup = dns.promises.lookup(host, { all: true }).then((rows) => rows.map((r) => r.address));
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref());
  return Promise.race([lookup.catch(() => undefined), timeout]);
}

/** The normalized URL, with problems pushed to `issues` (field `url`). */
export async function checkWebhookUrl(raw: string, allowPrivateNetwork: boolean, issues: FieldIssue[]): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    issues.push({ field: 'url', message: 'must be an absolute https URL' });
    return raw;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    issues.push({ field: 'url', message: 'must use https' });
    return raw;
  }
  if (url.protocol === 'http:' && !allowPrivateNetwork) issues.push({ field: 'url', message: 'must use https (plain http only with allowPrivateNetwork)' });
  if (url.username || url.password) issues.push({ field: 'url', message: 'must not contain credentials (user:password@)' });
  if (raw.includes('#')) issues.push({ field: 'url', message: 'must not have a fragment' });
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const local = host === 'localhost' || host.endsWith('.localhost');
  // The same policy the worker enforces at connect time (core/http/address-policy.ts).
  const addresses = net.isIP(host) !== 0 ? [host] : local ? ['127.0.0.1'] : allowPrivateNetwork ? [] : await resolveAll(host, 2000);
  // A name that does not resolve now is accepted: the worker vets what it resolves to at delivery.
  const verdicts = (addresses ?? []).map((a) => checkAddress(a, allowPrivateNetwork));
  if (verdicts.some((v) => !v.ok && v.reason === 'metadata')) issues.push({ field: 'url', message: 'must not point at a cloud metadata address' });
  else if (verdicts.some((v) => !v.ok)) issues.push({ field: 'url', message: 'points at a private, loopback or link-local address (set allowPrivateNetwork to allow it)' });
  return url.toString();
}
