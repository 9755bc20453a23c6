/**
 * Checks a webhook URL when it is saved: absolute http(s), no credentials or fragment, and the
 * deployment's network policy (api/outbound.ts): public https on the public ports, anything else only
 * inside the operator's allowlist, private addresses only when the endpoint asks (`allowPrivateNetwork`).
 * The worker checks every resolved address again at connect time (DNS can change), so this is the early,
 * friendly refusal.
 */
import type { NetworkPolicy } from '../../../core/http/network-policy';
import { checkOutboundUrl } from '../../outbound';
import type { FieldIssue } from '../connections/issues';

/** The normalized URL, with problems pushed to `issues` (field `url`). */
export async function checkWebhookUrl(policy: NetworkPolicy, raw: string, allowPrivateNetwork: boolean, issues: FieldIssue[]): Promise<string> {
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
  if (url.username || url.password) issues.push({ field: 'url', message: 'must not contain credentials (user:password@)' });
  if (raw.includes('#')) issues.push({ field: 'url', message: 'must not have a fragment' });
  await checkOutboundUrl(policy, url, allowPrivateNetwork, 'url', issues);
  return url.toString();
}
