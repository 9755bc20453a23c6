/**
 * Every activity's retry policy is stated (workflows/activity-policies.ts), every workflow takes its
 * options from there, and the README's table says the same.
 */
import fs from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import { createActivities } from '../../activities';
import { SecretBox } from '../../models/secret-box';
import { ACTIVITY_POLICIES, activityOptions, localActivityOptions, retryOf, type StatedPolicy } from '../../workflows/activity-policies';

const ROOT = path.resolve(__dirname, '..', '..');
const policies = Object.entries(ACTIVITY_POLICIES) as [string, StatedPolicy][];

function attemptsText(policy: StatedPolicy): string {
  const { attempts } = policy;
  if ('max' in attempts) return String(attempts.max);
  if ('perEndpoint' in attempts) return `per endpoint, 1–${attempts.perEndpoint.max} (default ${attempts.perEndpoint.default})`;
  return 'unlimited';
}

/** The README row of a policy. */
const row = (name: string, p: StatedPolicy): string =>
  `| \`${name}\` | \`${p.activity}\` | ${p.kind} | ${attemptsText(p)} | ${p.nonRetryable.length > 0 ? p.nonRetryable.map((t) => `\`${t}\``).join(', ') : 'none'} | ${String(p.startToCloseTimeout)} | ${p.why} |`;

describe('activity retry policies', () => {
  it('covers every activity the worker registers', () => {
    const db = mongoose.createConnection();
    const registered = Object.keys(createActivities({ db, secrets: new SecretBox(SecretBox.generateKey('t')) }));
    const stated = new Set(policies.map(([, p]) => p.activity));
    expect(registered.filter((name) => !stated.has(name))).toEqual([]);
    expect([...stated].filter((name) => !registered.includes(name))).toEqual([]);
  });

  it.each(policies)('%s says how many attempts, what is never retried, and its timeouts', (_name, policy) => {
    expect(Array.isArray(policy.nonRetryable)).toBe(true);
    expect(policy.startToCloseTimeout).toBeDefined();
    expect(policy.backoff.initialInterval).toBeDefined();
    expect(policy.why.length).toBeGreaterThan(10);
    const retry = retryOf(policy);
    expect(retry.nonRetryableErrorTypes).toEqual([...policy.nonRetryable]);
    const { attempts } = policy;
    if ('max' in attempts) expect(retry.maximumAttempts).toBe(attempts.max);
    else if ('perEndpoint' in attempts) {
      expect(retry.maximumAttempts).toBe(attempts.perEndpoint.default);
      expect(retryOf(policy, 99).maximumAttempts).toBe(attempts.perEndpoint.max);
      expect(retryOf(policy, 0).maximumAttempts).toBe(1);
    } else {
      expect(retry.maximumAttempts).toBeUndefined();
      expect(attempts.unlimited.length).toBeGreaterThan(30);
    }
  });

  it('gives local activities their retry threshold, and overrides only timeouts and intervals', () => {
    expect(localActivityOptions('saveTurn')).toMatchObject({ startToCloseTimeout: '10s', localRetryThreshold: '10s', retry: { nonRetryableErrorTypes: [] } });
    expect(activityOptions('completeChat', { startToCloseTimeout: 35_000 })).toMatchObject({ startToCloseTimeout: 35_000, heartbeatTimeout: '10s', retry: { maximumAttempts: 4, nonRetryableErrorTypes: ['LlmRejected', 'LlmBlockedAddress', 'LlmKeyUnavailable'] } });
    expect(localActivityOptions('callEndpoint', { attempts: 5, initialInterval: 50 }).retry).toMatchObject({ maximumAttempts: 5, initialInterval: 50 });
  });

  it('lets a call bound all attempts together only where the policy says who sets that bound', () => {
    expect(activityOptions('completeChat', { startToCloseTimeout: 35_000, scheduleToCloseTimeout: 60_000 })).toMatchObject({ startToCloseTimeout: 35_000, scheduleToCloseTimeout: 60_000, retry: { maximumAttempts: 4 } });
    expect(activityOptions('completeChat')).not.toHaveProperty('scheduleToCloseTimeout');
    expect(() => activityOptions('deliverWebhook', { scheduleToCloseTimeout: '1m' })).toThrow(/states no total wait/);
    expect(policies.filter(([, p]) => p.totalWait !== undefined).map(([name]) => name)).toEqual(['completeChat']);
  });

  it('is where every workflow takes its activity options from', () => {
    const dir = path.join(ROOT, 'workflows');
    const literal = /proxy(Local)?Activities<[^>]+>\(\s*\{/;
    const offenders = fs
      .readdirSync(dir)
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
      .filter((file) => literal.test(fs.readFileSync(path.join(dir, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it("matches the README's table", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const missing = policies.map(([name, p]) => row(name, p)).filter((line) => !readme.includes(line));
    expect(missing).toEqual([]);
  });
});

/** Prints the README table (run this file with PRINT_POLICY_TABLE=1 after changing a policy). */
if (process.env.PRINT_POLICY_TABLE) {
  process.stdout.write(['| policy | activity | kind | attempts | never retried | start-to-close | why |', '|---|---|---|---|---|---|---|', ...policies.map(([name, p]) => row(name, p))].join('\n') + '\n');
}
