import { Router } from 'express';
import { CreateAccountBody, CreateApiKeyBody } from '../../models/account.schema';
import type { AccountDoc, ApiKeyDoc } from '../../models/account.model';
import { callerOf, type Authenticator } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { newId } from '../ids';
import { generateApiKey, hashPassword } from '../passwords';
import { rateLimit } from '../rate-limit';
import { parse } from '../validate';

const accountView = (a: Pick<AccountDoc, '_id' | 'name' | 'email' | 'createdAt'>) => ({
  id: a._id,
  name: a.name,
  email: a.email,
  createdAt: a.createdAt.toISOString(),
});

const apiKeyView = (k: Pick<ApiKeyDoc, '_id' | 'name' | 'prefix' | 'createdAt'>) => ({
  id: k._id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt.toISOString(),
});

/** `POST /v1/accounts` — open to anyone, rate limited per client address. */
export function signupRouter(deps: ApiDeps): Router {
  const router = Router();
  const { Account, ApiKey } = deps;
  router.post(
    '/v1/accounts',
    rateLimit({ limit: deps.config.ACCOUNT_SIGNUPS_PER_HOUR, windowMs: 3600_000, name: 'sign-up' }),
    async (req, res) => {
      const body = parse(CreateAccountBody, req.body);
      if (await Account.exists({ email: body.email })) {
        throw new AppError(409, 'email_taken', 'an account with this email already exists');
      }
      const now = new Date();
      const account = { _id: newId('acct'), name: body.name, email: body.email, passwordHash: await hashPassword(body.password), createdAt: now };
      const generated = generateApiKey();
      const apiKey = { _id: newId('key'), accountId: account._id, name: 'Default key', prefix: generated.prefix, hash: generated.hash, createdAt: now };
      // The key is written first: if the account insert then fails (say, a concurrent sign-up with the
      // same email), the orphan key is removed and nothing of this request remains.
      await ApiKey.create(apiKey);
      try {
        await Account.create(account);
      } catch (error) {
        await ApiKey.deleteOne({ _id: apiKey._id });
        if ((error as { code?: number }).code === 11000) {
          throw new AppError(409, 'email_taken', 'an account with this email already exists');
        }
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
    const generated = generateApiKey();
    const doc = { _id: newId('key'), accountId: callerOf(res).accountId, name: body.name, prefix: generated.prefix, hash: generated.hash, createdAt: new Date() };
    await ApiKey.create(doc);
    res.status(201).json({ apiKey: { ...apiKeyView(doc), key: generated.key } });
  });

  router.delete('/v1/api-keys/:id', async (req, res) => {
    const caller = callerOf(res);
    const key = await ApiKey.findOneAndUpdate(
      { _id: String(req.params.id), accountId: caller.accountId, revokedAt: null },
      { $set: { revokedAt: new Date() } },
    ).lean();
    if (!key) throw AppError.notFound('api_key');
    auth.forget(key.hash);
    res.status(204).end();
  });

  return router;
}
