import { Router } from 'express';
import { API_PERMISSIONS, CreateAccountBody, CreateApiKeyBody } from '../../models/account.schema';
import type { AccountDoc, ApiKeyDoc } from '../../models/account.model';
import { callerOf, permissionsOf, type Authenticator } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { newId } from '../ids';
import { generateApiKey, hashPassword } from '../passwords';
import { addressLimitKey } from '../client-address';
import { applyLimits, type LimitOutcome, type SharedLimiters } from '../rate-limit';
import { parse } from '../validate';
import { ApiKeyParams, parsePath } from '../path-params';

const accountView = (a: Pick<AccountDoc, '_id' | 'name' | 'email' | 'unlinkedEmail' | 'createdAt'>) => ({
  id: a._id,
  name: a.name,
  email: a.unlinkedEmail ?? a.email,
  createdAt: a.createdAt.toISOString(),
});

const apiKeyView = (k: Pick<ApiKeyDoc, '_id' | 'name' | 'prefix' | 'createdAt' | 'permissions'>) => ({
  id: k._id,
  name: k.name,
  prefix: k.prefix,
  permissions: permissionsOf(k),
  createdAt: k.createdAt.toISOString(),
});

/**
 * `POST /v1/accounts` — open to anyone, rate limited per client address (an IPv6 client by its /64).
 *
 * The answer never tells whether the email already has an account: it is always 201 with a new account
 * and its key, after the same work. When the email is taken, the new account is a separate one whose
 * address is recorded but not linked (`unlinkedEmail`; its login identity stays `unlinked:<id>`): it can
 * never log in with that email, never collides with, sees or changes the existing account, and its
 * creator gets nothing they could not get by signing up with any other address.
 */
export function signupRouter(deps: ApiDeps, limiters: SharedLimiters): Router {
  const router = Router();
  const { Account, ApiKey } = deps;
  // Per client address, counted in the store every API instance shares (like the per-key limits).
  const perAddress = limiters.create('signup-address', deps.config.ACCOUNT_SIGNUPS_PER_HOUR, 3600);
  // Per email too (whether or not it is taken: the count says nothing), which bounds how many accounts
  // can claim one address (a login checks them all; api/routes/login.ts).
  const perEmail = limiters.create('signup-email', deps.config.ACCOUNT_SIGNUPS_PER_DAY_PER_EMAIL, 86_400);
  router.post(
    '/v1/accounts',
    async (req, res, next) => {
      // Counted before the body is read (a bad body counts too); its headers are set again with the email's.
      // A store failure answers 503 here (sign-up fails closed: api/rate-limit.ts `failsClosed`).
      res.locals.signupAddressLimit = await perAddress.consume(addressLimitKey(req.ip));
      next(applyLimits(req, res, [res.locals.signupAddressLimit as LimitOutcome]));
    },
    async (req, res) => {
      const body = parse(CreateAccountBody, req.body);
      const refusedForEmail = applyLimits(req, res, [res.locals.signupAddressLimit as LimitOutcome, await perEmail.consume(body.email)]);
      if (refusedForEmail) throw refusedForEmail;
      const taken = await Account.exists({ email: body.email });
      const now = new Date();
      const id = newId('acct');
      const linked: AccountDoc = { _id: id, name: body.name, email: body.email, unlinkedEmail: null, passwordHash: await hashPassword(body.password), createdAt: now };
      const unlinked: AccountDoc = { ...linked, email: `unlinked:${id}`, unlinkedEmail: body.email };
      const generated = generateApiKey();
      const apiKey = { _id: newId('key'), accountId: id, name: 'Default key', prefix: generated.prefix, hash: generated.hash, permissions: [...API_PERMISSIONS], createdAt: now };
      // The key is written first: if the account insert then fails, the orphan key is removed and
      // nothing of this request remains.
      await ApiKey.create(apiKey);
      let account = taken ? unlinked : linked;
      try {
        try {
          await Account.create(account);
        } catch (error) {
          // A concurrent sign-up with the same email won the race: this one becomes an unlinked account.
          if ((error as { code?: number }).code !== 11000 || account === unlinked) throw error;
          account = unlinked;
          await Account.create(account);
        }
      } catch (error) {
        await ApiKey.deleteOne({ _id: apiKey._id, accountId: apiKey.accountId });
        throw error;
      }
      res.status(201).json({ account: accountView(account), apiKey: { ...apiKeyView(apiKey), key: generated.key } });
    },
  );
  return router;
}

/** The caller's own account and its API keys. */
export function accountRouter(deps: ApiDeps, auth: Authenticator): Router {
  const router = Router();
  const { Account, ApiKey } = deps;

  router.get('/v1/account', async (_req, res) => {
    const account = await Account.findById(callerOf(res).accountId).lean();
    if (!account) throw AppError.notFound('account');
    res.json({ account: accountView(account) });
  });

  router.get('/v1/api-keys', async (_req, res) => {
    const keys = await ApiKey.find({ accountId: callerOf(res).accountId, revokedAt: null }).sort({ _id: 1 }).lean();
    res.json({ data: keys.map(apiKeyView) });
  });

  router.post('/v1/api-keys', async (req, res) => {
    const body = parse(CreateApiKeyBody, req.body ?? {});
    const caller = callerOf(res);
    // A key cannot mint a key that may do more than itself.
    const beyond = body.permissions.filter((p) => !caller.permissions.includes(p));
    if (beyond.length > 0) throw new AppError(403, 'forbidden', `this API key cannot grant ${beyond.join(', ')}`, { required: beyond });
    const permissions = API_PERMISSIONS.filter((p) => body.permissions.includes(p));
    const generated = generateApiKey();
    const doc = { _id: newId('key'), accountId: caller.accountId, name: body.name, prefix: generated.prefix, hash: generated.hash, permissions, createdAt: new Date() };
    await ApiKey.create(doc);
    res.status(201).json({ apiKey: { ...apiKeyView(doc), key: generated.key } });
  });

  router.delete('/v1/api-keys/:id', async (req, res) => {
    const caller = callerOf(res);
    const key = await ApiKey.findOneAndUpdate(
      { _id: parsePath(ApiKeyParams, req.params).id, accountId: caller.accountId, revokedAt: null },
      { $set: { revokedAt: new Date() } },
    ).lean();
    if (!key) throw AppError.notFound('api_key');
    auth.forget(key.hash);
    res.status(204).end();
  });

  return router;
}
