/**
 * What a human agent's token may reach (api/access.ts `agentMayReach`), and that agents' access tokens and
 * accounts' login tokens are never taken for each other (api/agent-tokens.ts, api/tokens.ts).
 */
import { agentMayReach } from '../../api/access';
import { createAgentTokenService, parseSecretToken, newInvite, newRefreshToken } from '../../api/agent-tokens';
import { createTokenService } from '../../api/tokens';
import { SecretBox } from '../../models/secret-box';

const CONV = '/v1/conversations/conv_abc123';

describe('agentMayReach', () => {
  const every: Array<[string, string]> = [
    ['GET', '/v1/inbox'],
    ['HEAD', '/v1/inbox'],
    ['GET', '/v1/agents'],
    ['GET', '/v1/agents/me'],
    ['PATCH', '/v1/agents/me'],
    ['POST', '/v1/agents/me/heartbeat'],
    ['POST', '/v1/agent-auth/logout'],
    ['GET', CONV],
    ['GET', `${CONV}/messages`],
    ['GET', `${CONV}/events`],
    ...['agent-messages', 'notes', 'release', 'close', 'claim'].map((a): [string, string] => ['POST', `${CONV}/${a}`]),
    ['GET', '/V1/Inbox/'],
  ];
  const admins: Array<[string, string]> = [
    ['POST', `${CONV}/assign`],
    ['POST', '/v1/agents'],
    ['GET', '/v1/agents/agt_000000000000000000000001'],
    ['PATCH', '/v1/agents/agt_000000000000000000000001'],
    ['POST', '/v1/agents/agt_000000000000000000000001/invite'],
    ['POST', '/v1/agents/agt_000000000000000000000001/deactivate'],
    ['GET', '/v1/sla/status'],
  ];
  const nobody: Array<[string, string]> = [
    ['GET', '/v1/account'],
    ['GET', '/v1/api-keys'],
    ['POST', '/v1/api-keys'],
    ['DELETE', '/v1/api-keys/key_1'],
    ['GET', '/v1/bots'],
    ['PATCH', '/v1/bots/bot_1'],
    ['GET', '/v1/connections'],
    ['GET', '/v1/actions'],
    ['GET', '/v1/knowledge'],
    ['GET', '/v1/webhooks'],
    ['GET', '/v1/websites'],
    ['GET', '/v1/logs'],
    ['GET', '/v1/conversations'],
    ['POST', '/v1/conversations'],
    ['POST', `${CONV}/messages`],
    ['POST', `${CONV}/confirm`],
    ['POST', `${CONV}/handoff`],
    ['DELETE', CONV],
    ['GET', `${CONV}/messages/x`],
    ['PUT', '/v1/inbox/settings'],
    ['GET', '/v1/inbox/settings'],
    ['GET', '/v1/account/status'],
    ['PUT', '/v1/bots/bot_1/handoff'],
    ['DELETE', '/v1/agents/agt_000000000000000000000001'],
    ['PATCH', '/v1/agents'],
  ];

  it.each(every)('every agent: %s %s', (method, path) => {
    expect(agentMayReach('agent', method, path)).toBe(true);
    expect(agentMayReach('admin', method, path)).toBe(true);
  });
  it.each(admins)('admins only: %s %s', (method, path) => {
    expect(agentMayReach('agent', method, path)).toBe(false);
    expect(agentMayReach('admin', method, path)).toBe(true);
  });
  it.each(nobody)('no agent: %s %s', (method, path) => {
    expect(agentMayReach('agent', method, path)).toBe(false);
    expect(agentMayReach('admin', method, path)).toBe(false);
  });
});

describe('agent tokens', () => {
  const config = { PARLEY_SECRET_KEYS: SecretBox.generateKey('t') };
  const agents = createAgentTokenService(config);
  const logins = createTokenService(config);
  const claims = { agentId: `agt_${'0'.repeat(23)}1`, accountId: 'acct_abc', sessionId: `ses_${'0'.repeat(23)}2` };

  it('verifies its own tokens, and refuses login tokens and another key', async () => {
    const { token, expiresAt } = await agents.issue(claims);
    expect(await agents.verify(token)).toEqual(claims);
    expect(expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    expect(await logins.verify(token)).toBeUndefined();
    const login = await logins.issue('acct_abc');
    expect(await agents.verify(login.token)).toBeUndefined();
    const other = createAgentTokenService({ PARLEY_SECRET_KEYS: SecretBox.generateKey('u') });
    expect(await other.verify(token)).toBeUndefined();
  });

  it('refuses an expired token', async () => {
    const { token } = await agents.issue(claims, new Date(Date.now() - 16 * 60_000));
    expect(await agents.verify(token)).toBeUndefined();
  });

  it('reads the record id and the secret of invite and refresh tokens, and nothing else', () => {
    const invite = newInvite(claims.agentId);
    expect(parseSecretToken('inv', invite.token)).toEqual({ id: claims.agentId, hash: invite.hash });
    expect(parseSecretToken('rt', invite.token)).toBeUndefined();
    const refresh = newRefreshToken(claims.sessionId);
    expect(parseSecretToken('rt', refresh.token)).toEqual({ id: claims.sessionId, hash: refresh.hash });
    expect(parseSecretToken('inv', refresh.token)).toBeUndefined();
    for (const bad of ['', 'inv_', `inv_${claims.agentId}`, `inv_${claims.agentId}.short`, `${invite.token}x`, ` ${invite.token}`]) expect(parseSecretToken('inv', bad)).toBeUndefined();
  });
});
