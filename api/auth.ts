import type { Request, RequestHandler, Response } from 'express';
import type { Model } from 'mongoose';
import type { ApiKeyDoc } from '../models/account.model';
import { AppError } from './errors';
import { hashApiKey } from './passwords';

/** The authenticated caller, set by `authenticate`. */
export interface Caller {
  accountId: string;
  apiKeyId: string;
}

export function callerOf(res: Response): Caller {
  const caller = res.locals.caller as Caller | undefined;
  if (!caller) throw new AppError(401, 'unauthorized', 'missing API key');
  return caller;
}

// Keys are looked up on every request; a short cache keeps that off the hot path. A revoked key is
// dropped from this process's cache at once and stops working everywhere within CACHE_MS.
const CACHE_MS = 10_000;
const CACHE_MAX = 10_000;

export interface Authenticator {
  middleware: RequestHandler;
  forget(hash: string): void;
}

export function createAuthenticator(ApiKey: Model<ApiKeyDoc>): Authenticator {
  const cache = new Map<string, { caller: Caller; until: number }>();

  const lookup = async (key: string): Promise<Caller | undefined> => {
    const hash = hashApiKey(key);
    const hit = cache.get(hash);
    if (hit && hit.until > Date.now()) return hit.caller;
    const doc = await ApiKey.findOne({ hash, revokedAt: null }, { accountId: 1 }).lean();
    if (!doc) {
      cache.delete(hash);
      return undefined;
    }
    const caller = { accountId: doc.accountId, apiKeyId: doc._id };
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(hash, { caller, until: Date.now() + CACHE_MS });
    return caller;
  };

  const middleware: RequestHandler = async (req: Request, res: Response, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(pk_[A-Za-z0-9_-]{20,100})\s*$/.exec(header);
    if (!match?.[1]) {
      next(new AppError(401, 'unauthorized', 'send your API key as "Authorization: Bearer pk_..."'));
      return;
    }
    const caller = await lookup(match[1]);
    if (!caller) {
      next(new AppError(401, 'unauthorized', 'the API key is not valid'));
      return;
    }
    res.locals.caller = caller;
    next();
  };

  return { middleware, forget: (hash) => cache.delete(hash) };
}
