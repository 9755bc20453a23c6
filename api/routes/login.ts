import { Router } from 'express';
import { LoginBody } from '../../models/account.schema';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { hashPassword, verifyPassword } from '../passwords';
import { applyLimits, type SharedLimiters } from '../rate-limit';
import type { TokenService } from '../tokens';
import { parse } from '../validate';

// Verified when the email is unknown, so both failures cost one scrypt and answer alike.
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
    const refusedByAddress = applyLimits(res, [await perAddress.consume(req.ip ?? 'unknown')]);
    if (refusedByAddress) throw refusedByAddress;
    const body = parse(LoginBody, req.body);
    const refusedByEmail = applyLimits(res, [await perEmail.consume(body.email)]);
    if (refusedByEmail) throw refusedByEmail;

    const account = await deps.Account.findOne({ email: body.email }, { passwordHash: 1 }).lean();
    const ok = await verifyPassword(body.password, account?.passwordHash ?? (await dummy()));
    if (!account || !ok) throw new AppError(401, 'invalid_credentials', 'the email or the password is wrong');
    const { token, expiresAt } = await options.tokens.issue(account._id);
    res.json({ token, tokenType: 'Bearer', expiresAt: expiresAt.toISOString() });
  });
  return router;
}
