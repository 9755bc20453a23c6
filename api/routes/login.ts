import { Router } from 'express';
import { LoginBody } from '../../models/account.schema';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { hashPassword, verifyPassword } from '../passwords';
import { addressLimitKey } from '../client-address';
import { applyLimits, type SharedLimiters } from '../rate-limit';
import type { TokenService } from '../tokens';
import { parse } from '../validate';

/**
 * Accounts a login checks: the linked one and the latest ones signed up with the email after it was taken.
 * Sign-ups per email are limited (ACCOUNT_SIGNUPS_PER_DAY_PER_EMAIL), so reaching this many takes a prober days.
 */
const LOGIN_CANDIDATES = 8;

// Verified in place of missing candidates, so every login costs the same checks and answers alike.
let dummyHash: Promise<string> | undefined;
const dummy = (): Promise<string> => (dummyHash ??= hashPassword('parley-dummy-password-never-matches'));

/**
 * `POST /v1/auth/login {email, password}` → `{token, expiresAt}`: a 15-minute token accepted as
 * `Authorization: Bearer <token>` wherever a pk_ key is, with every permission. A wrong password and an
 * unknown email get the same 401 after the same work. Attempts are limited per client address and per email.
 */
export function loginRouter(deps: ApiDeps, options: { limiters: SharedLimiters; tokens: TokenService }): Router {
  const router = Router();
  const perAddress = options.limiters.create('login-address', deps.config.LOGIN_ATTEMPTS_PER_MINUTE_PER_ADDRESS, 60);
  const perEmail = options.limiters.create('login-email', deps.config.LOGIN_ATTEMPTS_PER_HOUR_PER_EMAIL, 3600);
  void dummy();

  router.post('/v1/auth/login', async (req, res) => {
    const refusedByAddress = applyLimits(req, res, [await perAddress.consume(addressLimitKey(req.ip))]);
    if (refusedByAddress) throw refusedByAddress;
    const body = parse(LoginBody, req.body);
    const refusedByEmail = applyLimits(req, res, [await perEmail.consume(body.email)]);
    if (refusedByEmail) throw refusedByEmail;

    // The account this email is linked to, and the ones signed up with it after it was taken (each logs in
    // with its own password): a prober who signed up with someone's email logs in exactly as with a free
    // one, so a login never tells whether the email had an account. Every candidate is checked, padded
    // to the same number of checks, in parallel (one scrypt of wall time either way).
    const [linked, unlinked] = await Promise.all([
      deps.Account.findOne({ email: body.email }, { passwordHash: 1 }).lean(),
      deps.Account.find({ unlinkedEmail: body.email }, { passwordHash: 1 }).sort({ _id: -1 }).limit(LOGIN_CANDIDATES - 1).lean(),
    ]);
    const candidates = [...(linked ? [linked] : []), ...unlinked];
    const padding = await dummy();
    const checks = await Promise.all(Array.from({ length: LOGIN_CANDIDATES }, (_, i) => verifyPassword(body.password, candidates[i]?.passwordHash ?? padding)));
    const account = candidates.find((_, i) => checks[i]);
    if (!account) throw new AppError(401, 'invalid_credentials', 'the email or the password is wrong');
    const { token, expiresAt } = await options.tokens.issue(account._id);
    res.json({ token, tokenType: 'Bearer', expiresAt: expiresAt.toISOString() });
  });
  return router;
}
